"""Who may reach which back-office page: deny by default.

Every view of the back office declares its roles with @requires(...) (or @public for the login
pages). A view that declares nothing is refused to everyone, so a forgotten decorator fails
closed. tests/admin/test_authorization.py walks every route × role × method against a table.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError

from portal.staff import accounts, audit
from portal.staff.models import Role, StaffUser
from portal.web.errors import render_error

bp = Blueprint("admin", __name__, url_prefix="/admin")

SESSION_KEY = "staff_token"
ANY_STAFF = frozenset(Role)


def requires(*roles: Role) -> Callable:
    def decorate(view: Callable) -> Callable:
        view.allowed_roles = frozenset(roles)
        return view
    return decorate


def any_staff(view: Callable) -> Callable:
    view.allowed_roles = ANY_STAFF
    return view


def public(view: Callable) -> Callable:
    """Reachable without a session: the login steps only."""
    view.allowed_roles = None
    view.is_public = True
    return view


def current_staff() -> StaffUser:
    return g.staff


@bp.before_request
def check_access():
    view = current_app.view_functions.get(request.endpoint or "")
    g.staff = accounts.session_user(session.get(SESSION_KEY))
    if getattr(view, "is_public", False):
        return None
    if g.staff is None:
        session.pop(SESSION_KEY, None)
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("admin.login", next=target))
    allowed = getattr(view, "allowed_roles", None)
    if g.staff.must_change_password and request.endpoint not in ("admin.change_password", "admin.logout"):
        return redirect(url_for("admin.change_password"))
    if not allowed or not g.staff.has_role(*allowed):
        audit.record_now(g.staff, "access_denied", "route", request.endpoint or request.path,
                         outcome="denied", detail=request.method)
        abort(403)
    return None


@bp.after_request
def no_store(response):
    # Back-office pages hold unpublished drafts and names: never kept by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError):
    """A form without this session's token: a forged request, or a page left open too long."""
    staff = accounts.session_user(session.get(SESSION_KEY))
    if staff is None:
        # Anyone on the internet can send these: a count per day, not a row each.
        audit.count_refusal("csrf_refused")
    else:
        audit.record_now(staff, "csrf_refused", "route", request.endpoint or request.path, outcome="denied",
                         detail=request.method)
    return render_error(400, "表单已过期或来源无法验证，请刷新页面后重新提交。")
