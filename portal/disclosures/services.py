"""What can be done with disclosures: find, list, and write them from records."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from sqlalchemy import Select, extract, func, select

from portal.clock import today
from portal.disclosures.content import AttachmentRecord, DisclosureRecord
from portal.departments.models import Department
from portal.disclosures.history import describe_changes
from portal.disclosures.models import Attachment, Disclosure, DisclosureRevision, disclosure_departments
from portal.disclosures import KIND
from portal.disclosures.vocabulary import MODE_LABELS, VALIDITY_LABELS
from portal.extensions import db
from portal.publication import log as publication_log
from portal.publication.log import canonical_json
from portal.files import FileStore, check_attachment
from portal.web.pagination import Page, paginate

MAX_PAGE = 10_000
# The reason shown in the correction history when a content/ import changes a published item.
IMPORT_REASON = "依据内容文件更新"
RECORD_FIELDS = ("title", "index_no", "doc_no", "publisher", "written_on", "published_on",
                 "topic", "disclosure_mode", "validity", "body", "demo")


class DisclosureNotFound(LookupError):
    pass


class BadCatalogueQuery(ValueError):
    """A filter parameter that cannot mean anything; the message is shown to the visitor."""


@dataclasses.dataclass(frozen=True)
class CatalogueQuery:
    """The catalogue's filters, as bookmarkable GET parameters."""

    topic: str | None = None
    department: str | None = None
    year: int | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> CatalogueQuery:
        """Parse request arguments; raise BadCatalogueQuery with a message for the visitor."""
        topic = (args.get("topic") or "").strip() or None
        if topic is not None and len(topic) > 40:
            raise BadCatalogueQuery("主题分类过长。")
        department = (args.get("department") or "").strip() or None
        if department is not None and len(department) > 80:
            raise BadCatalogueQuery("部门参数过长。")
        year = _whole_number(args.get("year"), "年份", 1949, 2100)
        page = _whole_number(args.get("page"), "页码", 1, MAX_PAGE) or 1
        return cls(topic=topic, department=department, year=year, page=page)

    def args(self, **changes) -> dict[str, str | int]:
        """GET parameters for this query with some changed (None removes one)."""
        values = dataclasses.asdict(dataclasses.replace(self, **changes))
        if values["page"] == 1:
            values["page"] = None
        return {key: value for key, value in values.items() if value is not None}

    @property
    def is_filtered(self) -> bool:
        return any((self.topic, self.department, self.year))


def _whole_number(raw: str | None, label: str, low: int, high: int) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or not low <= int(raw) <= high:
        raise BadCatalogueQuery(f"{label}应为 {low} 到 {high} 之间的整数。")
    return int(raw)


def _live() -> Select:
    """Disclosures on show: withdrawn ones keep their address (410) but leave lists and feeds."""
    return select(Disclosure).where(Disclosure.withdrawn_on.is_(None))


def _filtered(query: CatalogueQuery) -> Select:
    statement = _live()
    if query.topic:
        statement = statement.where(Disclosure.topic == query.topic)
    if query.year:
        statement = statement.where(
            Disclosure.published_on >= dt.date(query.year, 1, 1),
            Disclosure.published_on < dt.date(query.year + 1, 1, 1),
        )
    if query.department:
        statement = statement.where(
            Disclosure.id.in_(
                select(disclosure_departments.c.disclosure_id)
                .join(Department, Department.id == disclosure_departments.c.department_id)
                .where(Department.slug == query.department)
            )
        )
    return statement


def list_disclosures(query: CatalogueQuery, per_page: int) -> Page:
    """The catalogue page asked for, newest first. A page past the end is empty, not an error."""
    statement = _filtered(query).order_by(Disclosure.published_on.desc(), Disclosure.id.desc())
    return paginate(statement, query.page, per_page)


def latest_disclosures(limit: int) -> list[Disclosure]:
    return list(
        db.session.scalars(
            _live().order_by(Disclosure.published_on.desc(), Disclosure.id.desc()).limit(limit)
        )
    )


def all_disclosures() -> list[Disclosure]:
    return list(db.session.scalars(_live().order_by(Disclosure.published_on.desc(), Disclosure.id.desc())))


def all_slugs() -> list[str]:
    """Slugs of the disclosures on show (for references from other content)."""
    return list(db.session.scalars(_live().with_only_columns(Disclosure.slug)))


def catalogue_topics(query: CatalogueQuery | None = None) -> list[tuple[str, int]]:
    """Each topic with its number of disclosures, most used first. With a query, the counts are
    those the list would show with the query's other filters (department, year) in force, so
    that 政务诚信（3） means three items on the page it leads to."""
    others = dataclasses.replace(query, topic=None, page=1) if query else CatalogueQuery()
    matching = _filtered(others).with_only_columns(Disclosure.id).order_by(None).subquery()
    rows = db.session.execute(
        select(Disclosure.topic, func.count())
        .where(Disclosure.id.in_(select(matching.c.id)))
        .group_by(Disclosure.topic)
        .order_by(func.count().desc(), Disclosure.topic)
    )
    counts = [(topic, count) for topic, count in rows]
    if query and query.topic and query.topic not in {topic for topic, _ in counts}:
        counts.append((query.topic, 0))  # the chosen topic stays selectable, with its true count
    return counts


def catalogue_years() -> list[int]:
    year = extract("year", Disclosure.published_on)
    statement = select(year).where(Disclosure.withdrawn_on.is_(None)).distinct().order_by(year.desc())
    return [int(value) for value in db.session.scalars(statement)]


def get_disclosure(slug: str) -> Disclosure:
    """Return the disclosure with this slug, withdrawn or not; raise DisclosureNotFound."""
    disclosure = db.session.scalar(select(Disclosure).where(Disclosure.slug == slug))
    if disclosure is None:
        raise DisclosureNotFound(slug)
    return disclosure


def get_attachment(slug: str, filename: str) -> Attachment:
    disclosure = get_disclosure(slug)
    if disclosure.is_withdrawn:
        raise DisclosureNotFound(f"{slug}/{filename}")
    for attachment in disclosure.attachments:
        if attachment.filename == filename:
            return attachment
    raise DisclosureNotFound(f"{slug}/{filename}")


def upsert_disclosure(record: DisclosureRecord, store: FileStore, *, reason: str = IMPORT_REASON,
                      dated: dt.date | None = None, redaction: bool = False) -> Disclosure:
    """Create or update a disclosure from a record, matched by slug. The caller commits.

    A new disclosure starts its history with 发布; a change to a published one becomes version
    n+1 in its correction history with `reason` and what changed. Unchanged records write nothing.
    Raises LookupError for an unknown department and AttachmentRefused for a bad file.
    """
    disclosure = db.session.scalar(select(Disclosure).where(Disclosure.slug == record.slug))
    departments = list(db.session.scalars(select(Department).where(Department.slug.in_(record.departments))))
    missing = set(record.departments) - {department.slug for department in departments}
    if missing:
        raise LookupError(f"未知部门 (unknown department): {', '.join(sorted(missing))}")
    attachments = [_stored_attachment(item, position, store) for position, item in enumerate(record.attachments)]

    if disclosure is None:
        disclosure = Disclosure(slug=record.slug, revision=1)
        disclosure.revisions = [DisclosureRevision(number=1, action="published", dated=record.published_on, changes=[])]
        db.session.add(disclosure)
        before = None
    else:
        before = _history_values(disclosure)
    for field in RECORD_FIELDS:
        value = getattr(record, field)
        if getattr(disclosure, field) != value:
            setattr(disclosure, field, value)
    if {d.id for d in disclosure.departments} != {d.id for d in departments}:
        disclosure.departments = departments
    if _attachment_keys(disclosure.attachments) != _attachment_keys(attachments):
        disclosure.attachments = attachments

    if before is not None:
        changes = describe_changes(before, _history_values(disclosure))
        if changes:
            if redaction:
                changes = _redact_history(disclosure, changes)
            disclosure.revision += 1
            disclosure.revisions.append(DisclosureRevision(
                number=disclosure.revision, action="redacted" if redaction else "corrected", dated=dated or today(),
                reason=reason, changes=changes,
            ))
    db.session.flush()
    # The publication log's leaf, in this transaction (nothing when the text did not change).
    latest = disclosure.revisions[-1]
    publication_log.record(KIND, disclosure.slug, source_bytes(disclosure), latest.dated,
                           version=disclosure.revision, action=latest.action)
    return disclosure


def source_bytes(disclosure: Disclosure) -> bytes:
    """What the publication log commits to for a disclosure, and /disclosures/<slug>/source.json
    serves: its published record (metadata, the Markdown text, each attachment's SHA-256) as
    canonical JSON; for a withdrawn one, the withdrawal (date and reason)."""
    if disclosure.is_withdrawn:
        return canonical_json({"slug": disclosure.slug, "revision": disclosure.revision,
                               "withdrawn_on": disclosure.withdrawn_on.isoformat(),
                               "withdrawal_reason": disclosure.withdrawal_reason})
    return canonical_json({
        "slug": disclosure.slug, "revision": disclosure.revision, "title": disclosure.title,
        "index_no": disclosure.index_no, "doc_no": disclosure.doc_no, "publisher": disclosure.publisher,
        "written_on": disclosure.written_on.isoformat() if disclosure.written_on else None,
        "published_on": disclosure.published_on.isoformat(), "topic": disclosure.topic,
        "disclosure_mode": MODE_LABELS[disclosure.disclosure_mode], "validity": VALIDITY_LABELS[disclosure.validity],
        "departments": sorted(d.slug for d in disclosure.departments), "body": disclosure.body,
        "attachments": [{"title": a.title, "filename": a.filename, "size": a.size, "sha256": a.sha256}
                        for a in sorted(disclosure.attachments, key=lambda a: a.position)],
        "demo": disclosure.demo,
    })


def _redact_history(disclosure: Disclosure, changes: list[dict]) -> list[dict]:
    """A redaction's changes without their text, and every earlier revision's changes to the same
    fields without theirs: the removed text must not stay readable in an older diff."""
    fields = {change["field"] for change in changes}

    def scrubbed(change: dict) -> dict:
        if change["field"] not in fields:
            return change
        return {"field": change["field"], "label": change["label"], "redacted": True}

    for revision in disclosure.revisions:
        if any(change["field"] in fields for change in revision.changes):
            revision.changes = [scrubbed(change) for change in revision.changes]
    return [scrubbed(change) for change in changes]


def _history_values(disclosure: Disclosure) -> dict:
    values = {field: getattr(disclosure, field) for field in RECORD_FIELDS}
    values["departments"] = [d.name for d in sorted(disclosure.departments, key=lambda d: d.position)]
    values["attachments"] = [f"{a.title}（{a.filename}，SHA-256 {a.sha256[:12]}…）" for a in disclosure.attachments]
    return values


def _attachment_keys(attachments: list[Attachment]) -> list[tuple]:
    return [(a.position, a.title, a.filename, a.media_type, a.size, a.sha256) for a in attachments]


def _stored_attachment(item: AttachmentRecord, position: int, store: FileStore) -> Attachment:
    data = item.source.read_bytes()
    media_type = check_attachment(item.filename, len(data), data[:512])
    return Attachment(
        position=position, title=item.title, filename=item.filename,
        media_type=media_type, size=len(data), sha256=store.put(data),
    )


def disclosure_record(disclosure: Disclosure, store: FileStore) -> DisclosureRecord:
    """The record a disclosure was made from; attachments point at the file store."""
    return DisclosureRecord(
        slug=disclosure.slug,
        title=disclosure.title,
        index_no=disclosure.index_no,
        doc_no=disclosure.doc_no,
        publisher=disclosure.publisher,
        written_on=disclosure.written_on,
        published_on=disclosure.published_on,
        topic=disclosure.topic,
        disclosure_mode=disclosure.disclosure_mode,
        validity=disclosure.validity,
        body=disclosure.body,
        demo=disclosure.demo,
        departments=tuple(department.slug for department in disclosure.departments),
        attachments=tuple(
            AttachmentRecord(title=a.title, filename=a.filename, source=store.source(a.sha256))
            for a in disclosure.attachments
        ),
    )
