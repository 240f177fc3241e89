"""The report desk (举报受理台): thin views over portal.reports.services.

Reading a report needs the desk's private key. A handler unlocks it with the desk passphrase; the
key is then kept in their session row, encrypted with a random key that lives only in their
session cookie, and is wiped at logout, expiry, or "lock".
"""
from __future__ import annotations

import base64
import secrets

from flask import abort, flash, make_response, redirect, render_template, request, session, url_for

from portal.staff import accounts, audit, passwords
from portal.admin.access import SESSION_KEY, bp, current_staff, requires
from portal.admin.views.forms import submitted_version
from portal.staff.models import Role
from portal.departments.services import list_departments
from portal.clock import today
from portal.extensions import db
from portal.reports import attachments, crypto, receipts, services
from portal.reports.models import Anonymity, Category, Channel, MessageKind, Status
from portal.web.redirects import local_target

WRAP_KEY = "desk_wrap"


def _desk_private_key() -> bytes | None:
    staff_session = accounts.active_session(session.get(SESSION_KEY))
    wrap = session.get(WRAP_KEY)
    if staff_session is None or staff_session.desk_key is None or not wrap:
        return None
    try:
        return crypto.unwrap(base64.b64decode(wrap), staff_session.desk_key)
    except (crypto.DecryptionFailed, ValueError):
        return None


def _report_or_404(report_id: int):
    return services.get_report(report_id) or abort(404)


def _handlers():
    return [user for user in accounts.list_users() if user.active and user.has_role(Role.REPORT_HANDLER)]


@bp.get("/reports")
@requires(Role.REPORT_HANDLER)
def reports_queue():
    status = request.args.get("status", "open")[:20]
    mine = current_staff() if request.args.get("mine") == "1" else None
    reports = services.queue(status, mine)
    private = _desk_private_key()
    # The department concerned is sealed with the rest: the queue shows it once unlocked.
    contexts = services.read_contexts(reports, private) if private is not None else {}
    return render_template(
        "admin/reports_queue.html", reports=reports, contexts=contexts, status=status, mine=bool(mine),
        statuses=list(Status), unlocked=private is not None, has_key=services.desk_key() is not None,
        today=today(),
    )


@bp.route("/reports/key", methods=["GET", "POST"])
@requires(Role.REPORT_HANDLER)
def desk_key_setup():
    if services.desk_key() is not None:
        return redirect(url_for("admin.reports_queue"))
    if request.method == "POST":
        passphrase = request.form.get("passphrase", "")
        if passphrase != request.form.get("confirm", ""):
            return render_template("admin/report_key.html", message="两次输入的口令不一致。"), 400
        try:
            services.create_desk_key(passphrase, current_staff())
        except ValueError as exc:
            return render_template("admin/report_key.html", message=str(exc)), 400
        flash("举报加密密钥已创建，网上举报已开通。请把口令通过安全渠道告知其他举报受理人。", "success")
        return redirect(url_for("admin.reports_queue"))
    return render_template("admin/report_key.html")


@bp.route("/reports/unlock", methods=["GET", "POST"])
@requires(Role.REPORT_HANDLER)
def unlock_desk():
    if request.method == "POST":
        try:
            private = services.unlock_desk_as(current_staff(), request.form.get("passphrase", "")[:1024])
        except crypto.DecryptionFailed:
            return render_template("admin/report_unlock.html", message="口令不正确。"), 400
        except accounts.LoginThrottled as exc:
            return render_template("admin/report_unlock.html",
                                   message=f"口令错误次数过多，请 {exc.seconds} 秒后再试。"), 429
        except passwords.HashingBusy:
            response = make_response(render_template("admin/report_unlock.html",
                                                     message="系统繁忙，请几秒后再试。"), 503)
            response.headers["Retry-After"] = "5"
            return response
        except services.DeskLocked:
            return redirect(url_for("admin.desk_key_setup"))
        wrap = secrets.token_bytes(32)
        staff_session = accounts.active_session(session.get(SESSION_KEY))
        staff_session.desk_key = crypto.wrap(wrap, private)
        session[WRAP_KEY] = base64.b64encode(wrap).decode()
        audit.record(current_staff(), "desk_unlocked", "desk_key", "")
        db.session.commit()
        flash("受理台已解锁；退出登录或会话超时后自动锁定。", "success")
        return redirect(local_target(request.args.get("next"), url_for("admin.reports_queue"), prefix="/admin/reports"))
    return render_template("admin/report_unlock.html")


@bp.post("/reports/lock")
@requires(Role.REPORT_HANDLER)
def lock_desk():
    staff_session = accounts.active_session(session.get(SESSION_KEY))
    if staff_session is not None:
        staff_session.desk_key = None
        db.session.commit()
    session.pop(WRAP_KEY, None)
    flash("受理台已锁定。", "success")
    return redirect(url_for("admin.reports_queue"))


def _entry_page(form, errors=None, message=None, status=200):
    return render_template(
        "admin/report_new.html", form=form, errors=errors or {}, message=message,
        categories=list(Category), channels=[c for c in Channel if c is not Channel.WEB],
        anonymities=list(Anonymity), departments=list_departments(), today=today(),
    ), status


@bp.route("/reports/new", methods=["GET", "POST"])
@requires(Role.REPORT_HANDLER)
def new_report():
    """A report received by another channel, entered by staff; its receipt code is shown once so
    that it can be passed to the reporter (read out on the phone, written on the reply letter)."""
    if request.method == "GET":
        return _entry_page({"received_on": today().isoformat()})
    form = request.form
    try:
        entry = services.parse_report_form(form, staff_entry=True)
        uploads = services.parse_uploads(request.files.getlist("files"))
        report, code = services.submit_report(entry, uploads, actor=current_staff())
    except services.ReportInvalid as exc:
        return _entry_page(form, exc.errors, "请修改标红的项目。", 400)
    except attachments.FileRefused as exc:
        return _entry_page(form, {"files": str(exc)}, str(exc), 400)
    except attachments.AttachmentsBusy:
        return _entry_page(form, {"files": attachments.BUSY_MESSAGE}, attachments.BUSY_MESSAGE, 503)
    except services.DeskLocked:
        return redirect(url_for("admin.desk_key_setup"))
    return render_template("admin/report_entered.html", report=report, groups=receipts.grouped(code))


def _detail_page(report, private, errors=None, message=None, status=200):
    return render_template(
        "admin/report.html", report=report, read=services.read_report(report, private),
        handlers=_handlers(), next_statuses=services.TRANSITIONS.get(report.status_enum, ()),
        errors=errors or {}, message=message, today=today(),
    ), status


def _unlocked_or_redirect(report_id: int):
    private = _desk_private_key()
    if private is None:
        flash("请先解锁受理台才能查看举报内容。", "error")
        return None, redirect(url_for("admin.unlock_desk", next=url_for("admin.report", report_id=report_id)))
    return private, None


@bp.get("/reports/<int:report_id>")
@requires(Role.REPORT_HANDLER)
def report(report_id: int):
    record = _report_or_404(report_id)
    private, refusal = _unlocked_or_redirect(report_id)
    if refusal:
        return refusal
    audit.record_now(current_staff(), "report_viewed", "report", record.id)
    return _detail_page(record, private)


@bp.post("/reports/<int:report_id>/assign")
@requires(Role.REPORT_HANDLER)
def assign_report(report_id: int):
    def act(record, staff):
        handler_id = request.form.get("handler", "")
        handler = next((h for h in _handlers() if str(h.id) == handler_id), None)
        if handler_id and handler is None:
            raise services.ReportInvalid({"handler": "请选择一位举报受理人。"})
        services.assign(record, handler, submitted_version(), staff)
        return "已分派。" if handler else "已取消分派。"
    return _act_on(report_id, act)


@bp.post("/reports/<int:report_id>/status")
@requires(Role.REPORT_HANDLER)
def change_report_status(report_id: int):
    def act(record, staff):
        new = next((s for s in Status if s.value == request.form.get("status")), None)
        if new is None:
            raise services.ReportInvalid({"status": "请选择新的状态。"})
        services.change_status(record, new, request.form.get("reason", ""), submitted_version(), staff)
        return f"状态已改为“{new.label}”，举报人凭回执码可以看到。"
    return _act_on(report_id, act)


@bp.post("/reports/<int:report_id>/reply")
@requires(Role.REPORT_HANDLER)
def reply_to_reporter(report_id: int):
    return _add_message(report_id, MessageKind.REPLY, "已答复举报人。")


@bp.post("/reports/<int:report_id>/note")
@requires(Role.REPORT_HANDLER)
def add_report_note(report_id: int):
    return _add_message(report_id, MessageKind.NOTE, "内部备注已保存（举报人看不到）。")


def _add_message(report_id: int, kind: MessageKind, done: str):
    def act(record, staff):
        services.add_desk_message(record, kind, request.form.get("text", ""), staff)
        return done
    return _act_on(report_id, act)


def _act_on(report_id: int, act):
    """Run one desk action on an unlocked report: a flash and back to the report, or the report
    page with the form's problems."""
    record = _report_or_404(report_id)
    private, refusal = _unlocked_or_redirect(report_id)
    if refusal:
        return refusal
    try:
        flash(act(record, current_staff()), "success")
    except services.ReportInvalid as exc:
        db.session.rollback()
        return _detail_page(record, private, exc.errors, "请修改后重新提交。", 400)
    except services.ReportConflict:
        flash("其他受理人刚刚修改了这件举报，请查看最新情况后再操作。", "error")
    return redirect(url_for("admin.report", report_id=record.id))


@bp.get("/reports/<int:report_id>/files/<int:file_id>")
@requires(Role.REPORT_HANDLER)
def report_file(report_id: int, file_id: int):
    record = _report_or_404(report_id)
    private, refusal = _unlocked_or_redirect(report_id)
    if refusal:
        return refusal
    found = services.read_file(record, file_id, private, clean=request.args.get("copy") == "clean")
    if found is None:
        abort(404)
    data, media_type, name = found
    audit.record_now(current_staff(), "report_file_downloaded", "report", record.id, detail=str(file_id))
    response = make_response(data)
    # Always a download, never rendered: evidence may be hostile.
    response.headers["Content-Type"] = media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
