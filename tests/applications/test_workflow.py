"""Every state transition of an application and its refusals, on the services (one transaction
each): 补正 once and in time, the clock restarted, an extension once and before the due date,
pauses, fees, answers with their required content, closings only when the law allows them."""
from __future__ import annotations

import datetime as dt

import pytest

from portal.applications import services
from portal.applications.models import Application, Status
from portal.extensions import db
from portal.staff import accounts
from tests.applications.conftest import FORM

D = dt.date


def _file(today, on: D, channel: str = "in_person", **changes) -> Application:
    today.set(on)
    entry = services.parse_form({**FORM, **changes})
    entry.channel, entry.sent_on = channel, on
    application, _secret = services.submit(entry)
    return application


@pytest.fixture
def ctx(desk_app, today):
    with desk_app.app_context():
        yield accounts.find_user("clerk"), today


def test_a_correction_is_asked_once_within_seven_working_days_and_restarts_the_clock(ctx):
    clerk, today = ctx
    application = _file(today, D(2026, 3, 2))
    assert application.due_on == D(2026, 3, 30)
    today.set(D(2026, 3, 12))  # the 8th working day after receipt: too late
    with pytest.raises(services.ApplicationRefused, match="7 个工作日"):
        services.request_correction(application, clerk, application.version, "请写明文件名称。")
    assert db.session.get(Application, application.id).status == Status.RECEIVED.value  # nothing changed
    today.set(D(2026, 3, 11))
    services.request_correction(application, clerk, application.version, "请写明文件名称。", 10)
    assert application.status == Status.CORRECTING.value and application.due_on is None
    assert application.correction_due_on == D(2026, 3, 25)
    today.set(D(2026, 3, 20))
    services.receive_correction(application, clerk, application.version)
    assert application.corrected_on == D(2026, 3, 20) and application.due_on == D(2026, 4, 20)
    with pytest.raises(services.ApplicationRefused):  # not in 补正 any more, and only once anyway
        services.request_correction(application, clerk, application.version, "再补正一次。")


def test_no_correction_in_time_closes_only_after_the_period(ctx):
    clerk, today = ctx
    application = _file(today, D(2026, 3, 2))
    services.request_correction(application, clerk, application.version, "请写明文件名称。", 5)
    assert application.correction_due_on == D(2026, 3, 9)
    today.set(D(2026, 3, 9))
    with pytest.raises(services.ApplicationRefused, match="补正期限届满"):
        services.answer(application, clerk, application.version, "other", "no_correction", {"text": "视为放弃。"})
    today.set(D(2026, 3, 10))
    services.answer(application, clerk, application.version, "other", "no_correction", {"text": "视为放弃申请。"})
    assert (application.status, application.answer_type, application.answer_reason) == ("closed", "other", "no_correction")


def test_an_extension_once_at_most_twenty_days_before_the_due_date(ctx):
    clerk, today = ctx
    application = _file(today, D(2026, 4, 23))
    assert application.due_on == D(2026, 5, 25)
    for days, approver, message in ((21, "主任", "20 个工作日"), (10, "", "批准人")):
        with pytest.raises(services.ApplicationRefused, match=message):
            services.extend(application, clerk, application.version, days, "材料较多。", approver)
    today.set(D(2026, 5, 26))
    with pytest.raises(services.ApplicationRefused, match="届满前"):
        services.extend(application, clerk, application.version, 20, "材料较多。", "办公室主任")
    services.extend(application, clerk, application.version, 20, "材料较多。", "办公室主任", D(2026, 5, 25))
    assert application.due_on == D(2026, 6, 23) and application.extension_days == 20
    event = application.events[-1]
    assert (event.kind, event.detail["approver"], event.on) == ("extended", "办公室主任", D(2026, 5, 25))
    with pytest.raises(services.ApplicationRefused, match="延长过一次"):
        services.extend(application, clerk, application.version, 5, "再延。", "办公室主任")


def test_a_pause_stops_the_clock_and_is_never_overdue(ctx):
    clerk, today = ctx
    application = _file(today, D(2026, 3, 2))
    today.set(D(2026, 3, 4))
    services.accept(application, clerk, application.version)
    services.pause(application, clerk, application.version, "third_party", "征求某公司意见。")
    assert application.status == "paused" and application.due_on is None
    today.set(D(2026, 5, 1))
    assert not services.is_overdue(application)
    with pytest.raises(services.ApplicationRefused):
        services.answer(application, clerk, application.version, "disclosed", "", {"text": "公开。", "how": "邮寄"})
    services.resume(application, clerk, application.version, D(2026, 3, 10))
    assert application.due_on == D(2026, 4, 3)  # four working days later than 30 March
    assert services.is_overdue(application)  # it is 1 May now
    assert services.days_waited(application) == services.days_waited(application, D(2026, 5, 1))


def test_fees_count_the_applicants_month(ctx, desk_app):
    clerk, today = ctx
    filed = [_file(today, D(2026, 6, 1) + dt.timedelta(days=n % 20)) for n in range(11)]
    other_person = _file(today, D(2026, 6, 20), id_number="OTHER-PERSON")
    with pytest.raises(services.ApplicationRefused, match="无需收费"):
        services.fee_notice(filed[9], clerk, filed[9].version)  # the 10th of the month: free
    with pytest.raises(services.ApplicationRefused, match="无需收费"):
        services.fee_notice(other_person, clerk, other_person.version)
    fee = services.fee_notice(filed[10], clerk, filed[10].version)
    assert fee.amount == 100 and filed[10].status == "paused" and filed[10].fee_amount == 100
    assert filed[10].fee_due_on == services.clock.count(today.value, 20).due_on
    services.waive_fee(filed[10], clerk, filed[10].version, "申请人确有经济困难。")
    assert filed[10].status == "processing" and filed[10].fee_amount == 0


def test_unpaid_fee_closes_only_after_the_payment_period(ctx):
    clerk, today = ctx
    filed = [_file(today, D(2026, 6, 1)) for _ in range(11)]
    application = filed[-1]
    services.fee_notice(application, clerk, application.version)
    with pytest.raises(services.ApplicationRefused, match="缴费期限届满"):
        services.answer(application, clerk, application.version, "other", "unpaid", {"text": "逾期未缴费。"})
    today.set(application.fee_due_on + dt.timedelta(days=1))
    services.answer(application, clerk, application.version, "other", "unpaid", {"text": "逾期未缴费。"})
    assert application.status == "closed"


@pytest.mark.parametrize("answer_type, reason, fields, message", [
    ("", "", {"text": "x"}, "答复类型"),
    ("withheld", "", {"text": "不公开。", "basis": "第十四条"}, "具体情形"),
    ("withheld", "state_secret", {"text": "不公开。"}, "法律依据"),
    ("already_published", "", {"text": "已公开。"}, "网址"),
    ("disclosed", "", {"how": "邮寄"}, "答复内容"),
])
def test_an_answer_needs_its_required_content(ctx, answer_type, reason, fields, message):
    clerk, today = ctx
    application = _file(today, D(2026, 3, 2))
    with pytest.raises(services.ApplicationRefused, match=message):
        services.answer(application, clerk, application.version, answer_type, reason, fields)
    assert application.status == "received" and application.answer_type is None


def test_an_answer_is_final(ctx):
    clerk, today = ctx
    application = _file(today, D(2026, 3, 2))
    services.answer(application, clerk, application.version, "withheld", "state_secret",
                    {"text": "不予公开。", "basis": "《条例》第十四条"})
    assert application.status == "answered" and application.answered_on == D(2026, 3, 2)
    for act in (lambda: services.accept(application, clerk, application.version),
                lambda: services.pause(application, clerk, application.version, "third_party", "x"),
                lambda: services.answer(application, clerk, application.version, "other", "other", {"text": "x"}),
                lambda: services.assign(application, clerk, application.version, clerk)):
        with pytest.raises(services.ApplicationRefused):
            act()


def test_two_handlers_at_once_cannot_both_act(ctx):
    clerk, today = ctx
    application = _file(today, D(2026, 3, 2))
    stale = application.version
    services.accept(application, clerk, stale)
    with pytest.raises(services.ApplicationConflict):
        services.pause(application, clerk, stale, "third_party", "征求意见。")
    assert application.status == "processing"


def test_online_on_a_holiday_is_received_on_the_next_working_day(ctx):
    _clerk, today = ctx
    application = _file(today, D(2026, 10, 3), channel="online")
    assert application.received_on == D(2026, 10, 8) and application.sent_on == D(2026, 10, 3)
    assert application.number.startswith("2026-")


def test_dates_cannot_be_in_the_future_or_before_receipt(ctx):
    clerk, today = ctx
    application = _file(today, D(2026, 3, 2))
    services.accept(application, clerk, application.version)
    for day in (D(2026, 3, 3), D(2026, 3, 1)):
        with pytest.raises(services.ApplicationRefused, match="日期"):
            services.pause(application, clerk, application.version, "third_party", "x", day)


def test_personal_data_is_purged_after_the_retention_period_and_the_figures_stay(ctx, desk_app):
    from portal.applications import annual

    clerk, today = ctx
    old = _file(today, D(2022, 3, 1))
    services.answer(old, clerk, old.version, "withheld", "state_secret", {"text": "不予公开。", "basis": "第十四条"})
    services.add_note(old, clerk, "内部备注：已电话联系申请人。")
    recent = _file(today, D(2026, 3, 2))
    services.answer(recent, clerk, recent.version, "other", "other", {"text": "撤回。"})
    today.set(D(2026, 3, 10))
    runner = desk_app.test_cli_runner()
    result = runner.invoke(args=["requests", "purge"])
    assert result.exit_code == 0 and "purged personal data of" in result.output
    db.session.expire_all()
    # 1095 days before 2026-03-10 is 2023-03-11: only the application answered in 2022 is past it.
    assert services.personal(old) == {} and old.personal_purged_on is not None
    assert all(event.sealed_note is None for event in old.events)
    assert services.personal(recent)["name"] == FORM["name"]
    assert annual.table(2022).row("results_total")["total"] == 1  # the figures stay


def test_expired_corrections_and_unpaid_fees_are_closed_as_abandoned(ctx):
    clerk, today = ctx
    correcting = _file(today, D(2026, 6, 1))
    services.request_correction(correcting, clerk, correcting.version, "请写明文件名称。", 5)  # due 8 Jun
    unpaid = [_file(today, D(2026, 6, 1)) for _ in range(11)][-1]
    services.fee_notice(unpaid, clerk, unpaid.version)  # 20 working days after 1 Jun (端午 off): 30 Jun
    consulted = _file(today, D(2026, 6, 1), id_number="THIRD")
    services.pause(consulted, clerk, consulted.version, "third_party", "征求某公司意见。")
    assert services.third_party_due(consulted) == D(2026, 6, 23)  # 15 working days, 端午 (19 Jun) off
    today.set(D(2026, 6, 8))
    assert services.close_expired() == []  # the last day of a period is still within it
    today.set(D(2026, 6, 9))
    assert services.close_expired() == [correcting.number]
    assert (correcting.status, correcting.answer_reason) == ("closed", "no_correction")
    today.set(D(2026, 6, 30))
    assert services.close_expired() == []
    today.set(D(2026, 7, 1))
    assert services.close_expired() == [unpaid.number]
    assert (unpaid.status, unpaid.answer_reason) == ("closed", "unpaid")
    assert consulted.status == "paused"  # a consultation is never closed by the clock
