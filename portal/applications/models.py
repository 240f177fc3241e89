"""Applications for government information (依申请公开) and what happened to each.

In the clear: what the desk sorts by and the annual report counts — channel, applicant type (自然人
or the organisation's kind), state, dates, the answer's type. Sealed (portal.applications.sealing,
under a key derived from the server's secret kept out of the database): the applicant's name,
identity document, contact, the description of what is sought, the fee-waiver reason, and the
desk's internal notes. The applicant is recognised across applications (to count the month's
applications for fees) by a keyed hash of their identity document, never the number itself.
"""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db


class Status(str, enum.Enum):
    RECEIVED = "received"  # the clock runs; nobody has acted yet
    CORRECTING = "correcting"  # 补正 asked: the clock waits for the corrected application
    PROCESSING = "processing"  # accepted and being worked on
    PAUSED = "paused"  # consultation or a fee notice: the clock is stopped
    ANSWERED = "answered"  # an Art. 36 answer was given (final)
    CLOSED = "closed"  # ended without an answer: 视为放弃, withdrawn (final)

    @property
    def label(self) -> str:
        return {"received": "已收到", "correcting": "待补正", "processing": "办理中", "paused": "暂停计时",
                "answered": "已答复", "closed": "已终止"}[self.value]

    @property
    def is_final(self) -> bool:
        return self in (Status.ANSWERED, Status.CLOSED)


CHANNELS = {"online": "网上申请", "in_person": "当面提交", "post": "信函"}
APPLICANT_TYPES = {"natural": "公民（自然人）", "organisation": "法人或其他组织"}
# The annual report's columns for organisations (国办公开办函〔2021〕30号, Table 3).
ORGANISATION_KINDS = {"commercial": "商业企业", "research": "科研机构", "public_interest": "社会公益组织",
                      "legal_service": "法律服务机构", "other": "其他"}
ID_TYPES = {"resident_id": "居民身份证", "passport": "护照", "other_personal": "其他个人证件",
            "credit_code": "统一社会信用代码", "other_organisation": "其他组织证照"}
FORMS = {"paper": "纸质", "electronic": "电子"}
DELIVERIES = {"post": "邮寄", "pickup": "自取", "online": "在线获取"}


class Application(db.Model):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # the tracking number, e.g. 2026-0007
    # HMAC of the applicant's secret under the server's pepper: the number alone opens nothing.
    secret_hash: Mapped[str] = mapped_column(String(64))
    # The public form's one-time token (hashed): the same form sent twice files one application.
    form_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    applicant_type: Mapped[str] = mapped_column(String(16))
    organisation_kind: Mapped[str | None] = mapped_column(String(20))
    applicant_hash: Mapped[str] = mapped_column(String(64), index=True)
    # Sealed JSON: name, id_type, id_number, phone, address, email, description, waiver_reason.
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    form_wanted: Mapped[str] = mapped_column(String(16))
    delivery: Mapped[str] = mapped_column(String(16))
    sent_on: Mapped[dt.date] = mapped_column(Date)
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    corrected_on: Mapped[dt.date | None] = mapped_column(Date)
    correction_due_on: Mapped[dt.date | None] = mapped_column(Date)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=Status.RECEIVED.value, index=True)
    # The answer's due date as last computed (None while the clock is stopped), for the queue's order.
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    fee_amount: Mapped[int | None] = mapped_column(Integer)
    fee_due_on: Mapped[dt.date | None] = mapped_column(Date)
    answer_type: Mapped[str | None] = mapped_column(String(24))
    answer_reason: Mapped[str | None] = mapped_column(String(32))
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    # Public (the applicant reads it): the answer's text, legal basis, links, how and when.
    answer: Mapped[dict | None] = mapped_column(JSON)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    personal_purged_on: Mapped[dt.date | None] = mapped_column(Date)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)  # 示例: seeded so the desk is not empty
    # Bumped by every change, so two handlers acting at once cannot overwrite each other.
    version: Mapped[int] = mapped_column(Integer, default=1)

    assigned_to = relationship("StaffUser", lazy="joined")
    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationEvent.id")

    @property
    def status_enum(self) -> Status:
        return Status(self.status)


class ApplicationEvent(db.Model):
    """One step of an application's timeline. `detail` is what the applicant sees (reasons, the
    extension's approver and date, the pause's kind); `sealed_note` is the desk's only."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    on: Mapped[dt.date] = mapped_column(Date)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    sealed_note: Mapped[bytes | None] = mapped_column(LargeBinary)

    application: Mapped[Application] = relationship(back_populates="events")
    author = relationship("StaffUser", lazy="joined")


class AnnualFigures(db.Model):
    """Table 4 of the annual report (行政复议 / 行政诉讼), entered by staff for each year."""

    __tablename__ = "application_annual_figures"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    figures: Mapped[dict] = mapped_column(JSON)
