"""Table 3 of the annual report on a generated year: it balances (一 + 二 = 三 + 四 in every
column), each year's 四 is the next year's 二, the sub-rows add up to their rows, and the totals
match counts taken independently of the table's code."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from portal.applications import annual, answers, services
from portal.applications.models import Application, ORGANISATION_KINDS
from portal.extensions import db
from tests.applications.conftest import FORM


def _generate(count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    types = [(kind.code, reason) for kind in answers.TYPES for reason in (kind.reasons or {"": ""})]
    entry = services.parse_form(FORM)
    template, _ = services.submit(entry)
    for n in range(count):
        received = dt.date(2024, 6, 1) + dt.timedelta(days=rng.randrange(900))
        organisation = rng.random() < 0.4
        answered = received + dt.timedelta(days=rng.randrange(60)) if rng.random() < 0.85 else None
        kind, reason = rng.choice(types)
        db.session.add(Application(
            number=f"G-{n:05d}", secret_hash="x", channel="online",
            applicant_type="organisation" if organisation else "natural",
            organisation_kind=rng.choice(list(ORGANISATION_KINDS)) if organisation else None,
            applicant_hash="h", sealed=template.sealed, form_wanted="paper", delivery="post", sent_on=received,
            received_on=received, extension_days=0, status="answered" if answered else "processing",
            answered_on=answered, answer_type=kind if answered else None,
            answer_reason=(reason or None) if answered else None, version=1))
    db.session.delete(template)
    db.session.commit()


def test_the_table_balances_and_agrees_with_independent_counts(app):
    with app.app_context():
        _generate(400)
        everything = list(db.session.scalars(select(Application)))
        tables = {year: annual.table(year) for year in (2024, 2025, 2026)}
        for year, table in tables.items():
            assert table.check() == [], year
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
            assert table.row("new")["total"] == sum(start <= a.received_on <= end for a in everything)
            assert table.row("results_total")["total"] == sum(
                a.answered_on is not None and start <= a.answered_on <= end for a in everything)
            for code, title, _ in annual.result_rows():
                subrows = [key for key, _, indent in annual.result_rows() if key.startswith(code + "/")]
                if subrows:
                    for column in annual.COLUMNS:
                        assert table.row(code)[column] == sum(table.row(key)[column] for key in subrows), (year, title)
            columns = annual.COLUMNS[:-1]
            assert table.row("new")["total"] == sum(table.row("new")[c] for c in columns)
        assert tables[2024].row("carried_out") == tables[2025].row("carried_in")
        assert tables[2025].row("carried_out") == tables[2026].row("carried_in")
        assert tables[2025].row("new")["total"] > 100 and tables[2025].row("carried_in")["total"] > 0


def test_an_unbalanced_table_says_which_column(app):
    with app.app_context():
        _generate(50)
        table = annual.table(2025)
        table.row("carried_out")["research"] += 1
        table.row("carried_out")["total"] += 1
        problems = table.check()
        assert len(problems) == 2 and problems[0].startswith("科研机构") and problems[1].startswith("总计")


def test_the_markdown_is_the_templates_rows(app):
    with app.app_context():
        _generate(30)
        text = annual.markdown(annual.table(2025))
    rows = [line.split("|")[1].strip(" ") for line in text.splitlines()[2:]]
    assert rows[0] == "一、本年新收政府信息公开申请数量" and rows[-1] == "四、结转下年度继续办理"
    assert "（七）总计" in rows and sum(label.startswith("　") for label in rows) == 8 + 3 + 5 + 3


def test_the_command_prints_the_table_and_drafts_the_report(app):
    from portal.staff.models import Role
    from tests.admin.conftest import make_staff

    make_staff(app, "writer", Role.EDITOR)
    with app.app_context():
        _generate(30)
    result = app.test_cli_runner().invoke(args=["requests", "annual-report", "2025", "--draft-as", "writer"])
    assert result.exit_code == 0, result.output
    assert "各列均平衡" in result.output and "草稿已创建" in result.output
    with app.app_context():
        from portal.disclosures.models import DisclosureDraft

        draft = db.session.scalar(select(DisclosureDraft))
        assert draft.title.startswith("梅州市应急管理局2025年") and "结转下年度继续办理" in draft.body
        assert draft.state == "draft"  # published only through review


def test_table_4_is_entered_checked_and_goes_into_the_draft(app):
    from portal.staff.models import Role
    from tests.admin.conftest import make_staff, signed_in
    from tests.applications.conftest import csrf

    make_staff(app, "clerk", Role.REQUEST_HANDLER)
    make_staff(app, "writer", Role.EDITOR)
    desk = signed_in(app, "clerk")
    token = csrf(desk, "/admin/applications/annual/2025")
    good = {f"t4_{n}": str(v) for n, v in enumerate([1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0])}
    bad_sum = {**good, "t4_4": "3"}
    nonsense = {**good, "t4_0": "-1"}
    for data in (bad_sum, nonsense):
        desk.post("/admin/applications/annual/2025/table-4", data={**data, "csrf_token": token})
        with app.app_context():
            assert annual.table_4_values(2025) is None
    page = desk.post("/admin/applications/annual/2025/table-4", data={**bad_sum, "csrf_token": token},
                     follow_redirects=True).get_data(as_text=True)
    assert "应等于前四项之和（2）" in page
    desk.post("/admin/applications/annual/2025/table-4", data={**good, "csrf_token": token})
    with app.app_context():
        assert annual.table_4_values(2025) == [1, 0, 0, 1, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0]
    result = app.test_cli_runner().invoke(args=["requests", "annual-report", "2025", "--draft-as", "writer"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from portal.disclosures.models import DisclosureDraft

        body = db.session.scalar(select(DisclosureDraft)).body
        assert "| 1 | 0 | 0 | 1 | 2 | 0 | 1 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 |" in body and "待填写" not in body.split("## 三")[1].split("## 四")[0]
