"""Signing in (password, then the TOTP code; enrolment on first login), out, and passwords."""
from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, session, url_for

from portal import publication
from portal.staff import accounts, passwords, totp
from portal.admin.access import SESSION_KEY, any_staff, bp, current_staff, public
from portal.staff.models import Role
from portal.extensions import limiter
from portal.ratelimit import hashed_client
from portal.web.redirects import local_target

# The session cookie holds only the pending login's random token (accounts.begin_login).
PENDING_KEY = "pending_login"


def _login_client() -> str:
    # Counted per 10 minutes, so keyed apart from the daily limits of the reporting pages
    # (portal.ratelimit): a login counter must not date the same client's report of that day.
    return hashed_client(limiter.storage, purpose="login")


def _safe_next(target: str | None) -> str:
    """Only back-office paths of this site: `next` must not be an open redirect."""
    return local_target(target, url_for("admin.dashboard"), prefix="/admin/")


def _pending():
    pending = accounts.pending_login(session.get(PENDING_KEY))
    if pending is None:
        session.pop(PENDING_KEY, None)
    return pending


def _sign_in(pending) -> str:
    token, target = accounts.finish_login(pending)
    # Everything from before the login is dropped: a new session, nothing carried over.
    session.clear()
    session[SESSION_KEY] = token
    return _safe_next(target)


BUSY_MESSAGE = "登录请求较多，请稍候几秒再试。"


@bp.route("/login", methods=["GET", "POST"])
@public
# Per client (the day's keyed address hash), in front of the Argon2 check: a password attempt
# costs the server a fraction of a second of both cores, so no one client may ask for many.
@limiter.limit("20 per 10 minutes;100 per day", methods=["POST"], key_func=_login_client)
def login():
    if request.method == "GET":
        return render_template("admin/login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "")
    try:
        user = accounts.check_password(username, request.form.get("password", ""))
    except passwords.HashingBusy:
        # Under a flood most attempts end here: a small page of its own (no layout, no form) keeps
        # each refusal cheap, so the public pages keep the cores.
        response = make_response(render_template("admin/busy.html"), 503)
        response.headers["Retry-After"] = "5"
        return response
    except accounts.LoginThrottled as exc:
        return render_template("admin/login.html", message=str(exc), username=username), 429
    except accounts.LoginRefused as exc:
        return render_template("admin/login.html", message=exc.message, username=username), 400
    session.clear()
    session[PENDING_KEY] = accounts.begin_login(user, _safe_next(request.form.get("next")))
    return redirect(url_for("admin.login_code" if user.totp_confirmed else "admin.enrol"))


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit("30 per 10 minutes", methods=["POST"], key_func=_login_client)
def login_code():
    pending = _pending()
    user = pending.user if pending else None
    if user is None or not user.totp_confirmed:
        flash("请先输入用户名和密码。", "info")
        return redirect(url_for("admin.login"))
    if request.method == "GET":
        return render_template("admin/login_code.html")
    try:
        accounts.check_code(user, request.form.get("code", ""))
    except accounts.LoginThrottled as exc:
        return render_template("admin/login_code.html", message=str(exc)), 429
    except accounts.CodeRefused as exc:
        return render_template("admin/login_code.html", message=exc.message), 400
    return redirect(_sign_in(pending))


@bp.route("/enrol", methods=["GET", "POST"])
@public
def enrol():
    """Two-factor enrolment is mandatory: an account without it cannot sign in."""
    pending = _pending()
    user = pending.user if pending else None
    if user is None or user.totp_confirmed:
        return redirect(url_for("admin.login"))
    secret = user.totp_secret or accounts.begin_enrolment(user)
    page = {
        "qr_svg": totp.qr_code_svg(totp.provisioning_uri(secret, user.username)),
        "secret_groups": [secret[i:i + 4] for i in range(0, len(secret), 4)],
    }
    if request.method == "GET":
        return render_template("admin/enrol.html", **page)
    try:
        accounts.confirm_enrolment(user, request.form.get("code", ""))
    except accounts.LoginThrottled as exc:
        return render_template("admin/enrol.html", message=str(exc), **page), 429
    except accounts.CodeRefused as exc:
        return render_template("admin/enrol.html", message=exc.message, **page), 400
    target = _sign_in(pending)
    flash("两步验证已启用。", "success")
    return redirect(target)


@bp.post("/logout")
@any_staff
def logout():
    accounts.end_session(session.get(SESSION_KEY, ""))
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("admin.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@any_staff
def change_password():
    staff = current_staff()
    if request.method == "GET":
        return render_template("admin/password.html")
    new = request.form.get("new_password", "")
    if new != request.form.get("confirm_password", ""):
        return render_template("admin/password.html", message="两次输入的新密码不一致。"), 400
    try:
        accounts.change_password(staff, request.form.get("current_password", ""), new)
    except passwords.HashingBusy:
        return render_template("admin/password.html", message=BUSY_MESSAGE), 503
    except accounts.LoginRefused:
        return render_template("admin/password.html", message="当前密码不正确。"), 400
    except passwords.PasswordRefused as exc:
        return render_template("admin/password.html", message=str(exc)), 400
    # Every session of this account ended with the change, this one included.
    session.clear()
    flash("密码已修改，所有已登录的会话均已退出。请用新密码重新登录。", "success")
    return redirect(url_for("admin.login"))


@bp.get("/")
@any_staff
def dashboard():
    from portal.disclosures import publishing

    staff = current_staff()
    return render_template(
        "admin/dashboard.html",
        my_drafts=publishing.drafts_by(staff) if staff.has_role(Role.EDITOR) else [],
        awaiting=publishing.drafts_awaiting_review() if staff.has_role(Role.REVIEWER) else [],
        # Every kind's review queue, from the registry: a new kind's queue shows here by itself.
        queues=[(kind.label, len(kind.review.awaiting()), kind.review_queue)
                for kind in publication.kinds().values() if kind.review is not None]
        if staff.has_role(Role.REVIEWER) else [],
    )
