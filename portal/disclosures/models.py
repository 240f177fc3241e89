from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.departments.models import Department
from portal.extensions import db

DISCLOSURE_MODE_LABELS = {"proactive": "主动公开", "on_request": "依申请公开"}
VALIDITY_LABELS = {"valid": "有效", "expired": "失效", "repealed": "废止"}

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

    departments: Mapped[list[Department]] = relationship(
        secondary=disclosure_departments, order_by=Department.position, lazy="selectin"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="disclosure", order_by="Attachment.position",
        cascade="all, delete-orphan", lazy="selectin",
    )

    @property
    def disclosure_mode_label(self) -> str:
        return DISCLOSURE_MODE_LABELS[self.disclosure_mode]

    @property
    def validity_label(self) -> str:
        return VALIDITY_LABELS[self.validity]

    def __repr__(self) -> str:
        return f"<Disclosure {self.slug}>"


class Attachment(db.Model):
    """A file published with a disclosure; its bytes are in the file store under `sha256`."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(128))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    disclosure: Mapped[Disclosure] = relationship(back_populates="attachments")
