"""Staff accounts: creation, roles, passwords, two-factor codes, login throttling and sessions.

Every function here commits its own transaction, with its audit entry in it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable

from sqlalchemy import case, delete, select, update

from portal.staff import audit, passwords, totp
from portal.staff.models import LoginThrottle, PendingLogin, Role, RoleAssignment, StaffSession, StaffUser
from portal.clock import utcnow
from portal.extensions import db
from portal.upsert import upsert

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# A session ends after this long without a request, and after this long in any case.
IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
# Between the password and the code: long enough to open an app, short enough to be useless later.
PENDING_TIMEOUT = dt.timedelta(minutes=5)
# Throttling per account: FREE_FAILURES wrong attempts cost nothing, then each further one
# doubles the wait, up to MAX_DELAY. Failures are forgotten after FORGET_AFTER without one.
# Per account, not per site: one attacker guessing one name slows that name only.
FREE_FAILURES = 5
FIRST_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(minutes=15)
FORGET_AFTER = dt.timedelta(hours=1)


class AccountError(ValueError):
    """A refused account operation; the message is shown to the staff member."""


class LoginRefused(Exception):
    """Wrong user name, password or code. One message for all, so it tells nothing more."""

    message = "用户名或密码错误。"


class LoginThrottled(Exception):
    def __init__(self, wait: dt.timedelta):
        self.seconds = max(1, int(wait.total_seconds() + 0.999))
        super().__init__(f"登录失败次数过多，请 {self.seconds} 秒后再试。")


class CodeRefused(Exception):
    message = "验证码错误或已使用过，请输入验证器中的新验证码。"


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


# --- accounts ------------------------------------------------------------------------------

def get_user(user_id: int) -> StaffUser | None:
    return db.session.get(StaffUser, user_id)


def find_user(username: str) -> StaffUser | None:
    return db.session.scalar(select(StaffUser).where(StaffUser.username == normalise_username(username)))


def list_users() -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.username)))


def create_user(username: str, display_name: str, password: str, roles: Iterable[Role],
                actor: StaffUser | None = None) -> StaffUser:
    """Create an account. One created by another person must change its password at first login.

    Raises AccountError or passwords.PasswordRefused."""
    username = normalise_username(username)
    if not USERNAME_RE.match(username):
        raise AccountError("用户名只能用小写字母、数字、点、下划线和连字符，2 到 64 个字符。")
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 64 or any(ord(ch) < 32 for ch in display_name):
        raise AccountError("请填写姓名（不超过 64 个字符）。")
    if find_user(username) is not None:
        raise AccountError("该用户名已被使用。")
    passwords.check_policy(password, username)
    roles = sorted(set(Role(role) for role in roles), key=lambda role: role.value)
    if not roles:
        raise AccountError("请至少选择一个角色。")
    user = StaffUser(
        username=username, display_name=display_name,
        password_hash=passwords.hash_password(password), must_change_password=actor is not None,
        roles=[RoleAssignment(role=role.value) for role in roles],
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "account_created", "staff_user", user.username,
                 detail="角色: " + ", ".join(role.value for role in roles),
                 actor_name=None if actor else "command line")
    db.session.commit()
    return user


def set_roles(user: StaffUser, roles: Iterable[Role], actor: StaffUser) -> None:
    new = set(Role(role) for role in roles)
    old = user.role_set
    if new == old:
        return
    if not new:
        raise AccountError("请至少保留一个角色。")
    if Role.ADMINISTRATOR in old - new and _other_active_administrators(user) == 0:
        raise AccountError("不能移除最后一位系统管理员的管理员角色。")
    user.roles = [RoleAssignment(role=role.value) for role in sorted(new, key=lambda role: role.value)]
    audit.record(actor, "roles_changed", "staff_user", user.username,
                 detail=f"{','.join(sorted(r.value for r in old))} → {','.join(sorted(r.value for r in new))}")
    db.session.commit()


def set_active(user: StaffUser, active: bool, actor: StaffUser) -> None:
    if user.active == active:
        return
    if not active and user.has_role(Role.ADMINISTRATOR) and _other_active_administrators(user) == 0:
        raise AccountError("不能停用最后一位系统管理员。")
    user.active = active
    if not active:
        _revoke_all(user)
    audit.record(actor, "account_changed", "staff_user", user.username, detail="启用" if active else "停用")
    db.session.commit()


def _other_active_administrators(user: StaffUser) -> int:
    return sum(
        1 for other in list_users()
        if other.id != user.id and other.active and other.has_role(Role.ADMINISTRATOR)
    )


def reset_totp(user: StaffUser, actor: StaffUser) -> None:
    """For a lost phone: the next login enrols a new authenticator. Sessions end now."""
    user.totp_secret = None
    user.totp_confirmed = False
    user.totp_last_step = None
    _revoke_all(user)
    audit.record(actor, "totp_reset", "staff_user", user.username)
    db.session.commit()


def change_password(user: StaffUser, current: str, new: str) -> None:
    """Raises LoginRefused (wrong current password) or PasswordRefused. Ends every session."""
    if not passwords.verify_password(user.password_hash, current):
        audit.record_now(user, "password_changed", "staff_user", user.username, outcome="failed",
                         detail="当前密码错误")
        raise LoginRefused()
    if new == current:
        raise passwords.PasswordRefused("新密码不能与当前密码相同。")
    passwords.check_policy(new, user.username)
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    _revoke_all(user)
    audit.record(user, "password_changed", "staff_user", user.username)
    db.session.commit()


# --- login ---------------------------------------------------------------------------------

def check_password(username: str, password: str, now: dt.datetime | None = None) -> StaffUser:
    """The first login step. Raises LoginThrottled or LoginRefused; records the attempt.

    passwords.HashingBusy when every hashing slot is taken: checked first, so that under a flood
    a refused attempt costs no database work either."""
    with passwords.hashing_slot():
        return _check_password(username, password, now or utcnow())


def _check_password(username: str, password: str, now: dt.datetime) -> StaffUser:
    name = normalise_username(username)[:64]
    _check_throttle(name, now)
    user = find_user(name)
    ok = passwords.verify_password(user.password_hash if user else None, password or "", slot_held=True)
    if not ok or user is None or not user.active:
        count_failure(name, now)
        audit.record(user, "login_failed", "staff_user", name, outcome="failed",
                     actor_name=name, detail="停用的账号" if (ok and user and not user.active) else "")
        db.session.commit()
        raise LoginRefused()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.rehash_in_slot(password)
        db.session.commit()
    return user


def check_code(user: StaffUser, code: str, now: dt.datetime | None = None) -> None:
    """The second login step (and enrolment's confirmation). Wrong codes count toward the same
    throttle as wrong passwords, so six digits cannot be guessed either."""
    now = now or utcnow()
    _check_throttle(user.username, now)
    if user.totp_secret is None:
        raise CodeRefused()
    step = totp.matching_step(user.totp_secret, code, user.totp_last_step,
                              now.replace(tzinfo=dt.timezone.utc).timestamp())
    # Claimed by a conditional update: two requests with the same code cannot both win.
    claimed = step is not None and db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .where((StaffUser.totp_last_step.is_(None)) | (StaffUser.totp_last_step < step))
        .values(totp_last_step=step)
    ).rowcount == 1
    if not claimed:
        db.session.rollback()
        count_failure(user.username, now)
        audit.record(user, "totp_failed", "staff_user", user.username, outcome="failed")
        db.session.commit()
        raise CodeRefused()
    db.session.commit()
    db.session.refresh(user)


def begin_enrolment(user: StaffUser) -> str:
    """A new secret for an account without a confirmed authenticator."""
    if user.totp_confirmed:
        raise AccountError("两步验证已启用。")
    user.totp_secret = totp.new_secret()
    user.totp_last_step = None
    db.session.commit()
    return user.totp_secret


def confirm_enrolment(user: StaffUser, code: str) -> None:
    check_code(user, code)
    user.totp_confirmed = True
    audit.record(user, "totp_enrolled", "staff_user", user.username)
    db.session.commit()


def _check_throttle(name: str, now: dt.datetime) -> None:
    check_throttle(name, find_user(name), "login_throttled", now)


def check_throttle(key: str, user: StaffUser | None, action: str, now: dt.datetime | None = None) -> None:
    """LoginThrottled (and `action` audited) while `key` has failed too often lately. The login
    throttles by user name; other guessable secrets (the desk passphrase) by a key of their own."""
    now = now or utcnow()
    throttle = db.session.get(LoginThrottle, key)
    if throttle is None or now - throttle.last_failure_at > FORGET_AFTER:
        return
    wait = throttle_delay(throttle.failures) - (now - throttle.last_failure_at)
    if wait > dt.timedelta(0):
        audit.record(user, action, "staff_user", user.username if user else key, outcome="denied", actor_name=key)
        db.session.commit()
        raise LoginThrottled(wait)


def throttle_delay(failures: int) -> dt.timedelta:
    if failures < FREE_FAILURES:
        return dt.timedelta(0)
    return min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - FREE_FAILURES))


def count_failure(name: str, now: dt.datetime | None = None) -> None:
    """One more failure for `name`, in one atomic statement: concurrent first failures for one
    name neither collide on its key nor lose a count."""
    now = now or utcnow()
    upsert(LoginThrottle, {"username": name, "failures": 1, "last_failure_at": now}, [LoginThrottle.username], {
        "failures": case((LoginThrottle.last_failure_at < now - FORGET_AFTER, 1), else_=LoginThrottle.failures + 1),
        "last_failure_at": now,
    })


def clear_failures(name: str) -> None:
    throttle = db.session.get(LoginThrottle, name)
    if throttle is not None:
        db.session.delete(throttle)


# --- between the password and the code ------------------------------------------------------

def begin_login(user: StaffUser, next_path: str) -> str:
    """The password step succeeded: a pending login, kept here. Returns the token the browser
    holds (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    db.session.add(PendingLogin(token_hash=_token_hash(token), user_id=user.id, next=next_path[:500]))
    db.session.commit()
    return token


def pending_login(token: str | None, now: dt.datetime | None = None) -> PendingLogin | None:
    """The pending login a token names, if it is fresh and its account still active."""
    if not token or not isinstance(token, str):
        return None
    pending = db.session.get(PendingLogin, _token_hash(token))
    if pending is None:
        return None
    if (now or utcnow()) - pending.created_at > PENDING_TIMEOUT or not pending.user.active:
        db.session.delete(pending)
        db.session.commit()
        return None
    return pending


def finish_login(pending: PendingLogin) -> tuple[str, str]:
    """The second step succeeded: the pending login is used up (once), a session starts.
    Returns (session token, where to go)."""
    user, target = pending.user, pending.next
    db.session.delete(pending)
    return start_session(user), target


# --- sessions ------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sweep_expired_sessions(now: dt.datetime | None = None) -> int:
    """End every session past its idle or absolute limit and wipe any desk key an ended session
    still holds: an unlocked desk key must not outlive its session in the database, even when
    its browser never comes back. Run at every login and from cron (`flask users sweep-sessions`).
    Returns how many sessions held a key or were still open."""
    now = now or utcnow()
    expired = (StaffSession.last_seen_at < now - IDLE_TIMEOUT) | (StaffSession.created_at < now - ABSOLUTE_TIMEOUT)
    ended = db.session.execute(
        update(StaffSession).where(StaffSession.revoked_at.is_(None), expired)
        .values(revoked_at=now, desk_key=None).execution_options(synchronize_session=False)
    ).rowcount
    wiped = db.session.execute(
        update(StaffSession).where(StaffSession.revoked_at.is_not(None), StaffSession.desk_key.is_not(None))
        .values(desk_key=None).execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(delete(PendingLogin).where(PendingLogin.created_at < now - PENDING_TIMEOUT)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    return ended + wiped


def start_session(user: StaffUser) -> str:
    """A new session (a new identifier at every login: no session fixation). Returns its token."""
    sweep_expired_sessions()
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id))
    clear_failures(user.username)
    audit.record(user, "login", "staff_user", user.username)
    db.session.commit()
    return token


def session_user(token: str | None, now: dt.datetime | None = None) -> StaffUser | None:
    """The user a session token belongs to, if the session is still good; touches it."""
    if not token:
        return None
    now = now or utcnow()
    staff_session = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if staff_session is None or staff_session.revoked_at is not None:
        return None
    user = staff_session.user
    if (now - staff_session.last_seen_at > IDLE_TIMEOUT or now - staff_session.created_at > ABSOLUTE_TIMEOUT
            or not user.active):
        staff_session.revoked_at = now
        staff_session.desk_key = None
        audit.record(user, "session_expired", "staff_user", user.username)
        db.session.commit()
        return None
    # Touched at most once a minute: a page view should not always be a database write.
    if now - staff_session.last_seen_at > dt.timedelta(minutes=1):
        staff_session.last_seen_at = now
        db.session.commit()
    return user


def active_session(token: str | None) -> StaffSession | None:
    """The session row of a token that session_user() accepted in this request."""
    if not token:
        return None
    row = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    return row if row is not None and row.revoked_at is None else None


def end_session(token: str) -> None:
    staff_session = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if staff_session is not None and staff_session.revoked_at is None:
        staff_session.revoked_at = utcnow()
        staff_session.desk_key = None
        audit.record(staff_session.user, "logout", "staff_user", staff_session.user.username)
        db.session.commit()


def _revoke_all(user: StaffUser) -> None:
    db.session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user.id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), desk_key=None)
    )
