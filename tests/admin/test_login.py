"""Accounts and signing in: the promises of SECURITY.md's "Staff" section."""
from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from sqlalchemy import func, select

from portal.staff import accounts, passwords
from portal.staff.models import AuditEntry, LoginThrottle, Role, StaffSession, StaffUser
from portal.extensions import db
from tests.admin.conftest import PASSWORD, csrf_token, make_staff, next_code, post, sign_in


def turn_back_clock(app, model, column: str, delta: dt.timedelta) -> None:
    """Make stored times older, as if `delta` had passed (SQLite has no date arithmetic in SQL)."""
    with app.app_context():
        for row in db.session.scalars(select(model)):
            setattr(row, column, getattr(row, column) - delta)
        db.session.commit()


def audit_actions(app, username: str | None = None) -> list[tuple[str, str]]:
    with app.app_context():
        statement = select(AuditEntry.action, AuditEntry.outcome).order_by(AuditEntry.id)
        if username:
            statement = statement.where(AuditEntry.actor_name == username)
        return [tuple(row) for row in db.session.execute(statement)]


def test_no_account_exists_until_one_is_created(app, client):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 0
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_users_create_makes_the_first_administrator_with_an_argon2id_hash(app, runner):
    result = runner.invoke(args=["users", "create", "chen.admin", "--name", "陈管理", "--role", "administrator",
                                 "--password", "一句只有我知道的话 2026"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = accounts.find_user("chen.admin")
        assert user.password_hash.startswith("$argon2id$")
        assert user.role_set == {Role.ADMINISTRATOR}
        assert not user.totp_confirmed and not user.must_change_password
    assert audit_actions(app) == [("account_created", "ok")]


@pytest.mark.parametrize("password, message", [
    ("short pass", "至少需要 12"),
    ("x" * 129, "最多 128"),
    ("qwerty123456", "常见密码"),
    ("Password1234", "常见密码"),
    ("aaaaaaaaaaaaaaaa", "重复字符"),
    ("my name is chen.admin ok", "用户名"),
])
def test_weak_passwords_are_refused_with_a_reason(app, runner, password, message):
    result = runner.invoke(args=["users", "create", "chen.admin", "--name", "陈", "--role", "editor",
                                 "--password", password])
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert accounts.find_user("chen.admin") is None


def test_the_deployed_profile_is_argon2id_with_rfc_9106_parameters():
    from argon2 import Type

    deployed = passwords.DEPLOYED_HASHER  # what the portal uses outside this test suite
    assert deployed.type is Type.ID
    assert (deployed.time_cost, deployed.memory_cost, deployed.parallelism) == (3, 65536, 4)


def test_twelve_characters_without_composition_rules_are_enough(app):
    passwords.check_policy("梅州应急管理局诚信公开平台", "editor")  # no digits, no symbols: fine


def test_first_login_enrols_totp_with_a_qr_code_drawn_by_the_portal(app):
    make_staff(app, "editor", Role.EDITOR, enrolled=False)
    client = app.test_client()
    response = post(client, "/admin/login", {"username": "editor", "password": PASSWORD}, token_from="/admin/login")
    assert response.headers["Location"].endswith("/admin/enrol")
    page = client.get("/admin/enrol").get_data(as_text=True)
    assert "<svg" in page and "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", "")  # no third-party service draws the QR code
    secret = "".join(re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).split())
    token = csrf_token(client, "/admin/enrol")
    wrong = client.post("/admin/enrol", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 400 and "验证码错误" in wrong.get_data(as_text=True)
    response = client.post("/admin/enrol", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert ("totp_enrolled", "ok") in audit_actions(app, "editor")
    assert ("login", "ok") in audit_actions(app, "editor")


def test_a_totp_code_works_only_once(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    code = next_code(app, "editor")
    post(client, "/admin/login", {"username": "editor", "password": PASSWORD}, token_from="/admin/login")
    assert post(client, "/admin/login/code", {"code": code}, token_from="/admin/login/code").status_code == 302
    post(client, "/admin/logout")

    post(client, "/admin/login", {"username": "editor", "password": PASSWORD}, token_from="/admin/login")
    replay = post(client, "/admin/login/code", {"code": code}, token_from="/admin/login/code")
    assert replay.status_code == 400 and "已使用过" in replay.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    assert ("totp_failed", "failed") in audit_actions(app, "editor")


def test_wrong_password_and_unknown_user_get_the_same_answer(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    wrong = post(client, "/admin/login", {"username": "editor", "password": "not the password"}, token_from="/admin/login")
    unknown = post(client, "/admin/login", {"username": "nobody", "password": "not the password"}, token_from="/admin/login")
    assert wrong.status_code == unknown.status_code == 400
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert "用户名或密码错误" in unknown.get_data(as_text=True)
    assert audit_actions(app)[-2:] == [("login_failed", "failed"), ("login_failed", "failed")]


def test_login_throttle_is_per_account_and_not_global(app):
    make_staff(app, "editor", Role.EDITOR)
    make_staff(app, "reviewer", Role.REVIEWER)
    attacker = app.test_client()
    for _ in range(accounts.FREE_FAILURES):
        response = post(attacker, "/admin/login", {"username": "editor", "password": "guess guess guess"},
                        token_from="/admin/login")
        assert response.status_code == 400
    # The sixth attempt waits, even with the right password...
    owner = app.test_client()
    throttled = post(owner, "/admin/login", {"username": "editor", "password": PASSWORD}, token_from="/admin/login")
    assert throttled.status_code == 429 and "秒后再试" in throttled.get_data(as_text=True)
    # ...while everyone else signs in as usual.
    sign_in(app, app.test_client(), "reviewer")
    assert ("login_throttled", "denied") in audit_actions(app, "editor")

    # After the delay the owner gets in, and the count starts again.
    turn_back_clock(app, LoginThrottle, "last_failure_at", accounts.FIRST_DELAY + dt.timedelta(seconds=1))
    sign_in(app, owner, "editor")
    with app.app_context():
        assert db.session.get(LoginThrottle, "editor") is None


def test_the_delay_grows_with_each_further_failure():
    delays = [accounts.throttle_delay(n).total_seconds() for n in range(4, 12)]
    assert delays == [0, 30, 60, 120, 240, 480, 900, 900]


def test_wrong_codes_count_toward_the_throttle(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    post(client, "/admin/login", {"username": "editor", "password": PASSWORD}, token_from="/admin/login")
    for _ in range(accounts.FREE_FAILURES):
        assert post(client, "/admin/login/code", {"code": "123456"}, token_from="/admin/login/code").status_code == 400
    response = post(client, "/admin/login/code", {"code": next_code(app, "editor")}, token_from="/admin/login/code")
    assert response.status_code == 429


def test_login_gives_a_new_session_and_logout_revokes_it(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    client.get("/admin/login")  # a session cookie from before the login (CSRF token)
    before = client.get_cookie("session").value
    sign_in(app, client, "editor")
    after = client.get_cookie("session").value
    assert before != after
    assert client.get("/admin/").status_code == 200

    post(client, "/admin/logout")
    assert client.get("/admin/").status_code == 302
    # Replaying the old cookie does not bring the session back: it was revoked on the server.
    client.set_cookie("session", after)
    assert client.get("/admin/").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffSession)
                                 .where(StaffSession.revoked_at.is_(None))) == 0


def test_changing_the_password_ends_every_session(app):
    make_staff(app, "editor", Role.EDITOR)
    laptop, phone = app.test_client(), app.test_client()
    sign_in(app, laptop, "editor")
    sign_in(app, phone, "editor")
    new_password = "a brand new passphrase 2026"
    response = post(laptop, "/admin/account/password", {
        "current_password": PASSWORD, "new_password": new_password, "confirm_password": new_password,
    })
    assert response.status_code == 302
    assert laptop.get("/admin/").status_code == 302
    assert phone.get("/admin/").status_code == 302
    # The new password opens the first step (the code step is shown by the other tests).
    response = post(phone, "/admin/login", {"username": "editor", "password": new_password}, token_from="/admin/login")
    assert response.headers["Location"].endswith("/admin/login/code")
    assert ("password_changed", "ok") in audit_actions(app, "editor")


def test_a_wrong_current_password_changes_nothing(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    sign_in(app, client, "editor")
    response = post(client, "/admin/account/password", {
        "current_password": "wrong wrong wrong", "new_password": "another passphrase 1", "confirm_password": "another passphrase 1",
    })
    assert response.status_code == 400 and "当前密码不正确" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200


def test_an_idle_session_expires(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    sign_in(app, client, "editor")
    turn_back_clock(app, StaffSession, "last_seen_at", accounts.IDLE_TIMEOUT + dt.timedelta(minutes=1))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    assert ("session_expired", "ok") in audit_actions(app, "editor")


def test_the_session_cookie_is_httponly_and_samesite_strict(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    response = sign_in(app, client, "editor")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie


def test_the_session_cookie_is_secure_behind_https(make_app):
    app = make_app(https=True)
    response = app.test_client().get("/admin/login")
    assert "Secure" in response.headers["Set-Cookie"]


def test_forms_without_or_with_a_foreign_csrf_token_are_refused(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    missing = client.post("/admin/login", data={"username": "editor", "password": PASSWORD})
    assert missing.status_code == 400 and "表单已过期" in missing.get_data(as_text=True)
    foreign = csrf_token(app.test_client(), "/admin/login")
    client.get("/admin/login")
    refused = client.post("/admin/login", data={"username": "editor", "password": PASSWORD, "csrf_token": foreign})
    assert refused.status_code == 400
    assert not [action for action, _ in audit_actions(app) if action.startswith("login")]  # none was tried
    # Anonymous refusals are counted per day, not written a row each (a flood adds to a number).
    assert not [action for action, _ in audit_actions(app) if action == "csrf_refused"]
    with app.app_context():
        from portal.staff.models import RefusalCount
        from portal.extensions import db

        assert [(r.action, r.count) for r in db.session.scalars(select(RefusalCount))] == [("csrf_refused", 2)]


def test_an_anonymous_flood_without_csrf_tokens_adds_no_audit_rows(app):
    client = app.test_client()
    with app.app_context():
        from portal.extensions import db

        before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    for path in ("/admin/login", "/admin/reports/unlock", "/admin/users/new", "/admin/logout") * 25:
        assert client.post(path, data={"x": "y"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_concurrent_failures_for_one_name_are_all_counted_once(app):
    """Ten first failures at once: no collision on the key, no lost count (atomic upsert)."""
    import threading

    from portal.staff import accounts
    from portal.staff.models import LoginThrottle
    from portal.extensions import db

    barrier = threading.Barrier(10)
    errors = []

    def fail_once():
        with app.app_context():
            try:
                barrier.wait()
                accounts.count_failure("racer", accounts.utcnow())
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=fail_once) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert db.session.get(LoginThrottle, "racer").failures == 10


def test_a_client_sending_many_passwords_is_limited_before_any_is_hashed(app, monkeypatch):
    client = app.test_client()
    hashed = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda *a, **k: hashed.append(1) or real(*a, **k))
    statuses = []
    for n in range(22):
        token = csrf_token(client, "/admin/login")
        statuses.append(client.post("/admin/login", data={"username": f"guess{n}", "password": "wrong password!",
                                                          "csrf_token": token}).status_code)
    assert statuses[:20] == [400] * 20 and statuses[20:] == [429, 429]
    assert len(hashed) == 20
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    assert other.post("/admin/login", data={"username": "x", "password": "y",
                                            "csrf_token": csrf_token(other, "/admin/login")}).status_code == 400


def test_when_every_hashing_slot_is_taken_a_login_is_told_to_retry_at_once(app, monkeypatch):
    monkeypatch.setattr(passwords.HASHING, "size", 1)
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    with passwords.hashing_slot():  # another worker is hashing
        response = client.post("/admin/login", data={"username": "editor", "password": PASSWORD,
                                                     "csrf_token": csrf_token(client, "/admin/login")})
        assert response.status_code == 503 and "登录请求较多" in response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "5"
    response = client.post("/admin/login", data={"username": "editor", "password": PASSWORD,
                                                 "csrf_token": csrf_token(client, "/admin/login")})
    assert response.status_code == 302


def test_an_account_made_by_an_administrator_must_choose_its_own_password(app):
    make_staff(app, "admin", Role.ADMINISTRATOR)
    admin = app.test_client()
    sign_in(app, admin, "admin")
    response = post(admin, "/admin/users/new", {"username": "li.editor", "display_name": "李编辑",
                                                 "password": "initial passphrase 1", "roles": ["editor"]})
    assert response.status_code == 302
    with app.app_context():
        user = accounts.find_user("li.editor")
        assert user.must_change_password and user.role_set == {Role.EDITOR}
        user.totp_secret, user.totp_confirmed = pyotp.random_base32(), True
        db.session.commit()
    client = app.test_client()
    sign_in(app, client, "li.editor", "initial passphrase 1")
    assert client.get("/admin/drafts").headers["Location"].endswith("/admin/account/password")
    assert ("account_created", "ok") in audit_actions(app, "admin")


def test_next_is_never_an_open_redirect(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    post(client, "/admin/login", {"username": "editor", "password": PASSWORD, "next": "//evil.example/x"},
         token_from="/admin/login")
    response = post(client, "/admin/login/code", {"code": next_code(app, "editor")}, token_from="/admin/login/code")
    assert response.headers["Location"] == "/admin/"


def test_back_office_pages_are_never_cached(app):
    make_staff(app, "editor", Role.EDITOR)
    client = app.test_client()
    sign_in(app, client, "editor")
    assert client.get("/admin/").headers["Cache-Control"] == "no-store"
