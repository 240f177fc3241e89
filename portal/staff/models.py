"""Staff accounts, their roles and sessions, login throttles and the audit log."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.staff import totp


class Role(str, enum.Enum):
    """What a staff member may do. A person may hold several roles."""

    ADMINISTRATOR = "administrator"  # accounts and roles
    EDITOR = "editor"  # writes drafts
    REVIEWER = "reviewer"  # approves publication, returns drafts, withdraws
    REPORT_HANDLER = "report_handler"  # the report desk
    REQUEST_HANDLER = "request_handler"  # applications for information (依申请公开)
    AUDITOR = "auditor"  # reads the audit log

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMINISTRATOR: "系统管理员",
    Role.EDITOR: "编辑",
    Role.REVIEWER: "审核人",
    Role.REPORT_HANDLER: "举报受理人",
    Role.REQUEST_HANDLER: "依申请公开受理人",
    Role.AUDITOR: "审计员",
}


class StaffUser(db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200))
    # An account created by someone else must choose its own password at first login.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The authenticator's secret, sealed (staff.totp.seal_secret); read and set it as totp_secret.
    totp_sealed: Mapped[str | None] = mapped_column("totp_secret", String(200))
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # The 30-second step of the last code accepted: a code is good once (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def totp_secret(self) -> str | None:
        return totp.open_secret(self.totp_sealed) if self.totp_sealed else None

    @totp_secret.setter
    def totp_secret(self, secret: str | None) -> None:
        self.totp_sealed = totp.seal_secret(secret) if secret else None

    @property
    def role_set(self) -> set[Role]:
        return {Role(assignment.role) for assignment in self.roles}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.role_set & set(roles))

    def __repr__(self) -> str:
        return f"<StaffUser {self.username}>"


class RoleAssignment(db.Model):
    __tablename__ = "staff_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)

    user: Mapped[StaffUser] = relationship(back_populates="roles")


class StaffSession(db.Model):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is kept here, and
    revoking the row ends the session wherever the cookie is."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The report desk's private key while this session has it unlocked, encrypted with a key that
    # lives only in the browser's session cookie: neither the database nor the cookie alone opens it.
    desk_key: Mapped[bytes | None] = mapped_column(LargeBinary)

    user: Mapped[StaffUser] = relationship(lazy="joined")


class PendingLogin(db.Model):
    """A password accepted, the second step not yet done. The browser's cookie holds only a
    random token whose SHA-256 is kept here: whoever can sign cookies (SECRET_KEY) still cannot
    make one, so no forged cookie reaches the code or enrolment step. Used once, minutes long."""

    __tablename__ = "staff_pending_logins"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Where to go after the login (a back-office path, checked when it was stored).
    next: Mapped[str] = mapped_column(String(500), default="")

    user: Mapped[StaffUser] = relationship(lazy="joined")


class LoginThrottle(db.Model):
    """Recent failed logins per user name (existing or not, so the answer does not tell which)."""

    __tablename__ = "login_throttles"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class RefusalCount(db.Model):
    """Requests refused before anyone signed in (a form without its token, say), counted per day
    and kind: an anonymous flood adds to a number, not a row each."""

    __tablename__ = "audit_refusal_counts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    action: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(db.Model):
    """One staff action: who, when, on what, and what happened. Never the content of a report.

    Append-only: the application never updates or deletes a row (enforced below)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    # Kept as text too, so the entry still names the person if the account is renamed.
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(100), default="")
    outcome: Mapped[str] = mapped_column(String(16), default="ok")  # ok | denied | failed
    detail: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict | None] = mapped_column(JSON)


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(mapper, connection, target):
    raise AuditLogIsAppendOnly("the audit log is append-only")
