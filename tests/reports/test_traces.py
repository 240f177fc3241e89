"""What a database copy reveals about reports, and whether anything in it dates one finer than
the day (SECURITY.md, "Reporters": the adversary with a dump)."""
from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from sqlalchemy import inspect, select, text

from portal.extensions import db
from portal.reports import crypto
from portal.reports.models import Report, ReportMessage
from portal.staff.models import Role
from tests.admin.conftest import make_staff, post, signed_in
from tests.reports.conftest import PASSPHRASE, follow_up, receipt_code, submit


@pytest.fixture
def handler_reply(app):
    """A report and the desk's reply to it: (receipt code, report id)."""
    code = receipt_code(submit(app.test_client()))
    make_staff(app, "handler", Role.REPORT_HANDLER)
    handler = signed_in(app, "handler")
    assert post(handler, "/admin/reports/unlock", {"passphrase": PASSPHRASE}).status_code == 302
    with app.app_context():
        report_id = db.session.scalar(select(Report.id))
    post(handler, f"/admin/reports/{report_id}/reply", {"text": "我们已收到您的举报，正在核实。"})
    return code, report_id


def _rows(app) -> list[tuple]:
    with app.app_context():
        rows = []
        for table in inspect(db.engine).get_table_names():
            rows += [(table, *row) for row in db.session.execute(text(f'SELECT * FROM "{table}"'))]
        return rows


def test_nothing_stored_dates_a_report_or_a_follow_up_finer_than_the_day(app):
    """A report with a file, a follow-up and a wrong code, then every value in every table is
    checked: no time of day, no Unix time within the seconds it took."""
    client = app.test_client()
    before = set(map(repr, _rows(app)))  # the fixture's desk key and departments
    started = time.time()
    response = submit(client, files=[(io.BytesIO(b"evidence as plain text"), "e.txt")])
    code = receipt_code(response)
    assert follow_up(client, code, action="message", message="补充情况如下").status_code == 200
    assert follow_up(client, "WRONG").status_code == 400
    assert client.get("/report/statistics").status_code == 200
    ended = time.time()
    for row in [row for row in _rows(app) if repr(row) not in before]:
        for value in row[1:]:
            if isinstance(value, dt.datetime):
                raise AssertionError(f"{row[0]} holds a time of day: {value!r}")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                assert not started - 2 <= value <= ended + 2, f"{row[0]} holds a Unix time: {value!r}"
                assert not (started - 2) * 1000 <= value <= (ended + 2) * 1000, f"{row[0]} holds a Unix time in ms"
            if isinstance(value, str):
                for moment in range(int(started) - 1, int(ended) + 2):
                    local = dt.datetime.fromtimestamp(moment)
                    assert local.strftime("%H:%M:%S") not in value, f"{row[0]} holds a time: {value!r}"


def test_a_dump_alone_cannot_test_a_receipt_code_or_read_a_reply(app, handler_reply):
    code, report_id = handler_reply
    with app.app_context():
        report = db.session.get(Report, report_id)
        stored_key = report.reporter_key
        reply = db.session.scalar(select(ReportMessage.sealed_for_reporter).where(
            ReportMessage.report_id == report_id, ReportMessage.kind == "reply"))
        pepper = app.extensions["portal.settings"].receipt_pepper
    # Without the pepper: neither the old nor any pepper-less derivation gives the stored key …
    assert crypto.public_key_of(crypto.legacy_reporter_private_key(code)) != stored_key
    assert crypto.public_key_of(crypto.reporter_private_key("", code)) != stored_key
    for guess in (crypto.legacy_reporter_private_key(code), crypto.reporter_private_key("", code)):
        try:
            crypto.unseal(guess, reply)
        except crypto.DecryptionFailed:
            continue
        raise AssertionError("a reply opened without the pepper")
    # … while the server, holding the pepper, derives it (the reporter reads the reply).
    assert crypto.public_key_of(crypto.reporter_private_key(pepper, code)) == stored_key
    assert "我们已收到" in crypto.unseal(crypto.reporter_private_key(pepper, code), reply).decode()


def test_a_dump_shows_neither_the_department_nor_the_contact_choice_nor_exact_lengths(app):
    client = app.test_client()
    short = submit(client, department="office", anonymity="anonymous", description="这是一段刚好超过二十个字的举报描述内容，用来比较长度。")
    long = submit(client, department="safety-law", anonymity="confidential", contact="13800000000",
                  description="这是一段更长的举报描述。" * 20)
    assert short.status_code == long.status_code == 200
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("reports")}
        assert not columns & {"department_id", "anonymity", "department", "contact"}
        reports = list(db.session.scalars(select(Report).order_by(Report.id)))
        # ~90 and ~700 bytes of JSON: both in the smallest bucket, so the same length sealed.
        assert len(reports[0].sealed_content) == len(reports[1].sealed_content)
        assert len(reports[0].sealed_context) == len(reports[1].sealed_context)
    dump = repr([row for row in _rows(app) if row[0] != "departments"])
    assert "safety-law" not in dump and "confidential" not in dump and "13800000000" not in dump


def test_reports_filed_before_the_pepper_are_moved_to_it_at_their_first_follow_up(app):
    """An older report's key was derived from the code alone; its reporter still reads every
    reply, and afterwards the stored key no longer answers to the code alone."""
    client = app.test_client()
    code = receipt_code(submit(client))
    legacy = crypto.legacy_reporter_private_key(code)
    with app.app_context():
        report = db.session.scalar(select(Report))
        report.reporter_key = crypto.public_key_of(legacy)
        report.messages.append(ReportMessage(kind="reply", written_on=report.received_on, sealed_for_desk=b"x",
                                             sealed_for_reporter=crypto.seal(report.reporter_key, "旧答复".encode())))
        db.session.commit()
    page = follow_up(client, code).get_data(as_text=True)
    assert "旧答复" in page
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report.reporter_key != crypto.public_key_of(legacy)
    assert "旧答复" in follow_up(client, code).get_data(as_text=True)
