"""Reports (投诉举报), their messages and files, and the desk's key.

What is stored in the clear is what the desk must sort and the public statistics must count
without unlocking anything: category, channel, status, day of receipt and deadlines. Everything
else (the department concerned, whether contact details were left, the account, when it
happened, contact details, messages, file names and files) is only ever stored sealed to the desk
key, padded to a size bucket (portal.reports.crypto) so that a ciphertext's length says little
about the text's. Dates are kept to the day: a time of day could tie a report to a person's
movements.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, JSON, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db


class Category(str, enum.Enum):
    """The plan's integrity domains a report can be about."""

    COMMITMENT = "commitment"
    PROCUREMENT = "procurement"
    TENDERING = "tendering"
    JUDGMENT = "judgment"
    APPROVAL_DELAY = "approval_delay"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "commitment": "不履行承诺",
            "procurement": "政府采购",
            "tendering": "招标投标",
            "judgment": "不执行司法判决",
            "approval_delay": "行政审批超时",
            "other": "其他",
        }[self.value]


class Channel(str, enum.Enum):
    WEB = "web"
    HOTLINE = "hotline_12345"
    MAILBOX = "mailbox"
    LETTER = "letter"
    VISIT = "visit"
    EMAIL = "email"

    @property
    def label(self) -> str:
        return {
            "web": "网上举报",
            "hotline_12345": "12345 热线",
            "mailbox": "举报箱",
            "letter": "来信",
            "visit": "来访",
            "email": "电子邮件",
        }[self.value]


class Status(str, enum.Enum):
    """The states a reporter sees."""

    REGISTERED = "registered"
    ACCEPTED = "accepted"
    TRANSFERRED = "transferred"
    CONCLUDED = "concluded"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {
            "registered": "已登记",
            "accepted": "已受理",
            "transferred": "已转办",
            "concluded": "已办结",
            "rejected": "不予受理",
        }[self.value]

    @property
    def is_final(self) -> bool:
        return self in (Status.CONCLUDED, Status.REJECTED)


class Anonymity(str, enum.Enum):
    ANONYMOUS = "anonymous"  # no contact at all
    CONFIDENTIAL = "confidential"  # contact details kept, sealed, seen only by report handlers

    @property
    def label(self) -> str:
        return "完全匿名" if self is Anonymity.ANONYMOUS else "保密联系"


class Report(db.Model):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # HMAC of the receipt code under the server's pepper; the code itself is never stored.
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # What the desk writes back is sealed to this key too; its private half is derived from the
    # code and the server's RECEIPT_PEPPER, so a database copy alone cannot test a code with it.
    reporter_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20), index=True)
    # Sealed JSON: {"description", "occurred", "contact"}.
    sealed_content: Mapped[bytes] = mapped_column(LargeBinary)
    # Sealed JSON: {"department": slug or "", "anonymity"}; shown on the desk once it is unlocked.
    sealed_context: Mapped[bytes] = mapped_column(LargeBinary)
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    due_on: Mapped[dt.date] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=Status.REGISTERED.value, index=True)
    # The first answer (accepted or rejected): what "answered on time" is measured by.
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    concluded_on: Mapped[dt.date | None] = mapped_column(Date)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    # Bumped by every change, so two handlers acting at once cannot overwrite each other.
    version: Mapped[int] = mapped_column(Integer, default=1)

    assigned_to = relationship("StaffUser", lazy="joined")
    messages: Mapped[list[ReportMessage]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportMessage.id"
    )
    files: Mapped[list[ReportFile]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportFile.id"
    )

    @property
    def status_enum(self) -> Status:
        return Status(self.status)

    @property
    def category_enum(self) -> Category:
        return Category(self.category)

    @property
    def channel_enum(self) -> Channel:
        return Channel(self.channel)


class MessageKind(str, enum.Enum):
    FROM_REPORTER = "from_reporter"  # the reporter's follow-up message
    REPLY = "reply"  # the desk's answer to the reporter
    NOTE = "note"  # internal: the reporter never sees it
    STATUS = "status"  # a status change, with its reason shown to the reporter


class ReportMessage(db.Model):
    __tablename__ = "report_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    written_on: Mapped[dt.date] = mapped_column(Date)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    # A status change's new status, kept in the clear (it is also the report's status).
    status: Mapped[str | None] = mapped_column(String(20))
    sealed_for_desk: Mapped[bytes] = mapped_column(LargeBinary)
    # Present when the reporter may read the message (not for internal notes).
    sealed_for_reporter: Mapped[bytes | None] = mapped_column(LargeBinary)

    report: Mapped[Report] = relationship(back_populates="messages")
    author = relationship("StaffUser", lazy="joined")


class ReportFile(db.Model):
    """A file sent with a report or a follow-up message, stored encrypted under a random name."""

    __tablename__ = "report_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    received_on: Mapped[dt.date] = mapped_column(Date)
    # Sealed JSON: {"name": the reporter's file name, "media_type", "size"}.
    sealed_meta: Mapped[bytes] = mapped_column(LargeBinary)
    storage_name: Mapped[str] = mapped_column(String(32))
    # A copy with its metadata removed (EXIF, PDF document info), for images and PDFs.
    clean_storage_name: Mapped[str | None] = mapped_column(String(32))
    extension: Mapped[str] = mapped_column(String(8))

    report: Mapped[Report] = relationship(back_populates="files")


class DeskKey(db.Model):
    """The desk's key pair. The private key is stored only locked with the handlers' passphrase."""

    __tablename__ = "report_desk_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    locked_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    kdf_cost: Mapped[dict] = mapped_column(JSON)
    created_on: Mapped[dt.date] = mapped_column(Date)


class FormToken(db.Model):
    """A report form that has been used: the same form sent again (a reload of the receipt page,
    a double click) is recognised and files nothing. Not linked to the report it filed."""

    __tablename__ = "report_form_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_on: Mapped[dt.date] = mapped_column(Date, index=True)


class StatisticsSnapshot(db.Model):
    """The public statistics as computed once for a day, from the days before it: figures that
    change only at midnight cannot be watched to date a report."""

    __tablename__ = "report_statistics"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    figures: Mapped[dict] = mapped_column(JSON)
