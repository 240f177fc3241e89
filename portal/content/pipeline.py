"""Import content/ into the database and export it back out.

Each file is one transaction: a broken file is reported and skipped, the others go in, and
nothing imported before is lost.
"""
from __future__ import annotations

import contextlib
import dataclasses
import shutil
from pathlib import Path

import yaml
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from portal import search
from portal.content.loader import DEPARTMENTS_FILE, DISCLOSURES_DIR, read_content_dir
from portal.content.records import DISCLOSURE_MODES, VALIDITIES, DisclosureRecord, Problem
from portal.departments import services as departments
from portal.departments.models import Department
from portal.disclosures import services as disclosures
from portal.disclosures.models import Disclosure
from portal.ratings.models import Commendation, Edition
from portal.disclosures.search import search_document
from portal.extensions import db
from portal.files import AttachmentRefused, FileStore
from portal.ratings import content as ratings_content
from portal.ratings import services as ratings_services
from portal.ratings.services import RatingsError
from portal.web import page_cache


@dataclasses.dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = dataclasses.field(default_factory=list)
    search_updated: bool = True  # False when the index could not be written (see the log)

    @property
    def skipped_files(self) -> int:
        return len({problem.path for problem in self.problems})


def check_content(content_dir: Path) -> list[Problem]:
    """Every problem in the content directory, without touching the database."""
    content = read_content_dir(content_dir, known_departments=departments.department_slugs())
    names = _department_names(content)
    _, rating_problems = ratings_content.read_deliveries(content_dir, names)
    disclosure_slugs = {record.slug for _, record in content.disclosures} | set(disclosures.all_slugs())
    _, honor_problems = ratings_content.read_honor_roll(
        content_dir / ratings_content.HONOR_ROLL_FILE, set(names), disclosure_slugs)
    return content.all_problems + rating_problems + honor_problems


def _department_names(content) -> dict[str, str]:
    names = {d.slug: d.name for d in departments.list_departments()}
    names.update({record.slug: record.name for record in content.departments})
    return names


def import_content(content_dir: Path, store: FileStore) -> ImportReport:
    """Upsert every valid file of `content_dir`; report the others."""
    report = ImportReport()
    content = read_content_dir(content_dir, known_departments=departments.department_slugs())
    report.problems.extend(content.all_problems)

    if content.departments and not content.department_problems:
        _in_one_transaction(
            content_dir / DEPARTMENTS_FILE, report,
            lambda: [departments.upsert_department(record) for record in content.departments],
        )
    changed_slugs = []
    for path, record in content.disclosures:
        if _in_one_transaction(path, report, lambda record=record: disclosures.upsert_disclosure(record, store)):
            changed_slugs.append(record.slug)
    if changed_slugs:
        # Published now, so searchable now: one index commit for the whole import.
        report.search_updated = search.index_documents(
            search_document(disclosures.get_disclosure(slug)) for slug in changed_slugs
        )
    _import_ratings(content_dir, report)
    if report.created or report.updated:
        page_cache.mark_published()  # last: pages rendered from now on include the index update
    return report


def _import_ratings(content_dir: Path, report: ImportReport) -> None:
    """Rating editions (one transaction each) and the honor roll (one transaction), after the
    departments and disclosures they refer to."""
    names = {d.slug: d.name for d in departments.list_departments()}
    deliveries, problems = ratings_content.read_deliveries(content_dir, names)
    report.problems.extend(problems)
    changed = False
    for delivery in deliveries:
        path = content_dir / ratings_content.RATINGS_DIR / f"{delivery.spec.slug}.yaml"
        changed |= _in_one_transaction(
            path, report, lambda delivery=delivery: ratings_services.add_version(delivery, state="published"))
    honor_path = content_dir / ratings_content.HONOR_ROLL_FILE
    records, problems = ratings_content.read_honor_roll(honor_path, set(names), set(disclosures.all_slugs()))
    report.problems.extend(problems)
    if records:
        changed |= _in_one_transaction(honor_path, report, lambda: ratings_content.upsert_commendations(records))
    if changed:
        report.search_updated &= search.rebuild_kinds(("rating", "commendation"))


def _in_one_transaction(path: Path, report: ImportReport, write) -> bool:
    """Run `write` and commit, or roll back and report; return whether anything changed."""
    with _watching_writes() as writes:
        try:
            write()
            db.session.commit()
        except (SQLAlchemyError, LookupError, AttachmentRefused, OSError, RatingsError) as exc:
            db.session.rollback()
            report.problems.append(Problem(path, 1, f"未导入 (not imported): {_reason(exc)}"))
            return False
    if writes["created"]:
        report.created += 1
    elif writes["changed"]:
        report.updated += 1
    else:
        report.unchanged += 1
    return writes["created"] or writes["changed"]


@contextlib.contextmanager
def _watching_writes():
    """Tell whether a transaction created a record or changed one (autoflush may flush early,
    so this watches every flush rather than the session's state at commit)."""
    writes = {"created": False, "changed": False}
    session = db.session()

    def before_flush(session, flush_context, instances):
        writes["created"] |= any(isinstance(obj, (Department, Disclosure, Edition, Commendation)) for obj in session.new)
        writes["changed"] |= bool(session.new or session.deleted) or any(
            session.is_modified(obj) for obj in session.dirty
        )

    event.listen(session, "before_flush", before_flush)
    try:
        yield writes
    finally:
        event.remove(session, "before_flush", before_flush)


def _reason(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    if "unique" in text.lower() or "duplicate" in text.lower():
        return f"与已有记录冲突，索引号或名称重复 (conflicts with an existing record: {text})"
    return text


def export_content(target: Path, store: FileStore) -> int:
    """Write every published record to `target` in the content/ format; return the file count."""
    target.mkdir(parents=True, exist_ok=True)
    records = [departments.department_record(d) for d in departments.list_departments()]
    department_data = [
        {"slug": r.slug, "name": r.name, **({"description": r.description} if r.description else {})}
        for r in records
    ]
    (target / DEPARTMENTS_FILE).write_text(_dump_yaml(department_data), encoding="utf-8")
    count = 1
    for disclosure in disclosures.all_disclosures():
        record = disclosures.disclosure_record(disclosure, store)
        path = target / DISCLOSURES_DIR / f"{record.slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        attachments = []
        for attachment in record.attachments:
            relative = Path("attachments") / record.slug / attachment.filename
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(attachment.source, target / relative)
            attachments.append({"file": relative.as_posix(), "title": attachment.title})
        path.write_text(_disclosure_file(record, attachments), encoding="utf-8")
        count += 1
    return count


def _disclosure_file(record: DisclosureRecord, attachments: list[dict]) -> str:
    mode_labels = {code: label for label, code in DISCLOSURE_MODES.items()}
    validity_labels = {code: label for label, code in VALIDITIES.items()}
    front = {
        "slug": record.slug,
        "title": record.title,
        "index_no": record.index_no,
        "doc_no": record.doc_no,
        "publisher": record.publisher,
        "written_on": record.written_on,
        "published_on": record.published_on,
        "topic": record.topic,
        "disclosure_mode": mode_labels[record.disclosure_mode],
        "validity": validity_labels[record.validity],
        "departments": list(record.departments),
        "attachments": attachments,
        "demo": record.demo,
    }
    front = {key: value for key, value in front.items() if value not in (None, [], False)}
    return f"---\n{_dump_yaml(front)}---\n\n{record.body}"


def _dump_yaml(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
