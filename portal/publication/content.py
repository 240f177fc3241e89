"""content/ across every kind: check, import and export each registered kind's part of it.

The kinds come from the registry in the order their features were added (departments first,
then disclosures, then the ratings and the honor roll that refer to them); each kind's
`content` part knows its own files. What a part finds is shared with the parts after it
through `known` (known["department"]: slug → name, known["disclosure"]: a set of slugs), so a
commendation can name a disclosure that is in the same content directory and not yet imported.

Each file is one transaction: a broken file is reported and skipped, the others go in, and
nothing imported before is lost. After the import, one announcement per kind names what changed.
"""
from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from portal import publication
from portal.content.files import Problem
from portal.extensions import db
from portal.files import FileStore

Known = dict[str, Any]


class ContentPart(Protocol):
    def check(self, content_dir: Path, known: Known) -> list[Problem]:
        """Every problem in this kind's files, without writing; add what it found to `known`."""

    def import_into(self, content_dir: Path, run: ImportRun) -> Iterable[str]:
        """Write this kind's valid files (each through `run.one_file`); return the changed keys."""

    def export(self, target: Path, store: FileStore) -> int:
        """Write this kind's published items to `target` in the content/ format; return the file count."""


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


@dataclasses.dataclass
class ImportRun:
    report: ImportReport
    store: FileStore
    known: Known = dataclasses.field(default_factory=dict)

    def one_file(self, path: Path, write: Callable[[], object], roots: tuple[type, ...] = ()) -> bool:
        """Run `write` and commit, or roll back and report it against `path`; return whether
        anything changed. A new row of one of `roots` counts the file as created."""
        with _watching_writes(roots) as writes:
            try:
                write()
                db.session.commit()
            except (SQLAlchemyError, LookupError, OSError, ValueError) as exc:
                db.session.rollback()
                self.report.problems.append(Problem(path, 1, f"未导入 (not imported): {_reason(exc)}"))
                return False
        if writes["created"]:
            self.report.created += 1
        elif writes["changed"]:
            self.report.updated += 1
        else:
            self.report.unchanged += 1
        return writes["created"] or writes["changed"]


def _parts() -> list[tuple[str, ContentPart]]:
    return [(name, kind.content) for name, kind in publication.kinds().items() if kind.content is not None]


def check_content(content_dir: Path) -> list[Problem]:
    """Every problem in the content directory, without touching the database."""
    known: Known = {}
    problems: list[Problem] = []
    for _, part in _parts():
        problems.extend(part.check(content_dir, known))
    return problems


def import_content(content_dir: Path, store: FileStore) -> ImportReport:
    """Upsert every valid file of `content_dir`; report the others."""
    run = ImportRun(ImportReport(), store)
    changed: list[tuple[str, list[str]]] = []
    for name, part in _parts():
        if keys := list(part.import_into(content_dir, run)):
            changed.append((name, keys))
    for name, keys in changed:
        run.report.search_updated &= publication.announce(name, changed=keys)
    return run.report


def export_content(target: Path, store: FileStore) -> int:
    """Write every published record to `target` in the content/ format; return the file count."""
    target.mkdir(parents=True, exist_ok=True)
    return sum(part.export(target, store) for _, part in _parts())


@contextlib.contextmanager
def _watching_writes(roots: tuple[type, ...]):
    """Tell whether a transaction created a record or changed one (autoflush may flush early,
    so this watches every flush rather than the session's state at commit)."""
    writes = {"created": False, "changed": False}
    session = db.session()

    def before_flush(session, flush_context, instances):
        writes["created"] |= any(isinstance(obj, roots) for obj in session.new)
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
