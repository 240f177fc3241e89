"""The public side of reporting: the form, the receipt, follow-up and statistics.

Nothing here reads the client's address, User-Agent or Referer; the only thing derived from the
address is the rate limiter's keyed hash under the day's random key (portal.ratelimit). Every
limit here counts per day: a counter for a shorter window would tell whoever reads the limiter's
storage the hour of a report. Pages are never cached.
"""
from __future__ import annotations

import re
import secrets

from flask import Blueprint, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError

from portal.departments.services import list_departments
from portal.extensions import limiter
from portal.reports import attachments, proof_of_work, receipts, services, statistics
from portal.reports.pixel_budget import DailyPixelsSpent, PixelBudget
from portal.reports.models import Anonymity, Category, Status

bp = Blueprint("reports", __name__, url_prefix="/report")

HONEYPOT = "website"
FORM_TOKEN = "form_token"
_FORM_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32}")


@bp.context_processor
def promises() -> dict:
    settings = current_app.extensions["portal.settings"]
    return {"answer_days": settings.report_answer_working_days, "retention_days": settings.report_retention_days}


@bp.after_request
def never_stored(response):
    # Receipt codes and status pages must not stay in a shared computer's cache or history.
    response.headers["Cache-Control"] = "no-store"
    return response


def _form_page(form=None, errors=None, message=None, status=200):
    """The form, blank or sent back with what was typed (a fresh form token and CSRF token
    each time), and the names of any files that must be chosen again."""
    sent_files = [attachments.clean_name(f.filename) for f in request.files.getlist("files") if f.filename] if form else []
    return render_template(
        "reports/form.html", form=form or {}, errors=errors or {}, message=message, sent_files=sent_files,
        categories=list(Category), anonymities=list(Anonymity), departments=list_departments(),
        accepting=services.desk_key() is not None, max_files=attachments.MAX_FILES,
        max_file_mb=attachments.MAX_FILE_BYTES // 1024 // 1024,
        min_description=services.MIN_DESCRIPTION, pow_challenge=proof_of_work.new_challenge(),
        pow_bits=proof_of_work.BITS, form_token=secrets.token_urlsafe(24),
    ), status


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError):
    """An expired or missing CSRF token loses nothing: the form comes back filled in."""
    if request.endpoint == "reports.submit":
        return _form_page(request.form, message=(
            "页面停留时间较长，表单已过期（或浏览器未允许本站的 Cookie）。您填写的内容都已保留，"
            "请核对后再次点击“提交举报”。"), status=400)
    # A supplement typed on the status page comes back with its code and text, ready to send
    # again (files must be chosen again: the browser does not keep them).
    supplement = request.endpoint == "reports.follow_up" and request.form.get("action") == "message"
    return render_template("reports/follow_up.html", expired=True, receipt=request.form.get("receipt", "")[:100],
                           supplement=supplement, typed=request.form.get("message", "") if supplement else "",
                           had_files=any(f.filename for f in request.files.getlist("files"))), 400


@bp.get("/")
def form():
    return _form_page()


def _proven() -> bool:
    """Whether this submission carries a solved proof of work (decided once per request)."""
    if "report_proven" not in g:
        g.report_proven = proof_of_work.is_proven(request.form.get("pow_challenge", ""), request.form.get("pow_nonce", ""))
    return g.report_proven


def _stored(response) -> bool:
    # Only stored reports count here: a form sent back for correction costs the reporter nothing.
    return response.status_code == 200


@bp.post("/")
# Every POST counts against a loose limit (the work of checking files is spent either way);
# stored reports against a tighter one, looser with a solved proof of work.
@limiter.limit("60 per day", methods=["POST"])
@limiter.limit("10 per day", methods=["POST"], deduct_when=_stored, exempt_when=_proven)
@limiter.limit("30 per day", methods=["POST"], deduct_when=_stored, exempt_when=lambda: not _proven())
def submit():
    form = request.form
    if form.get(HONEYPOT):
        return _form_page(form, message="提交未能完成，请检查表单后重试。", status=400)
    if services.desk_key() is None:
        return _form_page(form, message="网上举报暂未开通，请拨打 12345 热线。", status=503)
    token = form.get(FORM_TOKEN, "")
    if not _FORM_TOKEN_RE.fullmatch(token):
        return _form_page(form, message="表单不完整，请核对内容后重新提交。", status=400)
    try:
        entry = services.parse_report_form(form)
        uploads = services.parse_uploads(request.files.getlist("files"))
        report, code = services.submit_report(entry, uploads, form_token=token, budget=PixelBudget())
    except services.ReportInvalid as exc:
        return _form_page(form, exc.errors, "表单中有需要修改的地方，请查看下面的说明。", status=400)
    except DailyPixelsSpent as exc:
        return _form_page(form, {"files": str(exc)}, str(exc) + " 其他内容已保留。", status=429)
    except attachments.FileRefused as exc:
        return _form_page(form, {"files": str(exc)}, str(exc) + " 其他内容已保留，请重新选择文件。", status=400)
    except attachments.AttachmentsBusy:
        return _form_page(form, {"files": attachments.BUSY_MESSAGE}, attachments.BUSY_MESSAGE, status=503)
    except services.AlreadySubmitted:
        return _already_submitted()
    except services.DeskLocked:
        return _form_page(form, message="网上举报暂未开通，请拨打 12345 热线。", status=503)
    return render_template("reports/receipt.html", groups=receipts.grouped(code), report=report,
                           file_count=len(uploads))


def _already_submitted():
    """The same form sent again: nothing new is filed, and the page says where the first one is."""
    return render_template("reports/already_submitted.html"), 409


def _failed_follow_up() -> bool:
    return bool(g.get("receipt_refused"))


@bp.get("/follow-up")
def follow_up_form():
    return render_template("reports/follow_up.html")


@bp.post("/follow-up")
# Wrong codes count, keyed by the day's address hash: someone guessing is slowed down, other
# reporters (and this one, once they type the right code) are not. Every POST counts against a
# looser limit as well.
@limiter.limit("100 per day", methods=["POST"])
@limiter.limit("20 per day", methods=["POST"], deduct_when=lambda response: _failed_follow_up())
def follow_up():
    found = services.find_by_code(request.form.get("receipt", ""))
    if found is None:
        g.receipt_refused = True
        # One answer for a malformed, a mistyped and an unknown code.
        return render_template("reports/follow_up.html", refused=True), 400
    report, code = found
    message, errors, status = None, {}, 400
    if request.form.get("action") == "message":
        try:
            services.add_reporter_message(report, code, request.form.get("message", ""),
                                          services.parse_uploads(request.files.getlist("files")), PixelBudget())
            message = "补充内容已提交。"
        except services.ReportInvalid as exc:
            errors = exc.errors
        except attachments.FileRefused as exc:
            errors, status = {"files": str(exc)}, (429 if isinstance(exc, DailyPixelsSpent) else 400)
        except attachments.AttachmentsBusy:
            errors, status = {"files": attachments.BUSY_MESSAGE}, 503
    return render_template(
        "reports/status.html", report=report, code=code, groups=receipts.grouped(code),
        messages=services.messages_for_reporter(report, code), message=message, errors=errors,
        typed=request.form.get("message", "") if errors else "",  # sent back: nothing typed is lost
        Status=Status, max_files=attachments.MAX_FILES,
    ), (status if errors else 200)


@bp.get("/statistics")
def statistics_page():
    snapshot = statistics.published()
    return render_template("reports/statistics.html", table=snapshot.monthly, by_category=snapshot.by_category,
                           through=snapshot.through, threshold=statistics.SUPPRESS_BELOW)


def home_section() -> tuple[str, dict]:
    """The home page's entry to reporting (UI.md: the home page has a report entry); it says so
    when online reporting is not open yet, and gives the other channels."""
    return "reports/_home_section.html", {"accepting": services.desk_key() is not None}
