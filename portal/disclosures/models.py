from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.departments.models import Department
from portal import review
from portal.disclosures.vocabulary import MODE_LABELS, VALIDITY_LABELS
from portal.extensions import db


# The responsible departments (责任科室) of a disclosure.
disclosure_departments = Table(
    "disclosure_departments",
    db.metadata,
    Column("disclosure_id", ForeignKey("disclosures.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="RESTRICT"), primary_key=True),
)


class Disclosure(db.Model):
    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    index_no: Mapped[str] = mapped_column(String(64), unique=True)  # 索引号
    doc_no: Mapped[str | None] = mapped_column(String(64))  # 文号
    title: Mapped[str] = mapped_column(String(200))
    publisher: Mapped[str] = mapped_column(String(100))  # 发布机构
    written_on: Mapped[dt.date | None] = mapped_column(Date)  # 成文日期
    published_on: Mapped[dt.date] = mapped_column(Date, index=True)  # 发布日期
    topic: Mapped[str] = mapped_column(String(40), index=True)  # 主题分类
    disclosure_mode: Mapped[str] = mapped_column(String(16))  # 公开方式: proactive | on_request
    validity: Mapped[str] = mapped_column(String(16), default="valid")  # 有效性
    body: Mapped[str] = mapped_column(Text)  # Markdown, rendered through the one sanitiser
    demo: Mapped[bool] = mapped_column(Boolean, default=False)  # 示例: not a real document
    # The number of the current version: 1 when first published, +1 for each correction.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # A withdrawn disclosure keeps its address, which answers 410 with the reason (撤回原因).
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    departments: Mapped[list[Department]] = relationship(
        secondary=disclosure_departments, order_by=Department.position, lazy="selectin"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="disclosure", order_by="Attachment.position",
        cascade="all, delete-orphan", lazy="selectin",
    )
    revisions: Mapped[list[DisclosureRevision]] = relationship(
        back_populates="disclosure", order_by="DisclosureRevision.number",
        cascade="all, delete-orphan", lazy="selectin",
    )

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_on is not None

    @property
    def disclosure_mode_label(self) -> str:
        return MODE_LABELS[self.disclosure_mode]

    @property
    def validity_label(self) -> str:
        return VALIDITY_LABELS[self.validity]

    def __repr__(self) -> str:
        return f"<Disclosure {self.slug}>"


class StoredFileColumns:
    """A file as a disclosure or a draft lists it; its bytes are in the file store under `sha256`."""

    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(128))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))


class Attachment(StoredFileColumns, db.Model):
    """A file published with a disclosure."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id", ondelete="CASCADE"), index=True)

    disclosure: Mapped[Disclosure] = relationship(back_populates="attachments")


REVISION_ACTION_LABELS = {"published": "发布", "corrected": "更正", "redacted": "删除处理", "withdrawn": "撤回"}


class DisclosureRevision(db.Model):
    """One line of a disclosure's public correction history (修订记录): what changed and why."""

    __tablename__ = "disclosure_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # published | corrected | withdrawn
    dated: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    # [{"field", "label", "before", "after"}] for metadata; the body as {"field": "body", "diff": [...]}.
    changes: Mapped[list] = mapped_column(JSON, default=list)

    disclosure: Mapped[Disclosure] = relationship(back_populates="revisions")

    @property
    def action_label(self) -> str:
        return REVISION_ACTION_LABELS[self.action]




class DisclosureDraft(db.Model):
    """A disclosure being written or corrected in the back office; published when a reviewer,
    who is not its author, approves it."""

    __tablename__ = "disclosure_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Set when the draft corrects a published disclosure, with the version it started from.
    disclosure_id: Mapped[int | None] = mapped_column(ForeignKey("disclosures.id", ondelete="CASCADE"), index=True)
    base_revision: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    # Bumped by every write; a write based on an older version is refused (optimistic locking).
    version: Mapped[int] = mapped_column(Integer, default=1)
    author_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="RESTRICT"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="RESTRICT"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    # A correction that removes text published by mistake (personal data, say): the public history
    # says a redaction was made, when and why, and shows no removed text, now or in earlier diffs.
    redaction: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)

    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    index_no: Mapped[str] = mapped_column(String(64))
    doc_no: Mapped[str | None] = mapped_column(String(64))
    publisher: Mapped[str] = mapped_column(String(100))
    written_on: Mapped[dt.date | None] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(40))
    disclosure_mode: Mapped[str] = mapped_column(String(16))
    validity: Mapped[str] = mapped_column(String(16), default="valid")
    body: Mapped[str] = mapped_column(Text)
    departments: Mapped[list] = mapped_column(JSON, default=list)  # department slugs

    disclosure: Mapped[Disclosure | None] = relationship()
    author = relationship("StaffUser", foreign_keys=[author_id], lazy="joined")
    reviewer = relationship("StaffUser", foreign_keys=[reviewer_id], lazy="joined")
    attachments: Mapped[list[DraftAttachment]] = relationship(
        order_by="DraftAttachment.position", cascade="all, delete-orphan", lazy="selectin",
    )

    @property
    def state_label(self) -> str:
        return review.STATE_LABELS[self.state]

    @property
    def is_correction(self) -> bool:
        return self.disclosure_id is not None

    @property
    def editable(self) -> bool:
        return self.state in review.EDITABLE


class DraftAttachment(StoredFileColumns, db.Model):
    __tablename__ = "draft_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("disclosure_drafts.id", ondelete="CASCADE"), index=True)
