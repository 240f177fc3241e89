"""The citizen's side: apply without JavaScript, get a number and a secret, read the timeline and
the answer; bad input loses nothing; personal data appears nowhere but the sealed column."""
from __future__ import annotations

import datetime as dt
import logging

import pytest

from sqlalchemy import func, inspect, select, text

from portal.applications import services
from portal.applications.models import Application
from portal.extensions import db
from portal.staff import accounts
from tests.admin.conftest import signed_in
from tests.applications.conftest import DESCRIPTION, FORM, ID_NUMBER, NAME, PHONE, NUMBER_RE, SECRET_RE, apply, csrf


def _status(client, number: str, secret: str):
    return client.post("/apply/status", data={"number": number, "secret": secret, "csrf_token": csrf(client, "/apply/status")})


def test_apply_then_follow_the_answer(desk_app, today):
    today.set(dt.date(2026, 9, 17))
    client = desk_app.test_client()
    number, secret, response = apply(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and number == "2026-0001" and len(secret) == 24
    assert response.headers["Cache-Control"] == "no-store"
    assert "2026-10-21" in page or "2026年10月21日" in page  # 20 working days across 中秋 and 国庆
    assert "中秋节" in page and "国庆节" in page and "调休上班" in page  # how the date was reached

    status = _status(client, number, secret).get_data(as_text=True)
    assert "已收到" in status and NAME not in status and ID_NUMBER not in status

    with desk_app.app_context():
        application = db.session.scalar(select(Application))
        clerk = accounts.find_user("clerk")
        today.set(dt.date(2026, 9, 22))
        services.request_correction(application, clerk, application.version, "请写明计划的年度。", 15)
    status = _status(client, number, secret).get_data(as_text=True)
    assert "待补正" in status and "请写明计划的年度。" in status

    with desk_app.app_context():
        application = db.session.scalar(select(Application))
        clerk = accounts.find_user("clerk")
        today.set(dt.date(2026, 9, 24))
        services.receive_correction(application, clerk, application.version)
        services.answer(application, clerk, application.version, "partly", "third_party",
                        {"text": "部分公开，涉及企业商业秘密的部分不予公开。", "how": "电子邮件发送", "basis": "《条例》第十五条"})
    status = _status(client, number, secret).get_data(as_text=True)
    assert "政府信息公开申请答复书" in status and "部分公开" in status and "《条例》第十五条" in status
    assert "行政复议" in status  # the remedies are stated
    assert NAME not in status and PHONE not in status  # the letter names the application, not the person


def test_a_wrong_secret_or_number_gets_one_answer(desk_app):
    client = desk_app.test_client()
    number, secret, _ = apply(client)
    wrong = [_status(client, number, "A" * 24), _status(client, "2026-9999", secret), _status(client, number, "x")]
    assert {r.status_code for r in wrong} == {400}
    assert len({r.get_data(as_text=True).count("不正确") for r in wrong}) == 1
    assert _status(client, number, secret.lower()).status_code == 200  # typing is forgiving


def test_bad_input_comes_back_filled_in_and_stores_nothing(desk_app):
    client = desk_app.test_client()
    _, _, response = apply(client, id_number="", phone="", description="太短", delivery="nonsense")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("证件号码", "联系方式", "至少 10 个字", "获取信息的方式"):
        assert message in page
    assert NAME in page  # what was typed is kept
    with desk_app.app_context():
        assert db.session.scalar(select(Application.id)) is None


def test_a_disclosure_offers_to_apply_for_itself(site_client):
    page = site_client.get("/disclosures/2020-integrity-plan").get_data(as_text=True)
    assert "申请获取本文件" in page and "/apply/?index=" in page
    form = site_client.get("/apply/?index=MZYJ-2020-001").get_data(as_text=True)
    assert 'value="MZYJ-2020-001"' in form


def test_no_personal_data_outside_the_sealed_column(desk_app, caplog, database_url, tmp_path):
    caplog.set_level(logging.DEBUG)
    client = desk_app.test_client()
    number, secret, _ = apply(client, address="广东省梅州市金丝雀路1号")
    desk = signed_in(desk_app, "clerk")
    with desk_app.app_context():
        application_id = db.session.scalar(select(Application.id))
    page = desk.get(f"/admin/applications/{application_id}").get_data(as_text=True)
    assert NAME in page and ID_NUMBER in page and "金丝雀路" in page  # the handler reads them
    desk.post(f"/admin/applications/{application_id}/act", data={
        "action": "note", "text": "已电话联系金丝雀申请人核实", "version": "1",
        "csrf_token": csrf(desk, f"/admin/applications/{application_id}")})
    with desk_app.app_context():
        dump = "\n".join(repr(tuple(row)) for table in inspect(db.engine).get_table_names()
                         for row in db.session.execute(text(f'SELECT * FROM "{table}"')))
    files = [path.read_bytes() for path in tmp_path.glob("portal.sqlite3*")]
    for canary in (NAME, ID_NUMBER, PHONE, "金丝雀路", DESCRIPTION[:20], "金丝雀申请人核实", secret):
        assert canary not in dump, canary
        assert not any(canary.encode() in blob for blob in files), canary
        assert canary not in caplog.text, canary


def test_the_desk_is_for_request_handlers_only(desk_app):
    client = desk_app.test_client()
    apply(client)
    editor = signed_in(desk_app, "writer")
    assert editor.get("/admin/applications").status_code == 403
    assert editor.get("/admin/applications/1").status_code == 403


def test_staff_enter_a_letter_with_the_day_it_was_signed_for(desk_app, today):
    today.set(dt.date(2026, 10, 9))
    desk = signed_in(desk_app, "clerk")
    data = {**FORM, "channel": "post", "sent_on": "2026-10-03", "csrf_token": csrf(desk, "/admin/applications/new")}
    page = desk.post("/admin/applications/new", data=data).get_data(as_text=True)
    assert "已登记" in page and 'aria-label="回执码' in page
    with desk_app.app_context():
        application = db.session.scalar(select(Application))
        # By post the day signed for is the day of receipt, even on a holiday (Art. 31).
        assert (application.channel, application.received_on) == ("post", dt.date(2026, 10, 3))


def test_statistics_and_the_annual_table(desk_app):
    from portal.applications import demo

    with desk_app.app_context():
        assert demo.load() == len(demo.DEMOS)
        assert demo.load(if_empty=True) == 0
    client = desk_app.test_client()
    page = client.get("/apply/statistics").get_data(as_text=True)
    assert "本年截至昨日收到申请 <strong>0</strong> 件" in page  # demo applications are not counted
    editor = signed_in(desk_app, "writer")
    table = editor.get(f"/admin/applications/annual/{dt.date.today().year}").get_data(as_text=True)
    assert "各列均平衡" in table and "结转下年度继续办理" in table
    response = editor.post(f"/admin/applications/annual/{dt.date.today().year}",
                           data={"csrf_token": csrf(editor, "/admin/")})
    assert response.status_code == 302 and "/admin/drafts/" in response.headers["Location"]


def test_only_a_link_into_the_site_becomes_a_link_in_the_answer(desk_app, today):
    today.set(dt.date(2026, 9, 17))  # a working day: on a weekend it is received (and answerable) on Monday
    client = desk_app.test_client()
    results = {}
    for link in ("/disclosures/2020-integrity-plan", "javascript:alert(1)", "//evil.example/x", "/\\evil.example",
                 "/\tevil"):
        number, secret, _ = apply(client)
        with desk_app.app_context():
            application = db.session.scalar(select(Application).where(Application.number == number))
            services.answer(application, accounts.find_user("clerk"), application.version, "already_published", "",
                            {"text": "已主动公开。", "links": link})
        results[link] = _status(client, number, secret).get_data(as_text=True)
    assert 'href="/disclosures/2020-integrity-plan"' in results["/disclosures/2020-integrity-plan"]
    assert 'href="javascript' not in results["javascript:alert(1)"] and "javascript:alert(1)" in results["javascript:alert(1)"]
    assert 'href="//evil' not in results["//evil.example/x"]
    assert 'href="/\\evil' not in results["/\\evil.example"] and "evil.example" in results["/\\evil.example"]
    assert 'href="/\tevil' not in results["/\tevil"]


def test_the_answer_letter_as_a_pdf(desk_app, today):
    import io

    from pypdf import PdfReader

    today.set(dt.date(2026, 9, 17))
    client = desk_app.test_client()
    number, secret, _ = apply(client, address="广东省梅州市金丝雀路1号")
    data = {"number": number, "secret": secret, "csrf_token": csrf(client, "/apply/status")}
    assert client.post("/apply/letter.pdf", data=data).status_code == 404  # not answered yet
    with desk_app.app_context():
        application = db.session.scalar(select(Application))
        services.answer(application, accounts.find_user("clerk"), application.version, "withheld", "state_secret",
                        {"text": "经审查，该信息属于国家秘密。", "basis": "《条例》第十四条"})
    response = client.post("/apply/letter.pdf", data=data)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "答复书" in text and "梅应急依申复〔2026〕1号" in text and "属于国家秘密" in text and NAME not in text
    assert client.post("/apply/letter.pdf", data={**data, "secret": "A" * 24}).status_code == 400
    desk = signed_in(desk_app, "clerk")
    copy = desk.get("/admin/applications/1/letter.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(copy.data)).pages)
    assert NAME in text and "金丝雀路" in text  # the desk's copy, for mailing


def test_the_same_form_sent_twice_files_once_and_shows_the_same_receipt(desk_app):
    client = desk_app.test_client()
    page = client.get("/apply/").get_data(as_text=True)
    import re

    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    data = {**FORM, "form_token": token, "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}
    first, again = client.post("/apply/", data=data), client.post("/apply/", data=data)
    assert first.status_code == again.status_code == 200
    numbers = [NUMBER_RE.search(r.get_data(as_text=True)).group(1) for r in (first, again)]
    assert numbers[0] == numbers[1]
    secrets = [SECRET_RE.search(r.get_data(as_text=True)).group(1) for r in (first, again)]
    assert secrets[0] == secrets[1]
    with desk_app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 1
    assert client.post("/apply/", data={**data, "form_token": "short"}).status_code == 400


def test_the_applicant_sees_the_third_partys_deadline_while_it_is_consulted(desk_app, today):
    today.set(dt.date(2026, 6, 1))
    client = desk_app.test_client()
    number, secret, _ = apply(client)
    with desk_app.app_context():
        application = db.session.scalar(select(Application))
        services.pause(application, accounts.find_user("clerk"), application.version, "third_party", "征求某公司意见。")
    page = _status(client, number, secret).get_data(as_text=True)
    assert "第三方意见期限" in page and "2026-06-23" in page.replace("年", "-").replace("月", "-").replace("日", "")
    assert "暂停计时中" in page  # no due date while the clock is stopped


def test_the_form_token_sent_from_another_browser_gets_no_secret(desk_app):
    """The token of a form another person filed (seen on a shared computer, in a proxy's log)
    sent again from another session: "already submitted", neither the number nor the secret."""
    import re

    victim = desk_app.test_client()
    page = victim.get("/apply/").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    data = {**FORM, "form_token": token, "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}
    first = victim.post("/apply/", data=data)
    number, secret = NUMBER_RE.search(first.get_data(as_text=True)).group(1), SECRET_RE.search(first.get_data(as_text=True)).group(1)

    attacker = desk_app.test_client()
    again = attacker.post("/apply/", data={**data, "csrf_token": csrf(attacker)})
    body = again.get_data(as_text=True)
    assert again.status_code == 409 and "已经提交过了" in body
    assert number not in body and secret not in body and secret.replace(" ", "") not in body

    # An unused token from another browser files nothing either (else its owner would later be
    # shown the stranger's receipt): the form comes back filled in.
    page = victim.get("/apply/").get_data(as_text=True)
    unused = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    refused = attacker.post("/apply/", data={**data, "form_token": unused, "csrf_token": csrf(attacker)})
    assert refused.status_code == 400 and DESCRIPTION in refused.get_data(as_text=True)
    with desk_app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 1
    # The victim's own browser still files it.
    assert victim.post("/apply/", data={**data, "form_token": unused}).status_code == 200


def test_one_id_number_however_written_is_one_applicant_for_the_fee_bands(desk_app):
    spellings = ["44140019900101123X", "441400-19900101-123x", "４４１４００１９９００１０１１２３Ｘ",
                 "441400 1990 0101 123X", "441400－19900101－123Ⅹ".replace("Ⅹ", "X")]
    for spelling in spellings:
        number, _, response = apply(desk_app.test_client(), id_number=spelling)
        assert response.status_code == 200 and number
    with desk_app.app_context():
        hashes = db.session.scalars(select(Application.applicant_hash)).all()
        assert len(hashes) == len(spellings) and len(set(hashes)) == 1
        assert {services.personal(a)["id_number"] for a in db.session.scalars(select(Application))} == {ID_NUMBER}


def test_an_application_is_counted_and_audited_by_its_day_only(desk_app):
    """/apply/statistics counts completed days, and the audit row of a citizen's filing carries
    the day, not the microsecond: neither can be watched for the moment one arrives."""
    from sqlalchemy import update

    from portal.clock import today
    from portal.staff.models import AuditEntry

    client = desk_app.test_client()
    number, _, response = apply(client)
    assert response.status_code == 200
    if today().month == 1 and today().day == 1:
        pytest.skip("yesterday is another year's page")
    assert "本年截至昨日收到申请 <strong>0</strong> 件" in client.get("/apply/statistics").get_data(as_text=True)
    with desk_app.app_context():
        stamp = db.session.scalar(select(AuditEntry.at).where(AuditEntry.action == "application_received"))
        assert (stamp.hour, stamp.minute, stamp.second, stamp.microsecond) == (0, 0, 0, 0)
        db.session.execute(update(Application).values(received_on=today() - dt.timedelta(days=1)))
        db.session.commit()
    assert "本年截至昨日收到申请 <strong>1</strong> 件" in client.get("/apply/statistics").get_data(as_text=True)
