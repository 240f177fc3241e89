"""Hostile and broken input on the report form: a clear message, and all or nothing stored."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.files import SealedFileStore
from portal.files.sealed import SealedFile
from portal.reports.models import Report, ReportFile
from tests.quality.test_hostile_input import XSS, hostile_strings
from tests.reports.conftest import csrf, form_tokens, report_form, submit

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _counts(app) -> tuple[int, int, int]:
    """Reports, file records and stored (sealed) files."""
    with app.app_context():
        return (db.session.scalar(select(func.count(Report.id))),
                db.session.scalar(select(func.count(ReportFile.id))),
                db.session.scalar(select(func.count()).select_from(SealedFile)))


@pytest.mark.parametrize("field", ["category", "department", "occurred", "description", "anonymity", "contact"])
def test_every_field_survives_hostile_strings(client, field):
    for number, value in enumerate(hostile_strings()[::7] + XSS):
        # Each from its own address: the submission limit is not what this test is about.
        client.environ_base["REMOTE_ADDR"] = f"10.0.{number // 250}.{number % 250}"
        response = submit(client, **{field: value})
        body = response.get_data(as_text=True)
        assert response.status_code in (200, 400), (field, value)
        for payload in XSS:
            if payload in value and "<" in payload:
                assert payload not in body, (field, payload)


def test_an_oversized_request_gets_a_friendly_413(client, app):
    huge = io.BytesIO(b"%PDF-" + b"0" * (17 * 1024 * 1024))
    response = submit(client, files=[(huge, "big.pdf")])
    assert response.status_code == 413 and "超过了大小限制" in response.get_data(as_text=True)
    assert _counts(app) == (0, 0, 0)


def test_a_file_over_the_per_file_limit_is_refused_by_name(client, app):
    response = submit(client, files=[(io.BytesIO(b"%PDF-" + b"0" * (11 * 1024 * 1024)), "scan.pdf")])
    assert response.status_code == 400 and "超过 10 MB" in response.get_data(as_text=True)
    assert _counts(app) == (0, 0, 0)


def test_a_thousand_and_one_form_parts_get_413(client, app):
    data = {**report_form(), **form_tokens(client)}
    data.update({f"extra{i}": "x" for i in range(1001)})
    response = client.post("/report/", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert _counts(app) == (0, 0, 0)


@pytest.mark.parametrize("name", ["../../x.pdf", "evil\x00.pdf", "invoice\u202efdp.exe.pdf", "report.pdf.html",
                                  "C:\\Windows\\system32\\x.pdf", ".pdf"])
def test_hostile_file_names_are_never_used_in_storage(client, app, name):
    response = submit(client, files=[(io.BytesIO(PDF), name)])
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    with app.app_context():
        stored = list(db.session.scalars(select(SealedFile.name)))
    assert stored and all(len(n) == 32 and n.isalnum() for n in stored)


@pytest.mark.parametrize("content, name, message", [
    (b"<html><script>alert(1)</script></html>", "statement.pdf", "不是允许的类型"),
    (b"", "empty.pdf", "是空文件"),
    (b"MZ\x90\x00" + b"\x00" * 100, "photo.jpg", "不是允许的类型"),
    (b"PK\x03\x04not really a zip", "table.xlsx", "不是允许的类型"),
])
def test_files_are_judged_by_content(client, app, content, name, message):
    response = submit(client, files=[(io.BytesIO(content), name)])
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and message in body
    assert "其他内容已保留" in body and "某科室工作人员" in body  # the account is not lost
    assert _counts(app) == (0, 0, 0)


def test_a_failure_half_way_leaves_no_row_and_no_file(client, app, monkeypatch):
    real_put = SealedFileStore.put
    calls = []

    def put_then_fail(self, data):
        calls.append(1)
        if len(calls) == 2:  # the first file is written, the second write dies
            raise OSError("disk full")
        return real_put(self, data)

    monkeypatch.setattr(SealedFileStore, "put", put_then_fail)
    response = submit(client, files=[(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(PDF + b" "), "b.pdf")])
    assert response.status_code == 500 and "服务器暂时出错" in response.get_data(as_text=True)
    assert _counts(app) == (0, 0, 0)


def test_a_request_cut_off_half_way_stores_nothing(client, app):
    boundary = "cutcutcut"
    fields = {**report_form(), **form_tokens(client)}
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items())
    body += f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n\r\n%PDF-1.4 partial'
    response = client.post("/report/", data=body.encode(), content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code in (400, 413) or "举报已登记" not in response.get_data(as_text=True)
    assert _counts(app) == (0, 0, 0)


def test_a_failed_commit_removes_the_files_already_written(client, app, monkeypatch):
    def refuse():
        raise RuntimeError("database went away")

    from portal.reports import services

    monkeypatch.setattr(services.db.session, "commit", refuse)
    response = submit(client, files=[(io.BytesIO(PDF), "a.pdf")])
    assert response.status_code == 500
    monkeypatch.undo()
    assert _counts(app) == (0, 0, 0)


def test_thirty_wrong_codes_are_slowed_down_without_locking_out_others(client, app):
    statuses = []
    for _ in range(30):
        data = {"receipt": "WRONG", "csrf_token": csrf(client, "/report/follow-up")}
        statuses.append(client.post("/report/follow-up", data=data).status_code)
    assert statuses[:20] == [400] * 20 and set(statuses[20:]) == {429}
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.99"
    data = {"receipt": "WRONG", "csrf_token": csrf(other, "/report/follow-up")}
    assert other.post("/report/follow-up", data=data).status_code == 400


def test_submissions_are_rate_limited_per_address(client):
    statuses = [submit(client).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]


def test_follow_up_fields_survive_hostile_strings(client, app):
    from tests.reports.conftest import follow_up, receipt_code

    code = receipt_code(submit(client))
    for number, value in enumerate(hostile_strings()[::11] + XSS):
        client.environ_base["REMOTE_ADDR"] = f"10.1.{number // 250}.{number % 250}"  # not the limiter's test
        for response in (follow_up(client, value), follow_up(client, code, action="message", message=value)):
            body = response.get_data(as_text=True)
            assert response.status_code in (200, 400), value
            for payload in XSS:
                if payload in value and "<" in payload:
                    assert payload not in body, payload
