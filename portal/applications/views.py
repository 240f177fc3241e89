"""The public side of 依申请公开: the form, the tracking number and secret, the status page with
its clock and answer letter, and the year's figures. Works without JavaScript. Pages that show
an application are never cached; nothing here logs what an applicant typed.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from flask import Blueprint, g, render_template, request, session
from flask_wtf.csrf import CSRFError

from portal.applications import answers, letter, services, statistics
from portal.clock import today
from portal.extensions import limiter
from portal.reports import receipts

bp = Blueprint("applications", __name__, url_prefix="/apply")
_FORM_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32}")
# The form's one-time token is bound to the browser it was shown in: a random half and a MAC of it
# under a key kept in that browser's session. Sending the same form again from there gives the
# first receipt back (a reload, a double click); the token copied into another browser gives
# neither a receipt nor a new filing.
FORM_KEY = "application_form_key"


def _new_form_token() -> str:
    nonce = secrets.token_urlsafe(12)
    return nonce + _form_mac(nonce, session.setdefault(FORM_KEY, secrets.token_hex(16)))


def _form_mac(nonce: str, key: str) -> str:
    digest = hmac.new(key.encode(), nonce.encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode()


def _issued_here(token: str) -> bool:
    key = session.get(FORM_KEY)
    return isinstance(key, str) and hmac.compare_digest(token[16:], _form_mac(token[:16], key))


@bp.after_request
def never_stored(response):
    # A tracking secret or an answer must not stay in a shared computer's cache or history.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def vocabulary() -> dict:
    return services.form_vocabulary()


def _form_page(form=None, errors=None, message=None, status=200):
    # A fresh one-time token each time the form is shown (also when sent back for correction).
    return render_template("applications/form.html", form=form or {}, errors=errors or {}, message=message,
                           form_token=_new_form_token()), status


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError):
    """An expired form loses nothing: it comes back filled in."""
    if request.endpoint == "applications.submit":
        return _form_page(request.form, message="页面停留时间较长，表单已过期（或浏览器未允许本站的 Cookie）。"
                          "您填写的内容都已保留，请核对后再次提交。", status=400)
    return render_template("applications/lookup.html", expired=True), 400


@bp.get("/")
def form():
    # "申请获取本文件" on a disclosure links here with its 索引号.
    return _form_page({"index_number": request.args.get("index", "")[:60],
                       "description": request.args.get("title", "")[:200]})


def _stored(response) -> bool:
    return response.status_code == 200


@bp.post("/")
@limiter.limit("60 per day", methods=["POST"])
@limiter.limit("20 per day", methods=["POST"], deduct_when=_stored)
def submit():
    if request.form.get("website"):  # the honeypot
        return _form_page(request.form, message="提交未能完成，请检查表单后重试。", status=400)
    token = request.form.get("form_token", "")
    if not _FORM_TOKEN_RE.fullmatch(token):
        return _form_page(request.form, message="表单不完整，请核对内容后重新提交。", status=400)
    if not _issued_here(token):
        if services.form_already_used(token):
            return render_template("applications/already_submitted.html"), 409
        return _form_page(request.form, message="表单已过期（或不是在本浏览器中打开的）。您填写的内容都已保留，"
                          "请核对后再次提交。", status=400)
    try:
        entry = services.parse_form(request.form)
        application, secret = services.submit(entry, form_token=token)
    except services.ApplicationInvalid as exc:
        return _form_page(request.form, exc.errors, "表单中有需要修改的地方，请查看下面的说明。", status=400)
    except services.AlreadySubmitted as first:
        # A double click or a reload: the first sending's receipt again, nothing filed twice.
        application, secret = first.application, first.secret
    return render_template("applications/receipt.html", application=application, groups=receipts.grouped(secret),
                           clock=services.clock_of(application))


def _failed_lookup() -> bool:
    return bool(g.get("lookup_refused"))


@bp.get("/status")
def lookup():
    return render_template("applications/lookup.html")


@bp.post("/status")
# Wrong secrets count against a tight daily limit: someone guessing is slowed down.
@limiter.limit("100 per day", methods=["POST"])
@limiter.limit("20 per day", methods=["POST"], deduct_when=lambda response: _failed_lookup())
def status():
    found, refusal = _opened()
    if refusal:
        return refusal
    application, secret = found
    return render_template(
        "applications/status.html", application=application, secret=secret, clock=services.clock_of(application),
        events=services.timeline(application, for_applicant=True), labels=services.EVENT_LABELS,
        pause_kinds=services.PAUSE_KINDS, overdue=services.is_overdue(application),
        waited=services.days_waited(application), answer_kind=answers.BY_CODE.get(application.answer_type or ""),
        answers=answers, third_party_due=services.third_party_due(application), letter_number=letter.letter_number(application) if application.answer_type else "",
    )


@bp.post("/letter.pdf")
@limiter.limit("100 per day", methods=["POST"])
@limiter.limit("20 per day", methods=["POST"], deduct_when=lambda response: _failed_lookup())
def letter_pdf():
    """The answer letter as a PDF, opened with the number and secret like the status page."""
    found, refusal = _opened()
    if refusal:
        return refusal
    application = found[0]
    if not application.answer_type:
        return render_template("applications/lookup.html", not_answered=True), 404
    return letter.download(application)


def _opened():
    """(the application and its secret, None) for the form's number and secret, or (None, the
    refusal page): one answer for every kind of wrong, counted against the guessing limit."""
    found = services.find(request.form.get("number", ""), request.form.get("secret", ""))
    if found is None:
        g.lookup_refused = True
        return None, (render_template("applications/lookup.html", refused=True), 400)
    return found, None


@bp.get("/statistics")
def statistics_page():
    year = today().year
    return render_template("applications/statistics.html", year=year, figures=statistics.current(year))
