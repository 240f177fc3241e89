"""This host's search index, kept in step with the database by following the publication log.

With several hosts each keeps its own Whoosh index, so a publication made through one host must
reach every index. The outbox every host reads is the publication log itself: each publication
appends its leaf in the same transaction as the change (portal.publication.log.record), under a
gapless sequence number taken on one locked row, so the log's order is commit order. One follower
process per host (`flask search follow`, the only writer of that host's index) applies the
entries after its position in order — a withdrawal removes the item, anything else re-indexes it
from the database — and then records the position beside the index. Applying an entry twice
does no harm, so a crash between the two steps only repeats work.

It wakes on PostgreSQL's NOTIFY (sent by the log in the publishing transaction, delivered at
commit) and polls as a fallback (SQLite, or a lost connection). A position written by another
index format (schema, analyzer or Whoosh version: `index_format()`) or no position at all means
a rebuild from the database first, with the position taken before the rebuild reads anything.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal import publication
from portal.extensions import db
from portal.publication.log import NOTIFY_CHANNEL, LogEntry, LogHead
from portal.publication.version import bump_content_version
from portal.search import analysis, schema
from portal.search.documents import document_id

log = logging.getLogger(__name__)
POSITION_FILE = "position.json"
BATCH = 500


def index_format() -> str:
    """What an index's contents depend on besides the database: the schema's fields, the
    analyzer's code and word lists, Whoosh's version. A change to any of them means a rebuild."""
    from whoosh import versionstring

    digest = hashlib.sha256(versionstring().encode())
    for name, field in sorted(schema.build_schema().items()):
        digest.update(f"{name}:{type(field).__name__};".encode())
    for path in (Path(analysis.__file__), Path(schema.__file__), analysis.DICTIONARY_FILE, analysis.SYNONYMS_FILE):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _position_path() -> Path:
    return Path(current_app.extensions["portal.settings"].search_index_dir) / POSITION_FILE


def read_position() -> dict | None:
    try:
        return json.loads(_position_path().read_text())
    except (OSError, ValueError):
        return None


def _write_position(seq: int, index_format_: str) -> None:
    path = _position_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{POSITION_FILE}.{os.getpid()}")
    aside.write_text(json.dumps({"seq": seq, "format": index_format_}))
    os.replace(aside, path)  # atomic: a reader sees the old position or the new one


def head() -> int:
    """How many leaves the publication log has (the next entry's seq)."""
    return db.session.scalar(select(LogHead.size).where(LogHead.id == 1)) or 0


@dataclasses.dataclass
class Step:
    applied: int = 0
    rebuilt: bool = False


def step(limit: int = BATCH) -> Step:
    """Bring the index up to date with what is committed now (at most `limit` entries a batch)."""
    from portal import search

    done = Step()
    wanted = index_format()
    position = read_position()
    if position is None or position.get("format") != wanted or not search.search_index().exists():
        start = head()  # before the rebuild reads: anything committed meanwhile is applied after
        search.rebuild()
        _write_position(start, wanted)
        done.rebuilt, position = True, {"seq": start}
    seq = position["seq"]
    while True:
        entries = list(db.session.scalars(
            select(LogEntry).where(LogEntry.seq >= seq).order_by(LogEntry.seq).limit(limit)))
        db.session.rollback()  # end the read: the next batch sees later commits
        if not entries:
            if done.applied or done.rebuilt:
                # A search page rendered on this host between the publication (which moved the
                # content version) and now was cached without the new items: stale from here.
                bump_content_version()
            return done
        _apply(entries)
        seq = entries[-1].seq + 1
        _write_position(seq, wanted)
        done.applied += len(entries)


def _apply(entries: list[LogEntry]) -> None:
    """Entries in order, grouped into one index commit: the last word on each item wins."""
    from portal import search

    last: dict[tuple[str, str], str] = {}
    for entry in entries:
        last[(entry.kind, entry.item)] = entry.action
    searchable = search.searchable_kinds()
    for kind_name in {kind for kind, _ in last}:
        if kind_name not in searchable:
            continue
        changed = [item for (kind, item), action in last.items() if kind == kind_name and action != "withdrawn"]
        removed = [item for (kind, item), action in last.items() if kind == kind_name and action == "withdrawn"]
        documents = list(publication.kind(kind_name).documents(changed)) if changed else []
        search.search_index().update(documents=documents, removed_ids=[document_id(kind_name, item) for item in removed])


def lag() -> dict:
    """For /healthz: how many log entries this host's index has not applied yet."""
    position = read_position()
    if position is None:
        return {"position": None, "pending": None}
    return {"position": position["seq"], "pending": max(0, head() - position["seq"])}


def follow(poll_seconds: float = 5.0, stop: Callable[[], bool] = lambda: False) -> None:
    """Run as this host's indexer: apply, then wait for a notification or the poll interval."""
    listener = _Listener()
    try:
        while not stop():
            try:
                done = step()
                if done.applied or done.rebuilt:
                    log.info("search index: applied %d log entries%s", done.applied, " after a rebuild" if done.rebuilt else "")
            except Exception:  # a database or index hiccup: logged, tried again at the next wake-up
                db.session.rollback()
                log.exception("search follower: step failed; retrying")
            listener.wait(poll_seconds)
    finally:
        listener.close()


class _Listener:
    """PostgreSQL LISTEN on the log's channel when the database is PostgreSQL; else a sleep."""

    def __init__(self):
        self.connection = None
        if db.engine.dialect.name == "postgresql":
            try:
                self.connection = db.engine.raw_connection()
                self.connection.driver_connection.autocommit = True
                self.connection.driver_connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
            except Exception:  # polling still works
                log.warning("search follower: LISTEN failed; polling only", exc_info=True)
                self.close()

    def wait(self, seconds: float) -> None:
        if self.connection is None:
            time.sleep(seconds)
            return
        try:
            for _ in self.connection.driver_connection.notifies(timeout=seconds, stop_after=1):
                pass
        except Exception:
            log.warning("search follower: lost the LISTEN connection; polling", exc_info=True)
            self.close()
            time.sleep(seconds)

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # already gone
                pass
            self.connection = None
