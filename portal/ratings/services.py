"""What can be done with rating editions and the honor roll: read, publish, correct, export."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import tempfile
from decimal import Decimal
from pathlib import Path

from flask import has_request_context, request
from sqlalchemy import select

from portal import publication, review
from portal.publication import log as publication_log
from portal.staff import audit
from portal.clock import today
from portal.departments.models import Department
from portal.extensions import db
from portal.ratings.importer import EditionSpec, ScoreSheet, read_edition, read_scores
from portal.ratings.models import (
    Commendation,
    DepartmentResponse,
    Edition,
    EditionVersion,
    GradeBand,
    Indicator,
    Score,
)
from portal.ratings import scoring
from portal.ratings.scoring import DepartmentResult, compute_results
from portal.web.spreadsheet import safe_row


class EditionNotFound(LookupError):
    pass


class RatingsError(ValueError):
    """A refused rating operation; the message is for the person who asked."""


# --- reading -------------------------------------------------------------------------------

def _per_request(key: tuple, compute):
    """Computed once per request: a page shows the same results in its table, its CSV checksum,
    its warnings and its history, and each would otherwise recompute them."""
    if not has_request_context():
        return compute()
    memo = request.environ.setdefault("portal.ratings.memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def published_versions_latest_first() -> list[EditionVersion]:
    """The current version of each published edition, the most recent period first."""
    def compute():
        editions = db.session.scalars(select(Edition)).all()
        current = [edition.current for edition in editions if edition.current is not None]
        return sorted(current, key=lambda version: version.period_end, reverse=True)
    return _per_request(("versions",), compute)


def all_editions() -> list[Edition]:
    return list(db.session.scalars(select(Edition).order_by(Edition.id)))


def editions_latest_first() -> list[Edition]:
    """Every edition with at least one published version, the most recent period first."""
    return [version.edition for version in published_versions_latest_first()]


def latest_version() -> EditionVersion | None:
    versions = published_versions_latest_first()
    return versions[0] if versions else None


def get_version(slug: str, number: int | None = None) -> EditionVersion:
    """An edition's current published version, or version `number`; raise EditionNotFound."""
    edition = db.session.scalar(select(Edition).where(Edition.slug == slug))
    if edition is None:
        raise EditionNotFound(slug)
    versions = edition.published_versions
    if number is None:
        if not versions:
            raise EditionNotFound(slug)
        return versions[-1]
    for version in versions:
        if version.number == number:
            return version
    raise EditionNotFound(f"{slug} v{number}")


def previous_version(version: EditionVersion) -> EditionVersion | None:
    """The current version of the edition before this one (by period)."""
    earlier = [other for other in published_versions_latest_first()
               if other.period_end < version.period_end and other.edition_id != version.edition_id]
    return earlier[0] if earlier else None


def results(version: EditionVersion) -> list[DepartmentResult]:
    return _per_request(("results", version.id), lambda: _results(version))


def _results(version: EditionVersion) -> list[DepartmentResult]:
    scores: dict[Department, dict[str, Decimal]] = {}
    for score in version.scores:
        scores.setdefault(score.department, {})[score.indicator_code] = score.value
    departments = {score.department.id: score.department for score in version.scores}
    responses = {departments[r.department_id]: r.text for r in version.responses if r.department_id in departments}
    return compute_results(version.method, version.indicators, version.bands, scores, responses)


def department_result(version: EditionVersion, department_slug: str) -> DepartmentResult:
    for result in results(version):
        if result.department.slug == department_slug:
            return result
    raise EditionNotFound(f"{version.edition.slug}/{department_slug}")


def department_history(department: Department) -> list[tuple[EditionVersion, DepartmentResult]]:
    """The department's result in each published edition, oldest first (for the chart)."""
    history = []
    for version in reversed(published_versions_latest_first()):
        for result in results(version):
            if result.department.id == department.id:
                history.append((version, result))
    return history


def comparability_changes(version: EditionVersion) -> list[str]:
    """What differs in method from the previous edition: indicators, weights, maxima, bands."""
    previous = previous_version(version)
    if previous is None:
        return []
    changes = []
    before = {i.code: i for i in previous.indicators}
    after = {i.code: i for i in version.indicators}
    for code in sorted(after.keys() - before.keys()):
        changes.append(f"新增指标“{after[code].name}”")
    for code in sorted(before.keys() - after.keys()):
        changes.append(f"取消指标“{before[code].name}”")
    for code in sorted(after.keys() & before.keys()):
        old, new = before[code], after[code]
        if old.weight != new.weight:
            changes.append(f"“{new.name}”的权重由 {_plain(old.weight)} 调整为 {_plain(new.weight)}")
        if old.maximum != new.maximum:
            changes.append(f"“{new.name}”的满分由 {_plain(old.maximum)} 分调整为 {_plain(new.maximum)} 分")
    if [(b.name, b.minimum) for b in previous.bands] != [(b.name, b.minimum) for b in version.bands]:
        changes.append("等级划分有变化")
    return changes


def _plain(value: Decimal) -> str:
    """15.00 → 15, 12.50 → 12.5: a number as a reader writes it."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def list_commendations(year: int | None = None) -> list[Commendation]:
    statement = select(Commendation).order_by(Commendation.awarded_on.desc(), Commendation.id.desc())
    commendations = list(db.session.scalars(statement))
    return [c for c in commendations if year is None or c.awarded_on.year == year]


def commendation_years() -> list[int]:
    return sorted({c.awarded_on.year for c in db.session.scalars(select(Commendation))}, reverse=True)


def commendations_of(department: Department) -> list[Commendation]:
    return [c for c in list_commendations() if c.department_id == department.id]


# --- open data -----------------------------------------------------------------------------

def csv_bytes(version: EditionVersion) -> bytes:
    """The edition's results as CSV (UTF-8 with BOM for Excel). Deterministic: the same data
    gives the same bytes, so the checksum printed at publication identifies them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(safe_row(["department_slug", "department"]
                             + [f"{i.code}" for i in version.indicators] + ["total", "grade", "rank"]))
    for result in results(version):
        writer.writerow(safe_row([result.department.slug, result.department.name]
                                 + [f"{result.scores[i.code]:.2f}" for i in version.indicators]
                                 + [f"{result.total:.2f}", result.grade, result.rank]))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def json_data(version: EditionVersion) -> dict:
    return {
        "edition": version.edition.slug,
        "version": version.number,
        "title": version.title,
        "period": [version.period_start.isoformat(), version.period_end.isoformat()],
        "evaluator": version.evaluator,
        "method": version.method,
        "published_on": version.published_on.isoformat() if version.published_on else None,
        "correction_reason": version.correction_reason or None,
        "demo": version.edition.demo,
        "csv_sha256_at_publication": version.checksum,
        "integrity": integrity(version),
        "indicators": [{"code": i.code, "name": i.name, "weight": str(i.weight), "maximum": str(i.maximum)}
                       for i in version.indicators],
        "grade_bands": [{"name": b.name, "minimum": str(b.minimum)} for b in version.bands],
        "results": [
            {"department": r.department.slug, "department_name": r.department.name,
             "scores": {code: str(value) for code, value in r.scores.items()},
             "total": str(r.total), "grade": r.grade, "rank": r.rank, "response": r.response or None}
            for r in results(version)
        ],
    }


def json_bytes(version: EditionVersion) -> bytes:
    return json.dumps(json_data(version), ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8") + b"\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def altered_versions(versions) -> list[EditionVersion]:
    """Of these versions, those whose stored figures no longer match their publication checksum."""
    return sorted((v for v in versions if integrity(v) != "ok"), key=lambda v: v.period_end)


def integrity(version: EditionVersion) -> str:
    """"ok" when the figures as stored now give the CSV whose SHA-256 was recorded at publication,
    "mismatch" when they were changed outside the platform. Once per request and version: every
    view that shows rating figures asks, and none pays twice."""
    return _per_request(("integrity", version.id),
                        lambda: "ok" if sha256(csv_bytes(version)) == version.checksum else "mismatch")


# --- writing -------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Delivery:
    """An evaluator's delivery, checked: the edition file and the score sheet."""

    spec: EditionSpec
    sheet: ScoreSheet


def _same_as(version: EditionVersion, delivery: Delivery, department_ids: dict[str, int]) -> bool:
    spec, sheet = delivery.spec, delivery.sheet
    stored_scores: dict[str, dict[str, Decimal]] = {}
    for score in version.scores:
        stored_scores.setdefault(score.department.slug, {})[score.indicator_code] = score.value
    return (
        (version.title, version.period_start, version.period_end, version.evaluator, version.methodology,
         version.comparability_note, version.drop_threshold)
        == (spec.title, spec.period_start, spec.period_end, spec.evaluator, spec.methodology,
            spec.comparability_note, spec.drop_threshold)
        and [(i.code, i.name, i.weight, i.maximum, i.description) for i in version.indicators]
        == [(i.code, i.name, i.weight, i.maximum, i.description) for i in spec.indicators]
        and [(b.name, b.minimum) for b in version.bands] == [(b.name, b.minimum) for b in spec.bands]
        and stored_scores == sheet.scores
        and {r.department_id: r.text for r in version.responses}
        == {department_ids[slug]: text for slug, text in sheet.responses.items()}
    )


def _department_ids(slugs) -> dict[str, int]:
    """slug → id for the departments a delivery names, in one query."""
    slugs = set(slugs)
    ids = dict(db.session.execute(select(Department.slug, Department.id).where(Department.slug.in_(slugs))).all())
    if missing := slugs - ids.keys():
        raise RatingsError(f"未知部门 {', '.join(sorted(missing))}")
    return ids


def add_version(delivery: Delivery, *, state: str, submitted_by=None) -> EditionVersion | None:
    """Store a delivery as the edition's next version (the caller commits). Returns None when
    it is the same as the current published version (an import run twice changes nothing).

    A delivery for an edition that is already published must say why (correction_reason)."""
    spec, sheet = delivery.spec, delivery.sheet
    edition = db.session.scalar(select(Edition).where(Edition.slug == spec.slug))
    if edition is None:
        edition = Edition(slug=spec.slug, demo=spec.demo)
        db.session.add(edition)
        db.session.flush()
    current = edition.current
    department_ids = _department_ids(sheet.scores.keys() | sheet.responses.keys())
    if current is not None and _same_as(current, delivery, department_ids):
        return None
    if current is not None and not spec.correction_reason:
        raise RatingsError(f"评价 {spec.slug} 已经发布：更正须在 correction_reason 中写明原因（将公开显示）")
    number = max((version.number for version in edition.versions), default=0) + 1
    version = EditionVersion(
        # Published in two steps: stored as "staging", then stamped (date, checksum) and
        # published, because a published row may never be updated afterwards.
        edition_id=edition.id, number=number, state=review.SUBMITTED if state == review.SUBMITTED else "staging",
        title=spec.title, method=scoring.CURRENT_METHOD,
        period_start=spec.period_start, period_end=spec.period_end, evaluator=spec.evaluator,
        methodology=spec.methodology, comparability_note=spec.comparability_note,
        drop_threshold=spec.drop_threshold,
        correction_reason=spec.correction_reason if current is not None else "",
        submitted_by_id=submitted_by.id if submitted_by else None,
        indicators=[Indicator(position=n, code=i.code, name=i.name, weight=i.weight, maximum=i.maximum,
                              description=i.description) for n, i in enumerate(spec.indicators)],
        bands=[GradeBand(position=n, name=b.name, minimum=b.minimum)
               for n, b in enumerate(sorted(spec.bands, key=lambda band: band.minimum, reverse=True))],
        scores=[Score(department_id=department_ids[slug], indicator_code=code, value=value)
                for slug, values in sheet.scores.items() for code, value in values.items()],
        responses=[DepartmentResponse(department_id=department_ids[slug], text=text)
                   for slug, text in sheet.responses.items()],
    )
    db.session.add(version)
    db.session.flush()
    if state == "published":
        # A first publication from content/ keeps the date its file gives; a correction is new today.
        _publish(version, published_on=spec.published_on if current is None else None)
    db.session.flush()
    db.session.refresh(edition)
    return version


def _publish(version: EditionVersion, published_on: dt.date | None = None) -> None:
    """Date the publication and record the CSV's checksum, the figure journalists compare
    (a delivery from content/, which is itself the reviewed format)."""
    db.session.refresh(version)
    version.published_on = published_on or today()
    version.checksum = sha256(csv_bytes(version))
    version.state = review.PUBLISHED
    db.session.flush()
    _log(version)


def _log(version: EditionVersion) -> None:
    """The publication log's leaves for a published version, in its transaction: the CSV's hash,
    and the warning rules its warnings are computed by (a leaf only when they changed)."""
    from portal.ratings.warnings import RULES_ITEM, rules_bytes

    publication_log.record("rating", version.edition.slug, csv_bytes(version), version.published_on,
                           version=version.number, action="published" if version.number == 1 else "corrected")
    publication_log.record("warning_rules", RULES_ITEM, rules_bytes(), version.published_on)


# An upload is submitted by an editor and published when a different reviewer approves it; a
# returned version is final (a new upload is a new version), so its state alone settles a race.
REVIEW = review.Workflow(
    model=EditionVersion, audit_type="rating_edition", action_prefix="rating", noun="评价结果", authored="提交",
    audit_id=lambda version: f"{version.edition.slug} v{version.number}",
    author_column="submitted_by_id", reviewer_column="reviewed_by_id", version_column=None, updated_column=None,
)


def get_submitted(version_id: int) -> EditionVersion:
    version = db.session.get(EditionVersion, version_id)
    if version is None or version.state not in (review.SUBMITTED, review.RETURNED, review.PUBLISHED):
        raise EditionNotFound(version_id)
    return version


def review_submitted(version_id: int, reviewer, approve: bool, comment: str = "") -> EditionVersion:
    """A reviewer publishes a submitted version or returns it with a comment (portal.review:
    the two-person rule, one reviewer of two at once wins, every attempt in the audit log)."""
    version = get_submitted(version_id)
    if not approve:
        REVIEW.return_to_author(version, reviewer, comment, None)
        db.session.commit()
        return version
    if version.edition.current is not None and not version.correction_reason:
        raise RatingsError("该评价已发布过：更正版本须写明更正原因。")
    # Stamped in the claim itself: a published row is never updated afterwards (models.py).
    REVIEW.approve(version, reviewer, None, published_on=today(), checksum=sha256(csv_bytes(version)))
    _log(version)
    audit.record(reviewer, "rating_approved", REVIEW.audit_type, REVIEW.audit_id(version))
    db.session.commit()
    publication.announce("rating", changed=[version.edition.slug])
    return version


MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class DeliveryProblems(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def read_delivery(edition_path: Path, sheet_path: Path) -> Delivery:
    """Check an evaluator's two files; raise DeliveryProblems listing every problem."""
    from portal.departments.services import list_departments

    spec, problems = read_edition(edition_path)
    sheet = None
    if spec is not None:
        sheet, problems = read_scores(sheet_path, spec, {d.slug: d.name for d in list_departments()})
    if problems:
        raise DeliveryProblems([f"{p.path.name}:{p.line}: {p.message}" for p in problems])
    return Delivery(spec, sheet)


def submit_upload(edition: bytes, sheet: bytes, editor) -> EditionVersion | None:
    """A delivery uploaded in the back office, submitted for review (not published)."""
    if len(edition) > MAX_UPLOAD_BYTES or len(sheet) > MAX_UPLOAD_BYTES:
        raise RatingsError(f"文件过大：每个文件不超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB。")
    # The checks read files: the upload is written to a private temporary folder, removed after.
    with tempfile.TemporaryDirectory(prefix="rating-upload-") as folder:
        edition_path, sheet_path = Path(folder) / "评价说明.yaml", Path(folder) / "评分表.csv"
        edition_path.write_bytes(edition)
        sheet_path.write_bytes(sheet)
        delivery = read_delivery(edition_path, sheet_path)
    try:
        version = add_version(delivery, state="submitted", submitted_by=editor)
    except RatingsError:
        db.session.rollback()
        raise
    if version is not None:
        audit.record(editor, "rating_submitted", "rating_edition", f"{delivery.spec.slug} v{version.number}")
    db.session.commit()
    return version


def submitted_versions() -> list[EditionVersion]:
    return REVIEW.awaiting()
