"""The publication log's self-audit (`flask log verify`, at start-up and from cron).

It recomputes what the log commits to from the database as it is now and compares:
- the leaves: positions 0..n-1 with none missing, each leaf's hash and fields as stored;
- the tree: the first `size` leaves give the root every stored checkpoint signed, and the
  one the signer remembers outside the database (log.remembered_checkpoint); every signature
  verifies with the site's key;
- the items: every published version the database holds hashes to the bytes its leaf names,
  every item's latest leaf still has its version in the database, and nothing published is
  missing from the log.
Each mismatch is reported by item and kept (publication_log_findings) until the next audit, so
the item's public page can say that its content no longer matches the log.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy import DateTime, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from portal import publication
from portal.clock import utcnow
from portal.extensions import db
from portal.files import file_store
from portal.files.store import FileAltered
from portal.publication import log, tlog
from portal.publication.version import bump_content_version


class LogFinding(db.Model):
    """A mismatch the last audit found, shown on the item's page until an audit finds it gone."""

    __tablename__ = "publication_log_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    item: Mapped[str] = mapped_column(String(200), index=True)
    message: Mapped[str] = mapped_column(Text)
    found_at: Mapped[dt.datetime] = mapped_column(DateTime)


@dataclasses.dataclass(frozen=True)
class Finding:
    kind: str
    item: str
    message: str


@dataclasses.dataclass
class AuditReport:
    entries: int = 0
    items: int = 0
    problems: list[Finding] = dataclasses.field(default_factory=list)


def verify_log(store: bool = True) -> AuditReport:
    report = AuditReport()
    entries = log.entries()
    if store and [entry.seq for entry in entries] == list(range(len(entries))):
        if _record_rules_from_code():  # an intact log only: never append to a broken one
            entries = log.entries()
    report.entries = len(entries)
    _check_leaves(entries, report)
    _check_checkpoints(entries, report)
    _check_witnesses(report)
    _check_items(entries, report)
    _check_stored_files(report)
    if store:
        before = set(db.session.execute(select(LogFinding.kind, LogFinding.item, LogFinding.message)).all())
        db.session.execute(delete(LogFinding))
        db.session.add_all(LogFinding(kind=p.kind, item=p.item, message=p.message, found_at=utcnow())
                           for p in report.problems)
        db.session.commit()
        if before != {(p.kind, p.item, p.message) for p in report.problems}:
            bump_content_version()  # the items' pages say so (or stop saying so) at once
    return report


def _record_rules_from_code() -> bool:
    """A new release's rules (kinds whose bytes are code) become a leaf, signed, before the audit."""
    added = False
    for kind in publication.kinds().values():
        if kind.rules_from_code:
            for item, version, data, published_on in kind.published_bytes():
                added |= log.record(kind.name, item, data, published_on, version=version) is not None
    db.session.commit()
    if added:
        try:
            log.sign_checkpoint()
        except log.LogInconsistent:
            pass  # reported by the audit that follows
    return added


def findings_of_kind(kind: str) -> list[str]:
    """What the last audit found wrong with any item of a kind ("item：message")."""
    return [f"{item}：{message}" for item, message in db.session.execute(
        select(LogFinding.item, LogFinding.message).where(LogFinding.kind == kind).order_by(LogFinding.item))]


def findings_for(kind: str, item: str) -> list[str]:
    """What the last audit found wrong with one item (for its public page)."""
    return list(db.session.scalars(select(LogFinding.message).where(LogFinding.kind == kind, LogFinding.item == item)))


def _check_leaves(entries, report: AuditReport) -> None:
    for position, entry in enumerate(entries):
        if entry.seq != position:
            report.problems.append(Finding("log", str(position), f"日志第 {position} 条缺失（记录被删除）"))
            return
        try:
            leaf = json.loads(entry.leaf)
        except ValueError:
            leaf = {}
        stored = {"seq": entry.seq, "kind": entry.kind, "id": entry.item, "version": entry.version,
                  "action": entry.action, "sha256": entry.sha256}
        if (tlog.leaf_hash(entry.leaf.encode("utf-8")).hex() != entry.leaf_hash
                or {key: leaf.get(key) for key in stored} != stored):
            report.problems.append(Finding(entry.kind, entry.item, f"日志第 {entry.seq} 条被改动"))


def _check_checkpoints(entries, report: AuditReport) -> None:
    """Every stored checkpoint, and the one the signer remembers outside the database, must be
    a tree of the stored leaves, signed by the site's key. The roots of all of them are computed
    in one pass over the leaves. When some do not match, the entries between the largest tree
    that matches and the smallest that does not are the ones rewritten: each is named."""
    hashes = [bytes.fromhex(entry.leaf_hash) for entry in entries]
    # The stored tiles, which roots, proofs and /log/tile are computed from, must be the leaves' own.
    expected = log.tiles_of(hashes)
    stored = {(tile.level, tile.index): tile.hashes for tile in db.session.scalars(select(log.LogTile))}
    wrong = sorted(key for key in expected.keys() | stored.keys() if expected.get(key) != stored.get(key))
    if wrong:
        report.problems.append(Finding("log", "tiles", f"日志的 {len(wrong)} 个哈希块与记录不一致"
                                                       f"（如第 {wrong[0][0]} 层第 {wrong[0][1]} 块）"))
        # A leaf whose hash is not the one its tile holds (the tree readers verify against) was
        # changed after it was appended: named by item.
        for entry in entries:
            tile = stored.get((0, entry.seq // log.WIDTH), b"")
            offset = (entry.seq % log.WIDTH) * 32
            if tile[offset:offset + 32] != bytes.fromhex(entry.leaf_hash):
                report.problems.append(Finding(entry.kind, entry.item, f"日志第 {entry.seq} 条与日志的树不一致"
                                                                      "（记录在数据库中被改写）"))
    checkpoints = list(db.session.scalars(select(log.LogCheckpoint).order_by(log.LogCheckpoint.size)))
    try:
        remembered = log.remembered_checkpoint()
    except log.LogInconsistent as exc:
        report.problems.append(Finding("log", "checkpoint", f"签名者记住的检查点无法读取：{exc}"))
        remembered = None
    signed = {c.size: bytes.fromhex(c.root) for c in checkpoints}
    if remembered is not None:
        if remembered.size not in signed:
            report.problems.append(Finding("log", "checkpoint",
                                           f"第 {remembered.size} 号签名检查点已从数据库中删除（签名者记得曾签署它）"))
        elif signed[remembered.size] != remembered.root:
            report.problems.append(Finding("log", "checkpoint", f"数据库中的第 {remembered.size} 号签名检查点被替换"))
        signed[remembered.size] = remembered.root  # the signer's memory is the one to trust
    roots = tlog.roots_at(hashes, [size for size in signed if size <= len(hashes)])
    bad = sorted(size for size, root in signed.items() if roots.get(size) != root)
    if bad:
        first_bad = bad[0]
        good = max((size for size in signed if size < first_bad and size not in bad), default=0)
        report.problems.append(Finding("log", "checkpoint", f"日志与第 {first_bad} 号签名检查点不一致"
                                                            f"（第 {good}–{first_bad - 1} 条之中有记录被改写）"))
        for entry in entries[good:min(first_bad, len(entries))]:
            report.problems.append(Finding(entry.kind, entry.item, f"日志第 {entry.seq} 条与已签名的检查点不一致"
                                                                  "（可能在数据库中被改写）"))
    key = log.signing_key()
    if key is None:
        return
    for checkpoint in checkpoints:
        try:
            body = tlog.verify_note(checkpoint.note, key.verifier)
            _, size, root, _ = tlog.parse_checkpoint(body)
            if (size, root.hex()) != (checkpoint.size, checkpoint.root):
                raise ValueError("the note and the stored checkpoint differ")
        except ValueError as exc:
            report.problems.append(Finding("log", "checkpoint", f"第 {checkpoint.size} 号签名检查点无法验证：{exc}"))


def _check_witnesses(report: AuditReport) -> None:
    """Offer the latest checkpoint to every witness with an address: one that refuses it holds a
    history of this log that the database no longer gives (or a larger one)."""
    latest = log.latest_checkpoint()
    if latest is None or log.signing_key() is None:
        return
    for answer in log.ask_witnesses(latest):
        if not answer.cosigned:
            report.problems.append(Finding("log", "witness", f"见证方 {answer.witness} 未联署第 {latest.size} 号检查点："
                                                             f"{answer.message}"))


def _check_items(entries, report: AuditReport) -> None:
    latest: dict[tuple[str, str], log.LogEntry] = {}
    by_version: dict[tuple[str, str, int], log.LogEntry] = {}
    for entry in entries:
        latest[(entry.kind, entry.item)] = entry
        by_version[(entry.kind, entry.item, entry.version)] = entry
    seen: dict[tuple[str, str], set] = {}
    for kind in publication.kinds().values():
        for item, version, data, _ in kind.published_bytes():
            report.items += 1
            key = (kind.name, item)
            seen.setdefault(key, set()).add(version)
            entry = latest.get(key) if version is None else by_version.get((kind.name, item, version))
            if isinstance(data, Exception):
                report.problems.append(Finding(kind.name, item, f"{_v(version)}无法按发布时的方式读取（在平台之外被改动）：{data}"))
            elif entry is None:
                report.problems.append(Finding(kind.name, item, f"{_v(version)}未记入公开记录日志（不是经本平台发布的）"))
            elif entry.sha256 != log.sha256_hex(data):
                report.problems.append(Finding(kind.name, item, f"{_v(version)}内容与公开记录日志不一致（在平台之外被改动）"))
    for (kind_name, item), entry in latest.items():
        if kind_name not in publication.kinds():
            continue
        versions = seen.get((kind_name, item))
        if versions is None:
            report.problems.append(Finding(kind_name, item, "日志记录的内容已从数据库中删除"))
        elif None not in versions and entry.version not in versions:
            report.problems.append(Finding(kind_name, item, f"日志记录的第 {entry.version} 版已从数据库中删除"))


def _check_stored_files(report: AuditReport) -> None:
    """Each file a published item serves, read back from the store (which checks its SHA-256)."""
    store = file_store()
    for kind in publication.kinds().values():
        for item, name, digest in kind.stored_files():
            try:
                store.read(digest)
            except FileAltered:
                report.problems.append(Finding(kind.name, item, f"附件“{name}”的文件被替换（与发布时的 SHA-256 不符）"))
            except (FileNotFoundError, ValueError):
                report.problems.append(Finding(kind.name, item, f"附件“{name}”的文件缺失"))


def _v(version: int | None) -> str:
    return f"第 {version} 版" if version is not None else "当前内容"


def backfill() -> int:
    """Log every published item not in the log yet (a portal that had content before its log,
    run by `flask log init-key`): the log then starts from what is published. The caller commits."""
    added = 0
    for kind in publication.kinds().values():
        for item, version, data, published_on in kind.published_bytes():
            if isinstance(data, Exception):  # unreadable: the audit reports it, nothing is logged
                continue
            if log.latest_entry(kind.name, item) is None or (
                    version is not None and not db.session.scalar(select(log.LogEntry.seq).where(
                        log.LogEntry.kind == kind.name, log.LogEntry.item == item, log.LogEntry.version == version))):
                entry = log.record(kind.name, item, data, published_on, version=version)
                added += entry is not None
    return added
