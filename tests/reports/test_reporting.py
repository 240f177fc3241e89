"""The reporter's side: the form, the receipt code, follow-up, and what is (not) stored."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.reports import crypto, receipts
from portal.reports.models import Report, ReportFile
from tests.reports.conftest import CSRF_RE, DESCRIPTION, csrf, follow_up, receipt_code, report_form, submit

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_a_report_gets_a_receipt_code_of_120_bits_shown_in_groups(client, app):
    response = submit(client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    code = receipt_code(response)
    assert len(code) == receipts.LENGTH and set(code) <= set(receipts.ALPHABET)
    assert len(receipts.ALPHABET) ** receipts.LENGTH >= 2 ** 112
    page = response.get_data(as_text=True)
    assert page.count('<span>') >= 6  # six groups of four
    with app.app_context():
        report = db.session.scalar(select(Report))
        # Stored only as a keyed hash: not the code, not its plain SHA-256.
        assert report.receipt_hash == crypto.keyed_hash(app.extensions["portal.settings"].receipt_pepper, "receipt", code)
        assert code not in repr([getattr(report, c.key) for c in Report.__table__.columns])
        assert report.status == "registered" and report.due_on > report.received_on


def test_codes_differ_and_typing_is_forgiving():
    codes = {receipts.new_code() for _ in range(200)}
    assert len(codes) == 200
    code = next(iter(codes))
    typed = "-".join(receipts.grouped(code)).lower().replace("0", "o").replace("1", "l")
    assert receipts.normalise(" " + typed + " ") == code
    assert receipts.normalise(code[:-1]) is None and receipts.normalise(code + "U") is None


def test_follow_up_shows_status_and_lets_the_reporter_add_a_message_and_a_file(client, app):
    code = receipt_code(submit(client))
    page = follow_up(client, "-".join(receipts.grouped(code)).lower())
    assert page.status_code == 200 and "已登记" in page.get_data(as_text=True)
    page = follow_up(client, code, action="message", message="补充：涉事人员姓氏为王。",
                     files=[(io.BytesIO(PDF), "补充.pdf")])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "补充内容已提交" in text and "补充：涉事人员姓氏为王。" in text
    assert 'value="%s"' % code in text  # the code travels in the POST body of the next form, never a URL
    with app.app_context():
        assert db.session.scalar(select(ReportFile)) is not None


def test_the_code_is_accepted_only_by_post(client):
    code = receipt_code(submit(client))
    response = client.get(f"/report/follow-up?receipt={code}")
    assert response.status_code == 200 and "已登记" not in response.get_data(as_text=True)
    assert code not in response.get_data(as_text=True)


def _without_token(response) -> str:
    return CSRF_RE.sub("", response.get_data(as_text=True))


def test_a_wrong_code_and_an_unknown_code_get_the_same_answer(client):
    code = receipt_code(submit(client))
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")  # one character off a real code
    unknown = receipts.new_code()
    malformed = "not a code <script>"
    answers = [follow_up(client, typed) for typed in (wrong, unknown, malformed)]
    assert {a.status_code for a in answers} == {400}
    assert len({_without_token(a) for a in answers}) == 1
    assert "<script>" not in _without_token(answers[2])


def test_another_servers_pepper_cannot_open_a_report(make_app, desk_app):
    first = desk_app()
    code = receipt_code(submit(first.test_client()))
    with first.app_context():
        stolen = db.session.scalar(select(Report)).receipt_hash
    # The same code hashed with another pepper does not give the stored value.
    assert crypto.keyed_hash("another pepper", "receipt", code) != stolen


def test_honeypot_and_minimum_length(client, app):
    response = submit(client, website="http://spam.example")
    assert response.status_code == 400 and "提交未能完成" in response.get_data(as_text=True)
    response = submit(client, description="太短了")
    assert response.status_code == 400 and "至少 20 个字" in response.get_data(as_text=True)
    # What the reporter wrote is kept in the form when it comes back.
    assert "太短了" in response.get_data(as_text=True)
    response = submit(client, anonymity="confidential", contact="")
    assert response.status_code == 400 and "请留下联系方式" in response.get_data(as_text=True)
    response = submit(client, anonymity="anonymous", contact="13800000000")
    assert response.status_code == 400 and "请清空联系方式" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Report)) is None


def test_without_a_desk_key_the_form_says_to_call_12345(make_app):
    app = make_app()
    client = app.test_client()
    assert "网上举报暂未开通" in client.get("/report/").get_data(as_text=True)
    data = {**report_form(department=""), "csrf_token": csrf(client, "/report/follow-up")}
    response = client.post("/report/", data=data)
    assert response.status_code == 503 and "12345" in response.get_data(as_text=True)


def test_the_privacy_notice_is_on_the_form_and_no_asset_comes_from_another_host(client):
    page = client.get("/report/").get_data(as_text=True)
    assert "不保存您的 IP 地址" in page and "每天更换的密钥" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


def _statistics_rows(client) -> dict:
    page = client.get("/report/statistics").get_data(as_text=True)
    assert DESCRIPTION not in page
    return dict(re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td>([^<]+)</td>", page))


def _tomorrow(monkeypatch):
    import datetime as dt

    from portal.reports import statistics

    tomorrow = statistics.today() + dt.timedelta(days=1)
    monkeypatch.setattr(statistics, "today", lambda: tomorrow)


def test_statistics_do_not_move_until_the_day_is_over(client, monkeypatch):
    """Someone polling the page cannot date a report: today's figures were fixed at midnight."""
    before = _statistics_rows(client)
    for _ in range(3):
        submit(client, category="procurement")
    assert _statistics_rows(client) == before
    _tomorrow(monkeypatch)
    assert _statistics_rows(client)["政府采购"] == "3"


def test_statistics_suppress_small_counts(client, app, monkeypatch):
    for _ in range(4):
        submit(client, category="procurement")
    submit(client, category="tendering")
    _tomorrow(monkeypatch)
    by_label = _statistics_rows(client)
    assert by_label["招标投标"] == "&lt;3"
    assert by_label["其他"] == "0"
    # 政府采购 (4) would give 招标投标 away (the month's total minus 4): it is hidden as well.
    assert by_label["政府采购"] == "*"


def test_a_lone_small_cell_is_never_derivable_from_the_others():
    from portal.reports.statistics import Counts, _hide_complements

    rows = [Counts(received=n) for n in (7, 1, 4, 0, 12)]
    _hide_complements(rows)
    assert [row.shown("received") for row in rows] == ["7", "<3", "*", "0", "12"]
    rows = [Counts(received=n) for n in (7, 1, 2, 5)]
    _hide_complements(rows)  # two small cells already hide each other
    assert [row.shown("received") for row in rows] == ["7", "<3", "<3", "5"]


def test_the_kdf_of_the_desk_passphrase_is_not_the_test_profile(cheap_desk_key_derivation):
    import nacl.pwhash.argon2id as argon2id

    assert cheap_desk_key_derivation["opslimit"] >= argon2id.OPSLIMIT_MODERATE
    assert cheap_desk_key_derivation["memlimit"] >= argon2id.MEMLIMIT_MODERATE


def test_the_home_page_says_when_online_reporting_is_not_open_and_when_it_opens(make_app):
    from portal.reports import services as report_services

    app = make_app()
    client = app.test_client()
    assert "网上举报暂未开通" in client.get("/").get_data(as_text=True)
    assert "12345" in client.get("/").get_data(as_text=True)
    with app.app_context():
        report_services.create_desk_key("a long desk passphrase")
    home = client.get("/").get_data(as_text=True)
    assert "网上举报暂未开通" not in home and "匿名举报" in home
