"""The applications desk (依申请公开受理台): thin views over portal.applications.services.

Every page here is for the request handler role only (the annual table also for editors, who draft
the annual report from it). Opening an application is audited, as reading personal data is.
"""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for

from portal.admin.access import bp, current_staff, requires
from portal.admin.views.forms import submitted_version
from portal.applications import annual, answers, clock, letter, services
from portal.applications.models import CHANNELS, Status
from portal.clock import today
from portal.disclosures.publishing import PublishingError
from portal.extensions import db
from portal.reports import receipts
from portal.staff import accounts, audit
from portal.staff.models import Role


def _application_or_404(application_id: int):
    return services.get(application_id) or abort(404)


def _handlers():
    return [user for user in accounts.list_users() if user.active and user.has_role(Role.REQUEST_HANDLER)]


@bp.get("/applications")
@requires(Role.REQUEST_HANDLER)
def applications_queue():
    which = request.args.get("status", "open")[:20]
    mine = current_staff() if request.args.get("mine") == "1" else None
    return render_template("admin/applications_queue.html", applications=services.queue(which, mine), status=which,
                           mine=bool(mine), statuses=list(Status), today=today(), is_overdue=services.is_overdue)


def _entry_page(form, errors=None, message=None, status=200):
    return render_template("admin/application_new.html", form=form, errors=errors or {}, message=message,
                           channels={k: v for k, v in CHANNELS.items() if k != "online"},
                           **services.form_vocabulary()), status


@bp.route("/applications/new", methods=["GET", "POST"])
@requires(Role.REQUEST_HANDLER)
def new_application():
    """An application received on paper, by letter or in person, entered with its channel and the
    day it was received (for a letter, the day it was signed for)."""
    if request.method == "GET":
        return _entry_page({"sent_on": today().isoformat()})
    try:
        entry = services.parse_form(request.form, staff_entry=True)
    except services.ApplicationInvalid as exc:
        return _entry_page(request.form, exc.errors, "请修改标红的项目。", 400)
    application, secret = services.submit(entry, actor=current_staff())
    return render_template("admin/application_entered.html", application=application,
                           groups=receipts.grouped(secret))


def _detail_page(application, message=None, status=200):
    return render_template(
        "admin/application.html", application=application, person=services.personal(application),
        clock=services.clock_of(application), events=application.events, labels=services.EVENT_LABELS,
        pause_kinds=services.PAUSE_KINDS, note_text=services.note_text, handlers=_handlers(), answers=answers,
        allowed={action for action, states in services.ALLOWED.items() if application.status_enum in states},
        overdue=services.is_overdue(application), waited=services.days_waited(application), message=message,
        default_correction=clock.DEFAULT_CORRECTION_PERIOD, today=today(), channels=CHANNELS,
        third_party_due=services.third_party_due(application),
        **services.form_vocabulary(),
    ), status


@bp.get("/applications/<int:application_id>")
@requires(Role.REQUEST_HANDLER)
def application(application_id: int):
    record = _application_or_404(application_id)
    audit.record_now(current_staff(), "application_viewed", "application", record.number)
    return _detail_page(record)


def _date(name: str) -> dt.date | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise services.ApplicationRefused("日期格式应为 YYYY-MM-DD。") from None


def _number(name: str, default: int | None = None) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) < 6):
        raise services.ApplicationRefused("请填写整数。")
    return int(raw)


ACTIONS = {
    "request_correction": lambda a, s, v, f: services.request_correction(
        a, s, v, f.get("reason", ""), _number("period_days", clock.DEFAULT_CORRECTION_PERIOD)),
    "receive_correction": lambda a, s, v, f: services.receive_correction(a, s, v, _date("on"), f.get("description", "")),
    "accept": lambda a, s, v, f: services.accept(a, s, v),
    "extend": lambda a, s, v, f: services.extend(a, s, v, _number("days", 0), f.get("reason", ""),
                                                 f.get("approver", ""), _date("on")),
    "pause": lambda a, s, v, f: services.pause(a, s, v, f.get("kind", ""), f.get("reason", ""), _date("on")),
    "resume": lambda a, s, v, f: services.resume(a, s, v, _date("on")),
    "fee_notice": lambda a, s, v, f: services.fee_notice(a, s, v, _number("pages")),
    "waive_fee": lambda a, s, v, f: services.waive_fee(a, s, v, f.get("reason", "")),
    "answer": lambda a, s, v, f: services.answer(a, s, v, f.get("answer_type", ""), f.get("answer_reason", ""), f),
    "note": lambda a, s, v, f: services.add_note(a, s, f.get("text", "")),
}


@bp.post("/applications/<int:application_id>/act")
@requires(Role.REQUEST_HANDLER)
def act_on_application(application_id: int):
    record = _application_or_404(application_id)
    action = request.form.get("action", "")
    try:
        if action == "assign":
            handler = next((h for h in _handlers() if str(h.id) == request.form.get("handler")), None)
            services.assign(record, current_staff(), submitted_version(), handler)
        elif action in ACTIONS:
            ACTIONS[action](record, current_staff(), submitted_version(), request.form)
        else:
            raise services.ApplicationRefused("未知操作。")
    except services.ApplicationRefused as exc:
        db.session.rollback()
        return _detail_page(_application_or_404(application_id), message=str(exc), status=400)
    except services.ApplicationConflict:
        flash("其他受理人刚刚修改了这件申请，请查看最新情况后再操作。", "error")
        return redirect(url_for("admin.application", application_id=application_id))
    flash("已保存。", "success")
    return redirect(url_for("admin.application", application_id=application_id))


@bp.get("/applications/<int:application_id>/letter.pdf")
@requires(Role.REQUEST_HANDLER)
def application_letter(application_id: int):
    """The desk's copy of the answer letter, addressed to the applicant by name, for mailing."""
    record = _application_or_404(application_id)
    if not record.answer_type:
        abort(404)
    person = services.personal(record)
    addressee = "　".join(part for part in (person.get("name", ""), person.get("address", "")) if part)
    audit.record_now(current_staff(), "application_letter", "application", record.number)
    return letter.download(record, addressee)


@bp.get("/applications/annual/<int:year>")
@requires(Role.REQUEST_HANDLER, Role.EDITOR)
def annual_table(year: int):
    if not 2000 <= year <= today().year:
        abort(404)
    found = annual.table(year)
    return render_template("admin/applications_annual.html", table=found, rows=annual.result_rows(),
                           columns=annual.COLUMNS, labels=annual.COLUMN_LABELS, problems=found.check(),
                           table_4_columns=annual.TABLE_4_COLUMNS, table_4=annual.table_4_values(year))


@bp.post("/applications/annual/<int:year>/table-4")
@requires(Role.REQUEST_HANDLER)
def enter_table_4(year: int):
    """Table 4 (行政复议、行政诉讼): figures the portal does not hold, entered by the desk."""
    if not 2000 <= year <= today().year:
        abort(404)
    try:
        annual.store_table_4(year, [request.form.get(f"t4_{n}", "") for n in range(len(annual.TABLE_4_COLUMNS))])
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.annual_table", year=year))
    audit.record_now(current_staff(), "annual_table_4_entered", "annual_report", year)
    flash("第四表已保存。", "success")
    return redirect(url_for("admin.annual_table", year=year))


@bp.post("/applications/annual/<int:year>")
@requires(Role.EDITOR)
def draft_annual_report(year: int):
    if not 2000 <= year <= today().year:
        abort(404)
    found = annual.table(year)
    if found.check():
        flash("统计表不平衡，不能生成年度报告草稿。", "error")
        return redirect(url_for("admin.annual_table", year=year))
    try:
        draft = annual.draft_report(found, current_staff())
    except PublishingError as exc:
        flash(f"{exc}（{'；'.join(exc.errors.values())}）", "error")
        return redirect(url_for("admin.annual_table", year=year))
    flash("年度报告草稿已创建，请补充其他内容后提交审核。", "success")
    return redirect(url_for("admin.draft", draft_id=draft.id))
