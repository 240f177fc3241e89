"""Staff accounts and signed-in browsers for back-office tests.

Accounts are made through the same service the `users create` command calls; signing in goes
through the real pages: password, then a TOTP code computed as an authenticator app would.
"""
from __future__ import annotations

import re

import pyotp
import pytest

from portal.staff import accounts, totp
from portal.staff.models import Role, StaffUser
from portal.extensions import db

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_staff(app, username: str, *roles: Role, enrolled: bool = True) -> None:
    """An account with `roles`; `enrolled` gives it an authenticator already (set up directly,
    as the enrolment page would, so tests about other things need not enrol first)."""
    with app.app_context():
        user = accounts.create_user(username, username.title(), PASSWORD, roles)
        if enrolled:
            user.totp_secret = pyotp.random_base32()
            user.totp_confirmed = True
            db.session.commit()


def next_code(app, username: str) -> str:
    """The code an authenticator shows now, or the next step's if this one was used."""
    with app.app_context():
        user = accounts.find_user(username)
        step = totp.current_step()
        if user.totp_last_step is not None and user.totp_last_step >= step:
            step = user.totp_last_step + 1
        return pyotp.TOTP(user.totp_secret).at(step * totp.STEP_SECONDS)


def csrf_token(client, path: str = "/admin/login") -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(client, path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
    """POST a form with the CSRF token of the page it lives on (or of the dashboard)."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, token_from or "/admin/"))
    return client.post(path, data=data, **kwargs)


def sign_in(app, client, username: str, password: str = PASSWORD):
    response = post(client, "/admin/login", {"username": username, "password": password}, token_from="/admin/login")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/admin/login/code")
    response = post(client, "/admin/login/code", {"code": next_code(app, username)}, token_from="/admin/login/code")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def staff_client(app, username: str, *roles: Role):
    make_staff(app, username, *roles)
    client = app.test_client()
    sign_in(app, client, username)
    return client


def get_user(app, username: str) -> StaffUser:
    with app.app_context():
        user = accounts.find_user(username)
        db.session.expunge(user)
        return user


@pytest.fixture
def admin_app(published_app):
    """The portal with its content and an administrator, an editor, a reviewer and an auditor."""
    make_staff(published_app, "admin", Role.ADMINISTRATOR)
    make_staff(published_app, "editor", Role.EDITOR)
    make_staff(published_app, "reviewer", Role.REVIEWER)
    make_staff(published_app, "auditor", Role.AUDITOR)
    return published_app


def signed_in(app, username: str):
    client = app.test_client()
    sign_in(app, client, username)
    return client
