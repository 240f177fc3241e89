"""The report desk: unlocking, reading, answering, deadlines in Chinese working days, retention."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from portal.staff.models import AuditEntry, Role, StaffSession
from portal.clock import today
from portal.extensions import db
from portal.files.sealed import SealedFile
from portal.reports import services
from portal.reports.models import Report
from portal.workdays import WorkdayCalendar, YearArrangement, load_arrangements
from tests.admin.conftest import make_staff, post, signed_in
from tests.reports.conftest import DESCRIPTION, PASSPHRASE, follow_up, receipt_code, submit


@pytest.fixture
def handler(app):
    make_staff(app, "handler", Role.REPORT_HANDLER)
    make_staff(app, "second", Role.REPORT_HANDLER)
    return signed_in(app, "handler")


def _report_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Report.id).order_by(Report.id.desc()))


def _version(app, report_id) -> int:
    with app.app_context():
        return db.session.get(Report, report_id).version


def unlock(client):
    response = post(client, "/admin/reports/unlock", {"passphrase": PASSPHRASE})
    assert response.status_code == 302, response.get_data(as_text=True)


def test_content_needs_the_unlocked_desk_and_lock_forgets_the_key(app, client, handler):
    submit(client)
    report_id = _report_id(app)
    queue = handler.get("/admin/reports").get_data(as_text=True)
    assert f"#{report_id}" in queue and "行政审批超时" in queue and DESCRIPTION not in queue
    response = handler.get(f"/admin/reports/{report_id}")
    assert response.status_code == 302 and "/admin/reports/unlock" in response.headers["Location"]

    wrong = post(handler, "/admin/reports/unlock", {"passphrase": "not the passphrase"})
    assert wrong.status_code == 400 and "口令不正确" in wrong.get_data(as_text=True)
    unlock(handler)
    page = handler.get(f"/admin/reports/{report_id}").get_data(as_text=True)
    assert DESCRIPTION in page and "2026年10月中旬" in page
    with app.app_context():
        row = db.session.scalar(select(StaffSession).where(StaffSession.desk_key.is_not(None)))
        assert row is not None and len(row.desk_key) > 32  # stored wrapped, never the bare key

    post(handler, "/admin/reports/lock")
    assert handler.get(f"/admin/reports/{report_id}").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(StaffSession).where(StaffSession.desk_key.is_not(None))) is None


def test_the_cookie_alone_or_the_database_alone_cannot_read(app, client, handler):
    submit(client)
    unlock(handler)
    # Another browser of the same person (new login: new session row, no wrap key in its cookie).
    other = signed_in(app, "handler")
    assert other.get(f"/admin/reports/{_report_id(app)}").status_code == 302


def test_full_flow_reporter_and_desk(app, client, handler):
    code = receipt_code(submit(client, anonymity="confidential", contact="微信 wx-test-123"))
    report_id = _report_id(app)
    unlock(handler)
    assert "微信 wx-test-123" in handler.get(f"/admin/reports/{report_id}").get_data(as_text=True)

    with app.app_context():
        from portal.staff import accounts

        second_id = accounts.find_user("second").id
    response = post(handler, f"/admin/reports/{report_id}/assign", {"handler": second_id, "version": _version(app, report_id)})
    assert response.status_code == 302
    assert "Second" in handler.get("/admin/reports?mine=0").get_data(as_text=True)
    post(handler, f"/admin/reports/{report_id}/note", {"text": "内部：先核实审批台账。"})
    response = post(handler, f"/admin/reports/{report_id}/status",
                    {"status": "accepted", "reason": "已受理，将在30日内核查。", "version": _version(app, report_id)})
    assert response.status_code == 302
    post(handler, f"/admin/reports/{report_id}/reply", {"text": "请补充具体办理窗口。"})

    seen = follow_up(client, code).get_data(as_text=True)
    assert "已受理" in seen and "已受理，将在30日内核查。" in seen and "请补充具体办理窗口。" in seen
    assert "先核实审批台账" not in seen  # internal notes stay internal

    follow_up(client, code, action="message", message="是三号窗口。")
    assert "是三号窗口。" in handler.get(f"/admin/reports/{report_id}").get_data(as_text=True)

    post(handler, f"/admin/reports/{report_id}/status",
         {"status": "transferred", "reason": "已转市纪委监委", "version": _version(app, report_id)})
    post(handler, f"/admin/reports/{report_id}/status",
         {"status": "concluded", "reason": "经查属实，已责令整改。", "version": _version(app, report_id)})
    seen = follow_up(client, code).get_data(as_text=True)
    assert "已办结" in seen and "已转市纪委监委" in seen and "补充说明" not in seen  # no more messages
    refused = follow_up(client, code, action="message", message="再补充一句。")
    assert refused.status_code == 400 and "已经办结" in refused.get_data(as_text=True)

    with app.app_context():
        entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "report")))
        actions = [e.action for e in entries]
        assert {"report_viewed", "report_note", "report_status", "report_reply", "report_assigned"} <= set(actions)
        dumped = repr([(e.detail, e.data, e.object_id) for e in entries])
        for secret in ("三号窗口", "台账", "wx-test-123", "整改", DESCRIPTION[:10]):
            assert secret not in dumped


def test_invalid_status_changes_are_refused_with_a_message(app, client, handler):
    submit(client)
    report_id = _report_id(app)
    unlock(handler)
    response = post(handler, f"/admin/reports/{report_id}/status",
                    {"status": "rejected", "reason": "", "version": _version(app, report_id)})
    assert response.status_code == 400 and "不予受理的理由" in response.get_data(as_text=True)
    response = post(handler, f"/admin/reports/{report_id}/status",
                    {"status": "concluded", "reason": "x", "version": _version(app, report_id)})
    assert response.status_code == 400 and "不能改为" in response.get_data(as_text=True)
    stale = _version(app, report_id)
    post(handler, f"/admin/reports/{report_id}/status", {"status": "accepted", "version": stale})
    response = post(handler, f"/admin/reports/{report_id}/status", {"status": "rejected", "reason": "重复", "version": stale},
                    follow_redirects=True)
    assert "其他受理人刚刚修改" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Report, report_id).status == "accepted"


def test_staff_enter_a_report_from_another_channel_and_the_code_works(app, client, handler):
    response = post(handler, "/admin/reports/new", {
        "channel": "hotline_12345", "received_on": "2026-11-20", "category": "procurement", "department": "",
        "occurred": "", "description": "来电反映某采购项目评标过程中存在围标串标情况，请核查。", "anonymity": "anonymous",
    })
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    code = re.search(r'aria-label="回执码 ([0-9A-Z ]+)"', response.get_data(as_text=True)).group(1).replace(" ", "")
    assert "已登记" in follow_up(client, code).get_data(as_text=True)
    with app.app_context():
        report = db.session.get(Report, _report_id(app))
        assert report.channel == "hotline_12345" and report.received_on == dt.date(2026, 11, 20)
        assert report.due_on == dt.date(2026, 11, 27)  # five working days: 23, 24, 25, 26, 27 November
    response = post(handler, "/admin/reports/new", {"channel": "web", "received_on": "2099-01-01", "category": "x",
                                                     "description": "短", "anonymity": "anonymous"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "请选择举报渠道" in text and "收到举报的日期" in text


def test_files_are_downloads_and_images_get_a_copy_without_exif(app, client, handler):
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = image.getexif()
    exif[0x010F] = "CanaryCameraMaker"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    submit(client, files=[(io.BytesIO(buffer.getvalue()), "现场.jpg")])
    report_id = _report_id(app)
    unlock(handler)
    page = handler.get(f"/admin/reports/{report_id}").get_data(as_text=True)
    assert "现场.jpg" in page and "去除元数据的副本" in page
    original = handler.get(f"/admin/reports/{report_id}/files/1")
    clean = handler.get(f"/admin/reports/{report_id}/files/1?copy=clean")
    for response in (original, clean):
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "现场" not in response.headers["Content-Disposition"]
    assert b"CanaryCameraMaker" in original.data and b"CanaryCameraMaker" not in clean.data
    assert Image.open(io.BytesIO(clean.data)).size == (40, 30)


def test_deadlines_count_chinese_working_days_across_a_holiday_with_make_up_days():
    calendar = WorkdayCalendar()
    # 2026 National Day: 1–7 October off, Sunday 20 September and Saturday 10 October worked (调休).
    deadline = calendar.add_working_days(dt.date(2026, 9, 30), 5)
    assert deadline.due_on == dt.date(2026, 10, 13) and not deadline.provisional
    # From Friday 18 September, the make-up Sunday 20 September counts.
    assert calendar.add_working_days(dt.date(2026, 9, 18), 1).due_on == dt.date(2026, 9, 20)
    # Counted as Monday–Friday the result would be wrong.
    assert calendar.add_working_days(dt.date(2026, 9, 30), 5).due_on != dt.date(2026, 10, 7)


def test_an_unknown_year_skips_its_statutory_holidays_and_is_provisional_until_added(tmp_path):
    deadline = WorkdayCalendar().add_working_days(dt.date(2026, 12, 30), 3)
    # 元旦 2027 is not counted even before the year's arrangement is published.
    assert (deadline.due_on, deadline.provisional) == (dt.date(2027, 1, 5), True)
    assert deadline.holidays == ((dt.date(2027, 1, 1), "元旦"),)
    data = tmp_path / "workdays.yaml"
    data.write_text("2027:\n  holidays: [2027-01-01]\n  workdays: [2027-01-02]\n", encoding="utf-8")
    known = WorkdayCalendar(load_arrangements(data)).add_working_days(dt.date(2026, 12, 30), 3)
    assert known.due_on == dt.date(2027, 1, 4) and not known.provisional
    assert WorkdayCalendar(load_arrangements(data)).is_workday(dt.date(2027, 1, 2)) == (True, True)
    assert load_arrangements(tmp_path / "missing.yaml") == {}


def test_the_shipped_data_file_loads():
    assert isinstance(load_arrangements(), dict)


def test_purge_deletes_concluded_reports_and_their_files_after_retention(app, client, handler):
    submit(client, files=[(io.BytesIO(b"evidence text file"), "e.txt")])
    report_id = _report_id(app)
    unlock(handler)
    post(handler, f"/admin/reports/{report_id}/status", {"status": "rejected", "reason": "不属于受理范围",
                                                          "version": _version(app, report_id)})
    submit(client)  # still open: kept
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SealedFile)) == 1
        assert services.purge_expired() == 0  # concluded today: kept
        later = today() + dt.timedelta(days=app.extensions["portal.settings"].report_retention_days + 1)
        assert services.purge_expired(on=later) == 1
        assert db.session.get(Report, report_id) is None
        assert db.session.scalar(select(Report)) is not None
        assert db.session.scalar(select(func.count()).select_from(SealedFile)) == 0
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reports_purged")).detail == "1"


def test_a_handler_creates_the_desk_key_once_and_the_form_opens(make_app):
    app = make_app()
    make_staff(app, "handler", Role.REPORT_HANDLER)
    handler = signed_in(app, "handler")
    public = app.test_client()
    assert "网上举报暂未开通" in public.get("/report/").get_data(as_text=True)
    assert handler.get("/admin/reports").get_data(as_text=True).count("尚未创建举报加密密钥") == 1
    response = post(handler, "/admin/reports/key", {"passphrase": "a long desk passphrase", "confirm": "another one"})
    assert response.status_code == 400 and "不一致" in response.get_data(as_text=True)
    response = post(handler, "/admin/reports/key", {"passphrase": "short", "confirm": "short"})
    assert response.status_code == 400 and "至少 12 个字符" in response.get_data(as_text=True)
    response = post(handler, "/admin/reports/key", {"passphrase": "a long desk passphrase", "confirm": "a long desk passphrase"})
    assert response.status_code == 302
    assert "提交举报" in public.get("/report/").get_data(as_text=True)
    # A second key would make every earlier report unreadable: the page refuses to make one.
    assert handler.get("/admin/reports/key").status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "desk_key_created"))
        assert entry.actor_name == "handler"


@pytest.mark.parametrize("abandoned_for", [dt.timedelta(minutes=31), dt.timedelta(hours=12, minutes=1)])
def test_an_abandoned_unlocked_session_holds_no_key_after_its_expiry(app, handler, runner, abandoned_for):
    """The browser never comes back: the sweep (cron, and every login) wipes the key anyway."""
    from portal.staff import accounts

    unlock(handler)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession).where(StaffSession.desk_key.is_not(None))) == 1
        accounts.sweep_expired_sessions()  # not expired yet: kept
        assert db.session.scalar(select(func.count()).select_from(StaffSession).where(StaffSession.desk_key.is_not(None))) == 1
        later = accounts.utcnow() + abandoned_for
        if abandoned_for < dt.timedelta(hours=1):
            assert accounts.sweep_expired_sessions(later) == 1
        else:  # kept busy (touched) until the absolute limit
            db.session.execute(update(StaffSession).values(last_seen_at=later))
            db.session.commit()
            assert accounts.sweep_expired_sessions(later) == 1
        rows = list(db.session.scalars(select(StaffSession)))
        assert all(row.desk_key is None and row.revoked_at is not None for row in rows)


def test_the_sweep_command_and_every_login_wipe_keys_of_ended_sessions(app, handler, runner):
    unlock(handler)
    with app.app_context():
        # A session ended some other way (say, a crash between revoking and wiping) keeps its key.
        db.session.execute(update(StaffSession).values(revoked_at=accounts_now()))
        db.session.commit()
    result = runner.invoke(args=["users", "sweep-sessions"])
    assert result.exit_code == 0 and "1 session" in result.output
    with app.app_context():
        assert db.session.scalar(select(StaffSession.desk_key)) is None
    unlock(signed_in(app, "second"))
    with app.app_context():
        db.session.execute(update(StaffSession).values(revoked_at=accounts_now()))
        db.session.commit()
    signed_in(app, "handler")  # a login sweeps too
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession).where(StaffSession.desk_key.is_not(None))) == 0


def accounts_now():
    from portal.clock import utcnow

    return utcnow()


def test_init_key_tells_the_rule_before_the_passphrase_is_typed_and_speaks_chinese(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "init-key"], input="short\nshort\n")
    assert "至少 12 个字符" in result.output.splitlines()[0]  # the rule is in the first prompt
    assert result.exit_code != 0 and "口令至少 12 个字符" in result.output
    result = runner.invoke(args=["reports", "init-key"], input="a long desk passphrase\na long desk passphrase\n")
    assert result.exit_code == 0 and "举报加密密钥已创建" in result.output
