"""The staff door holds against whoever has SECRET_KEY or a database dump (issue #25, 2–3).

SECRET_KEY signs the session cookie, so its holder can write any value into it. The password
step's success must therefore live on the server; and the authenticator secrets in a dump must
be sealed under a key that is not in the database (derived from RECEIPT_PEPPER)."""
from __future__ import annotations

import time

import pyotp
import pytest
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import text

from portal.staff import accounts, totp
from portal.staff.models import AuditEntry, PendingLogin, Role
from portal.extensions import db
from tests.admin.conftest import PASSWORD, csrf_token, make_staff, post, sign_in


def forged_session_cookie(app, payload: dict) -> str:
    """A session cookie as the holder of the real SECRET_KEY would sign it."""
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.dumps(payload)


def _user_id(app, username):
    with app.app_context():
        return accounts.find_user(username).id


@pytest.mark.parametrize("pending", [
    lambda user_id: {"user": user_id, "at": time.time(), "next": "/admin/audit"},  # the old cookie's shape
    lambda user_id: "a-made-up-token-" + "x" * 30,
    lambda user_id: user_id,
])
def test_a_forged_pending_login_cookie_is_refused_at_every_step(app, pending):
    make_staff(app, "admin", Role.ADMINISTRATOR)
    make_staff(app, "auditor", Role.AUDITOR, enrolled=False)  # as right after a second-factor reset
    attacker = app.test_client()
    cookie = forged_session_cookie(app, {"pending_login": pending(_user_id(app, "auditor"))})
    attacker.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), cookie, domain="localhost")
    for path in ("/admin/enrol", "/admin/login/code"):
        response = attacker.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/admin/login"), path
    # Posting a code for an authenticator of the attacker's choosing gets nowhere either.
    attacker.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), cookie, domain="localhost")
    token = csrf_token(attacker, "/admin/login")
    attacker.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), cookie, domain="localhost")
    for path in ("/admin/enrol", "/admin/login/code"):
        response = attacker.post(path, data={"csrf_token": token, "code": "123456"})
        assert response.status_code in (302, 400) and "/admin/login" in response.headers.get("Location", "/admin/login")
    assert attacker.get("/admin/audit").status_code == 302
    with app.app_context():
        user = accounts.find_user("auditor")
        assert user.totp_secret is None and not user.totp_confirmed
        assert not db.session.query(AuditEntry).filter_by(action="login", actor_name="auditor").count()


def test_a_pending_login_is_used_once(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    post(client, "/admin/login", {"username": "editor", "password": PASSWORD}, token_from="/admin/login")
    stolen = client.get_cookie("session").value
    from tests.admin.conftest import next_code

    response = post(client, "/admin/login/code", {"code": next_code(app, "editor")}, token_from="/admin/login/code")
    assert response.status_code == 302 and "/admin/login" not in response.headers["Location"]
    replay = app.test_client()
    replay.set_cookie("session", stolen, domain="localhost")
    assert replay.get("/admin/login/code").headers["Location"].endswith("/admin/login")
    with app.app_context():
        assert db.session.query(PendingLogin).count() == 0


def test_a_pending_login_expires_after_minutes(app):
    import datetime as dt

    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    post(client, "/admin/login", {"username": "editor", "password": PASSWORD}, token_from="/admin/login")
    with app.app_context():
        pending = db.session.query(PendingLogin).one()
        pending.created_at -= accounts.PENDING_TIMEOUT + dt.timedelta(seconds=1)
        db.session.commit()
    assert client.get("/admin/login/code").headers["Location"].endswith("/admin/login")


def test_the_cookie_holds_no_account_and_the_database_no_token(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    post(client, "/admin/login", {"username": "editor", "password": PASSWORD}, token_from="/admin/login")
    session = SecureCookieSessionInterface().get_signing_serializer(app).loads(client.get_cookie("session").value)
    token = session["pending_login"]
    assert isinstance(token, str) and len(token) >= 40
    with app.app_context():
        row = db.session.query(PendingLogin).one()
        assert row.token_hash != token and token not in row.token_hash


def test_a_dump_holds_no_authenticator_secret_in_plain_form(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    sign_in(app, client, "editor")
    with app.app_context():
        secret = accounts.find_user("editor").totp_secret
        stored = db.session.execute(text("SELECT totp_secret FROM staff_users WHERE username = 'editor'")).scalar()
    assert len(secret) == 32 and pyotp.TOTP(secret).now()
    assert secret not in stored and secret.lower() not in stored.lower()


def test_a_dump_with_another_pepper_cannot_open_the_secrets(app, make_app):
    make_staff(app, "editor", Role.EDITOR)
    with app.app_context():
        stored = db.session.execute(text("SELECT totp_secret FROM staff_users")).scalar()
    other = make_app(receipt_pepper="another-pepper-" + "z" * 20)
    with other.app_context():
        with pytest.raises(Exception):
            totp.open_secret(stored)


def test_the_migration_seals_secrets_stored_in_plain_form(make_app):
    from flask_migrate import downgrade, upgrade

    app = make_app()
    with app.app_context():
        db.drop_all()
        upgrade(revision="0011")
        plain = pyotp.random_base32()
        db.session.execute(text(
            "INSERT INTO staff_users (username, display_name, password_hash, must_change_password, active, "
            "totp_secret, totp_confirmed, created_at) VALUES ('old', 'Old', 'x', false, true, :s, true, "
            "'2026-01-01 00:00:00')"), {"s": plain})
        db.session.commit()
        upgrade(revision="0012")
        stored = db.session.execute(text("SELECT totp_secret FROM staff_users")).scalar()
        assert stored != plain and totp.open_secret(stored) == plain
        assert accounts.find_user("old").totp_secret == plain
        db.session.remove()
        downgrade(revision="0011")
        assert db.session.execute(text("SELECT totp_secret FROM staff_users")).scalar() == plain
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
