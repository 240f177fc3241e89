"""Integrity evaluation editions (政务诚信评价), their indicators, grade bands and scores, and the
honor roll (红榜). Totals, grades, ranks and warnings are computed (scoring.py), never stored.

An edition has versions: version 1 is the first publication, each correction is a new version
with its reason. A published version is immutable: the application refuses to change or delete
its rows (the listeners at the end), and its SHA-256 checksum, printed on the page, shows any
change made outside the application.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.departments.models import Department
from portal.disclosures.models import Disclosure
from portal.extensions import db
from portal.ratings.scoring import Method
from portal.ratings.scoring import method as scoring_method

SCORE = Numeric(7, 2)


class Edition(db.Model):
    __tablename__ = "rating_editions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. 2025
    demo: Mapped[bool] = mapped_column(Boolean, default=False)

    versions: Mapped[list[EditionVersion]] = relationship(
        back_populates="edition", order_by="EditionVersion.number", lazy="selectin"
    )

    @property
    def published_versions(self) -> list[EditionVersion]:
        return [version for version in self.versions if version.state == "published"]

    @property
    def current(self) -> EditionVersion | None:
        published = self.published_versions
        return published[-1] if published else None


class EditionVersion(db.Model):
    __tablename__ = "rating_edition_versions"
    __table_args__ = (UniqueConstraint("edition_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("rating_editions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="published")  # submitted | published | returned
    title: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    evaluator: Mapped[str] = mapped_column(String(200))  # 第三方评价机构
    methodology: Mapped[str] = mapped_column(Text)  # Markdown
    comparability_note: Mapped[str] = mapped_column(Text, default="")  # Markdown: changes of method
    # The risk-warning rule's threshold: a drop of more than this many points from the previous edition.
    drop_threshold: Mapped[Decimal] = mapped_column(SCORE, default=Decimal("10"))
    # The rating method its results are computed with (portal.ratings.scoring.METHODS): recorded
    # at import, so a later formula never recomputes a published edition.
    method: Mapped[str] = mapped_column(String(40), server_default="weighted_sum_v1")
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    checksum: Mapped[str] = mapped_column(String(64), default="")  # SHA-256 of the CSV at publication
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="RESTRICT"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="RESTRICT"))
    review_comment: Mapped[str] = mapped_column(Text, default="")

    edition: Mapped[Edition] = relationship(back_populates="versions")
    indicators: Mapped[list[Indicator]] = relationship(
        order_by="Indicator.position", cascade="all, delete-orphan", lazy="selectin"
    )
    bands: Mapped[list[GradeBand]] = relationship(
        order_by="GradeBand.position", cascade="all, delete-orphan", lazy="selectin"
    )
    scores: Mapped[list[Score]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    responses: Mapped[list[DepartmentResponse]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    submitted_by = relationship("StaffUser", foreign_keys=[submitted_by_id])

    @property
    def scoring_method(self) -> Method:
        return scoring_method(self.method)


class Indicator(db.Model):
    """评价指标: a score out of `maximum`, counting `weight` points of the 100-point total."""

    __tablename__ = "rating_indicators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rating_edition_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    weight: Mapped[Decimal] = mapped_column(SCORE)
    maximum: Mapped[Decimal] = mapped_column(SCORE)
    description: Mapped[str] = mapped_column(Text, default="")


class GradeBand(db.Model):
    """等级: a total of at least `minimum` earns this grade (bands ordered from the highest)."""

    __tablename__ = "rating_grade_bands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rating_edition_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(20))
    minimum: Mapped[Decimal] = mapped_column(SCORE)


class Score(db.Model):
    __tablename__ = "rating_scores"
    __table_args__ = (UniqueConstraint("version_id", "department_id", "indicator_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rating_edition_versions.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    indicator_code: Mapped[str] = mapped_column(String(20))
    value: Mapped[Decimal] = mapped_column(SCORE)

    department: Mapped[Department] = relationship(lazy="joined")


class DepartmentResponse(db.Model):
    """A department's own response to its result, shown beside its score."""

    __tablename__ = "rating_responses"
    __table_args__ = (UniqueConstraint("version_id", "department_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rating_edition_versions.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    text: Mapped[str] = mapped_column(Text)


class Commendation(db.Model):
    """红榜: a department or a civil servant commended, as the source document published it."""

    __tablename__ = "commendations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # department | person
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"), index=True)
    # Only as the source document printed it; None for a department's commendation.
    person_name: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))  # e.g. 2025年度守信践诺先进集体
    reason: Mapped[str] = mapped_column(Text)
    awarded_on: Mapped[dt.date] = mapped_column(Date, index=True)
    issuer: Mapped[str] = mapped_column(String(100))
    source_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id", ondelete="RESTRICT"))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)

    department: Mapped[Department] = relationship(lazy="joined")
    source: Mapped[Disclosure] = relationship(lazy="joined")


class PublishedRatingIsImmutable(RuntimeError):
    pass


def _version_state(connection, version_id: int | None) -> str | None:
    # Read through the flush's own connection: no session query may run inside a flush.
    return connection.execute(
        select(EditionVersion.state).where(EditionVersion.id == version_id)
    ).scalar() if version_id else None


@event.listens_for(EditionVersion, "before_update")
def _refuse_changing_a_published_version(mapper, connection, target):
    state = db.inspect(target).attrs.state.history
    was = state.deleted[0] if state.deleted else target.state
    if was == "published":
        raise PublishedRatingIsImmutable("a published edition version is never changed: publish a correction")


for _model in (Indicator, GradeBand, Score, DepartmentResponse):
    @event.listens_for(_model, "before_update")
    @event.listens_for(_model, "before_delete")
    def _refuse_changing_published_rows(mapper, connection, target):
        if _version_state(connection, target.version_id) == "published":
            raise PublishedRatingIsImmutable("the figures of a published edition version are never changed")
