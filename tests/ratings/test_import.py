"""An evaluator's delivery: every error named by row and column, nothing imported unless all is
valid, published versions immutable, corrections as new versions."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from portal.staff.models import Role
from portal.extensions import db
from portal.ratings import services
from portal.departments.content import DEPARTMENTS_FILE, read_departments
from portal.ratings.importer import ScoreSheet, read_edition, read_scores
from portal.ratings.models import EditionVersion, PublishedRatingIsImmutable, Score
from tests.admin.conftest import make_staff, signed_in
from tests.conftest import CONTENT_DIR

EDITION = CONTENT_DIR / "ratings" / "2025.yaml"
HEADER = "department,A1,A2,A3,A4,A5,response\r\n"
GOOD_ROWS = [
    "office,94,92,90,93,88,",
    "coordination,62,58,55,48,60,已整改",
]


def sheet(tmp_path: Path, text: str | bytes, name: str = "scores.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def edition_file(tmp_path: Path, replace: tuple[str, str] | None = None, slug: str = "2099") -> Path:
    text = EDITION.read_text(encoding="utf-8").replace('slug: "2025"', f'slug: "{slug}"')
    text = text.replace('period_start: "2025-01-01"', 'period_start: "2099-01-01"')
    text = text.replace('period_end: "2025-12-31"', 'period_end: "2099-12-31"')
    if replace:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / "edition.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run_check(app, sheet_path: Path, edition_path: Path):
    return app.test_cli_runner().invoke(args=["ratings", "check", str(sheet_path), "--edition", str(edition_path)])


SHIPPED_DEPARTMENTS = {r.slug: r.name for r in read_departments(CONTENT_DIR / DEPARTMENTS_FILE)[0]}


def check(sheet_path: Path, edition_path: Path) -> tuple[ScoreSheet | None, str]:
    """The parsers alone, as `ratings check` calls them, with the shipped departments: the sheet
    (None when anything is wrong) and every problem's message."""
    spec, problems = read_edition(edition_path)
    sheet_read = None
    if spec is not None:
        sheet_read, problems = read_scores(sheet_path, spec, SHIPPED_DEPARTMENTS)
    return (None if problems else sheet_read), "\n".join(str(problem) for problem in problems)


def version_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(EditionVersion))


@pytest.mark.parametrize("body, message", [
    (HEADER.replace(",A3", "") + "office,94,92,93,88,\r\n", "缺少指标列“A3”"),
    (HEADER.replace("response", "备注") + "office,94,92,90,93,88,\r\n", "第 1 行 G 列：未知的列“备注”"),
    (HEADER + "office,94,九十二,90,93,88,\r\n", "第 2 行 C 列（A2 守信践诺）：应为数字"),
    (HEADER + "office,94,-1,90,93,88,\r\n", "第 2 行 C 列（A2 守信践诺）：应为非负数"),
    (HEADER + "office,94,92,105,93,88,\r\n", "第 2 行 D 列（A3 失信治理）：分数 105 超过满分 100"),
    (HEADER + "office,94,92,90,93,\r\n", "第 2 行 F 列（A5 诚信宣传教育）：缺少分数"),
    (HEADER + "office,94,92,90,93,88,\r\noffice,90,90,90,90,90,\r\n", "第 3 行 A 列：部门“办公室”出现了两次"),
    (HEADER + "办公室,94,92,90,93,88,\r\noffice,90,90,90,90,90,\r\n", "第 3 行 A 列：部门“办公室”出现了两次"),
    (HEADER + "宣传科,94,92,90,93,88,\r\n", "第 2 行 A 列：未知部门“宣传科”"),
    (HEADER + "office,94,92,90,93,88,,extra\r\n", "第 2 行 H 列：这一列没有表头，却填了“extra”"),
    # After blank rows, the row a person sees in Excel: blank rows count.
    (HEADER + ",,,,,,\r\n\r\ncoordination,1,2,3,4,150,\r\n", "第 4 行 F 列（A5 诚信宣传教育）：分数 150 超过满分"),
    # A quoted cell spanning two lines is one row in a spreadsheet.
    (HEADER + 'office,94,92,90,93,88,"第一行\r\n第二行"\r\n宣传科,1,1,1,1,1,\r\n', "第 3 行 A 列：未知部门“宣传科”"),
    ("", "文件为空"),
    (HEADER, "表中没有任何部门的分数"),
    (HEADER + "office,94.555,92,90,93,88,\r\n", "最多两位小数"),
])
def test_every_sheet_error_names_its_row_and_column(tmp_path, body, message):
    read, output = check(sheet(tmp_path, body), edition_file(tmp_path))
    assert read is None
    assert message in output, output


def test_a_sheet_with_a_bom_and_one_in_gbk_are_both_read(published_app, tmp_path):
    text = HEADER + "\r\n".join(GOOD_ROWS) + "\r\n"
    utf8_bom = run_check(published_app, sheet(tmp_path, b"\xef\xbb\xbf" + text.encode()), edition_file(tmp_path))
    gbk = run_check(published_app, sheet(tmp_path, text.replace("office", "办公室").encode("gbk"), "gbk.csv"),
                    edition_file(tmp_path))
    assert utf8_bom.exit_code == 0 and "2 departments" in utf8_bom.output  # the command line, end to end
    assert gbk.exit_code == 0 and "2 departments" in gbk.output


def _excel(rows: list[list[str]], encoding: str, pad: int = 0, trailing_empty: bool = False,
           last_newline: bool = True) -> bytes:
    """A CSV the way Excel and WPS save one: CRLF, quoted where needed, the used range padded."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row + [""] * pad + ([""] if trailing_empty else []))
    text = out.getvalue() if last_newline else out.getvalue().removesuffix("\r\n")
    return text.encode(encoding)  # utf-8-sig: with the BOM Excel writes


EXCEL_ROWS = [["部门", "A1", "A2", "A3", "A4", "A5", "部门回应"],
              ["办公室", "94", "92", "90", "93", "88", ""],
              ["综合协调科", "62", "58", "55", "48", "60", "已整改，见“整改报告”, 2025年12月"]]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
@pytest.mark.parametrize("shape", [
    {"pad": 0}, {"pad": 2}, {"trailing_empty": True}, {"last_newline": False}, {"pad": 1, "last_newline": False},
])
def test_sheets_as_excel_and_wps_write_them_are_accepted(tmp_path, encoding, shape):
    data = _excel([list(row) for row in EXCEL_ROWS], encoding, **shape)
    if shape.get("trailing_empty"):  # only the data rows end in one more empty cell
        text = data.decode(encoding)
        lines = text.split("\r\n")
        lines[0] = lines[0].removesuffix(",")
        data = "\r\n".join(lines).encode(encoding)
    read, output = check(sheet(tmp_path, data), edition_file(tmp_path))
    assert read is not None, output
    assert sorted(read.scores) == ["coordination", "office"]


def test_a_blank_row_in_the_middle_is_skipped_and_counted(tmp_path):
    rows = [EXCEL_ROWS[0], EXCEL_ROWS[1], ["", "", "", "", "", "", ""], EXCEL_ROWS[2]]
    read, output = check(sheet(tmp_path, _excel(rows, "gbk", pad=1)), edition_file(tmp_path))
    assert read is not None and len(read.scores) == 2, output


def test_content_under_a_padding_column_is_named_by_row_and_column(tmp_path):
    rows = [list(row) for row in EXCEL_ROWS]
    rows[2] = rows[2] + ["", "备注：复核中"]
    read, output = check(sheet(tmp_path, _excel(rows, "gbk")), edition_file(tmp_path))
    assert read is None and "第 3 行 I 列：这一列没有表头，却填了“备注：复核中”" in output


def test_ten_megabytes_of_garbage_is_refused_without_reading_it(app, tmp_path):
    garbage = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    result = run_check(app, sheet(tmp_path, garbage), edition_file(tmp_path))
    assert result.exit_code != 0 and "文件过大" in result.output


def test_bytes_that_are_neither_utf8_nor_gbk_are_named(tmp_path):
    read, output = check(sheet(tmp_path, HEADER.encode() + b"office,\xff\xfe\xfd,1,1,1,1,\r\n"), edition_file(tmp_path))
    assert read is None and "无法识别的文字编码" in output


@pytest.mark.parametrize("replace, message", [
    (("    weight: 5\n", "    weight: 6\n"), "权重之和应为 100，实际为 101"),
    (("  - code: A5\n", "  - code: A4\n"), "指标代码 'A4' 重复"),
    (("    minimum: 0\n", "    minimum: 10\n"), "最低等级的分数线应为 0"),
    (("evaluator: 示例第三方评价机构\n", ""), "缺少必填字段 (missing key) 'evaluator'"),
    (('period_end: "2099-12-31"', 'period_end: "2098-12-31"'), "period_end 早于 period_start"),
    (('published_on: "2026-01-22"', 'published_on: "2999-01-01"'), "published_on 晚于今天"),
])
def test_every_edition_file_error_is_named(tmp_path, replace, message):
    read, output = check(sheet(tmp_path, HEADER + GOOD_ROWS[0]), edition_file(tmp_path, replace))
    assert read is None and message in output, output


def test_nothing_is_imported_unless_everything_is_valid(published_app, tmp_path):
    make_staff(published_app, "editor", Role.EDITOR)
    before = version_count(published_app)
    bad = sheet(tmp_path, HEADER + GOOD_ROWS[0] + "\r\noffice,1,1,1,1,1,\r\n")
    result = published_app.test_cli_runner().invoke(
        args=["ratings", "import", str(bad), "--edition", str(edition_file(tmp_path)), "--by", "editor"])
    assert result.exit_code != 0 and "nothing was imported" in result.output
    assert version_count(published_app) == before


def test_a_published_version_is_immutable(published_app):
    with published_app.app_context():
        score = db.session.scalars(select(Score)).first()
        score.value = score.value + 1
        with pytest.raises(PublishedRatingIsImmutable):
            db.session.commit()
        db.session.rollback()
        version = services.get_version("2025")
        version.title = "改过的标题"
        with pytest.raises(PublishedRatingIsImmutable):
            db.session.commit()


def test_an_edit_outside_the_application_shows_on_the_page(published_app):
    client = published_app.test_client()
    assert "校验值不一致" not in client.get("/ratings/2025/").get_data(as_text=True)
    with published_app.app_context():  # straight SQL, as someone with database access might
        db.session.execute(Score.__table__.update().where(Score.indicator_code == "A1").values(value=100))
        db.session.commit()
        from portal.publication.version import bump_content_version

        bump_content_version()
    assert "校验值不一致" in client.get("/ratings/2025/").get_data(as_text=True)


NOTICE = "校验值不一致"


def test_every_view_of_rating_figures_says_when_they_were_changed_outside(published_app):
    """One score changed with plain SQL: every page, download and API answer showing the 2025
    figures says so; the untouched 2024 edition's do not."""
    client = published_app.test_client()
    html_views = ["/ratings/", "/ratings/2025/", "/ratings/2025/office", "/departments/office", "/", "/warnings/"]
    data_views = ["/ratings/2025.csv", "/ratings/2025.json", "/ratings/2025/v1.csv", "/ratings/2025/v1.json"]
    for url in html_views:
        assert NOTICE not in client.get(url).get_data(as_text=True), url
    for url in data_views:
        assert client.get(url).headers["X-Rating-Integrity"] == "ok", url
    assert client.get("/api/v1/ratings/2025").get_json()["integrity"] == "ok"

    with published_app.app_context():
        db.session.execute(text("UPDATE rating_scores SET value = 99 WHERE indicator_code = 'A2' AND department_id = "
                                "(SELECT id FROM departments WHERE slug = 'coordination') AND version_id = "
                                "(SELECT v.id FROM rating_edition_versions v JOIN rating_editions e ON e.id = v.edition_id "
                                "WHERE e.slug = '2025')"))
        db.session.commit()
        from portal.publication.version import bump_content_version

        bump_content_version()
    for url in html_views:
        assert NOTICE in client.get(url).get_data(as_text=True), url
    for url in data_views:
        assert client.get(url).headers["X-Rating-Integrity"] == "mismatch", url
    assert client.get("/ratings/2025.json").get_json()["integrity"] == "mismatch"
    assert client.get("/api/v1/ratings/2025").get_json()["integrity"] == "mismatch"
    editions = {e["edition"]: e["integrity"] for e in client.get("/api/v1/ratings").get_json()["editions"]}
    assert editions == {"2025": "mismatch", "2024": "ok"}
    assert {w["integrity"] for w in client.get("/api/v1/warnings").get_json()["warnings"]
            if w["edition"] == "2025"} <= {"mismatch"}
    assert NOTICE not in client.get("/ratings/2024/").get_data(as_text=True)
    assert client.get("/api/v1/ratings/2024").get_json()["integrity"] == "ok"


def test_a_correction_is_a_new_version_reviewed_by_someone_else(published_app, tmp_path):
    from portal.staff.models import Role

    make_staff(published_app, "editor", Role.EDITOR)
    make_staff(published_app, "reviewer", Role.REVIEWER)
    corrected = tmp_path / "content"
    shutil.copytree(CONTENT_DIR / "ratings", corrected)
    (corrected / "2025.csv").write_bytes((CONTENT_DIR / "ratings" / "2025.csv").read_bytes().replace(
        b"coordination,62,58,55,48,60", b"coordination,72,58,55,48,60"))
    runner = published_app.test_cli_runner()
    args = ["ratings", "import", str(corrected / "2025.csv"), "--edition", str(corrected / "2025.yaml"), "--by", "editor"]
    refused = runner.invoke(args=args)
    assert refused.exit_code != 0 and "correction_reason" in refused.output
    edition = (corrected / "2025.yaml").read_text(encoding="utf-8")
    (corrected / "2025.yaml").write_text(edition.replace("demo: true\n", "demo: true\ncorrection_reason: 综合协调科政务公开得分录入有误，62 应为 72\n"), encoding="utf-8")
    submitted = runner.invoke(args=args)
    assert submitted.exit_code == 0, submitted.output
    version_id = int(submitted.output.rsplit("/", 1)[1])

    public = published_app.test_client()
    assert ">72.00<" not in public.get("/ratings/2025/coordination").get_data(as_text=True)
    editor = signed_in(published_app, "editor")
    assert editor.get(f"/admin/ratings/{version_id}").status_code == 403  # not a reviewer
    reviewer = signed_in(published_app, "reviewer")
    from tests.admin.conftest import post

    # Every kind's review queue is on the reviewer's first page (from the registry).
    dashboard = reviewer.get("/admin/").get_data(as_text=True)
    assert "诚信评价：待审核 1 件" in dashboard and "政府信息公开：待审核 0 件" in dashboard
    response = post(reviewer, f"/admin/ratings/{version_id}/review", {"decision": "approve"})
    assert response.status_code == 303
    page = public.get("/ratings/2025/").get_data(as_text=True)
    assert "更正记录" in page and "62 应为 72" in page and "第 2 版" in page
    old = public.get("/ratings/2025/v1/")
    assert old.status_code == 200 and "已被更正" in old.get_data(as_text=True)
    assert ">72.00<" in public.get("/ratings/2025/coordination").get_data(as_text=True)
    with published_app.app_context():
        v1, v2 = services.get_version("2025", 1), services.get_version("2025", 2)
        assert v1.checksum != v2.checksum
        assert services.sha256(services.csv_bytes(v2)) == v2.checksum


def test_importing_the_same_delivery_twice_changes_nothing(published_app):
    from portal.publication.content import import_content
    from portal.files import file_store

    before = version_count(published_app)
    with published_app.app_context():
        import_content(CONTENT_DIR, file_store())
    assert version_count(published_app) == before == 2


def test_an_upload_in_the_back_office_is_checked_then_submitted_for_review(published_app, tmp_path):
    from io import BytesIO

    from tests.admin.conftest import post

    make_staff(published_app, "editor", Role.EDITOR)
    editor = signed_in(published_app, "editor")
    edition = edition_file(tmp_path).read_bytes()

    def upload(sheet_bytes: bytes):
        return post(editor, "/admin/ratings/upload", {
            "edition": (BytesIO(edition), "2099.yaml"), "sheet": (BytesIO(sheet_bytes), "2099.csv"),
        }, content_type="multipart/form-data")

    bad = upload((HEADER + "office,94,92,105,93,88,\r\n").encode("gbk"))
    assert bad.status_code == 400 and "第 2 行 D 列（A3 失信治理）：分数 105 超过满分 100" in bad.get_data(as_text=True)
    assert version_count(published_app) == 2
    good = upload((HEADER + "\r\n".join(GOOD_ROWS) + "\r\n").replace("office", "办公室").encode("gbk"))
    assert good.status_code == 303
    with published_app.app_context():
        version = db.session.scalars(select(EditionVersion).where(EditionVersion.state == "submitted")).one()
        assert (version.edition.slug, version.submitted_by.username) == ("2099", "editor")
    assert published_app.test_client().get("/ratings/2099/").status_code == 404  # not before review
