"""The publication log (公开记录): an append-only Merkle tree of every publication event.

Each event — a disclosure published, corrected, redacted or withdrawn; a rating edition version
published or corrected; a commendation published or changed — appends one leaf, in the same
transaction as the change, so a publication without its leaf or a leaf without its publication
cannot be committed. A leaf holds hashes and ids only, never personal data:

    {"action", "id", "kind", "published_at", "seq", "sha256", "supersedes", "version"}

as canonical JSON (sorted keys, no spaces, UTF-8); `sha256` is the hash of the published bytes
the kind serves (a disclosure's source record, an edition's CSV, a commendation's record).
After commit, a checkpoint (C2SP tlog-checkpoint, signed as a C2SP signed note with the site's
Ed25519 key) commits to the whole tree; tlog.py is the standards part, and the file readers
download to check a proof themselves.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import secrets
import stat
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import Date, DateTime, Integer, String, Text, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db
from portal.publication import tlog
from portal.publication.version import bump_content_version

log = logging.getLogger(__name__)
ACTIONS = ("published", "corrected", "redacted", "withdrawn")
# PostgreSQL channel a leaf's transaction notifies at commit: each host's search follower listens.
NOTIFY_CHANNEL = "portal_publication_log"


class LogEntry(db.Model):
    """One leaf of the tree; `seq` is its position (0-based). Never updated or deleted."""

    __tablename__ = "publication_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(40))
    item: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    published_on: Mapped[dt.date] = mapped_column(Date)
    supersedes: Mapped[int | None] = mapped_column(Integer)
    leaf: Mapped[str] = mapped_column(Text)  # the canonical JSON, exactly the bytes hashed
    leaf_hash: Mapped[str] = mapped_column(String(64))  # hex SHA-256(0x00 ‖ leaf)


class LogHead(db.Model):
    """One row: the number of leaves. Every append moves it on with an UPDATE, which takes the
    row's lock, so two publications at once get consecutive positions, never the same one."""

    __tablename__ = "publication_log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer, default=0)


class LogTile(db.Model):
    """A tile of the tree (C2SP tlog-tiles, also the storage layout): the hashes at height
    8·level, positions 256·index …, as many as are complete (256 in a full tile; the rightmost
    tile of each level grows with every append that completes one of its nodes). Roots, proofs
    and served tiles are computed from these: O(log n) reads at any size, instead of every leaf."""

    __tablename__ = "publication_log_tiles"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column("idx", Integer, primary_key=True, autoincrement=False)
    hashes: Mapped[bytes] = mapped_column(db.LargeBinary, nullable=False)  # up to 256 × 32 bytes


class LogCheckpoint(db.Model):
    """A signed checkpoint: the tree of the first `size` leaves, as the note readers verify."""

    __tablename__ = "publication_log_checkpoints"

    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class LogCosignature(db.Model):
    """A witness's cosignature (C2SP tlog-cosignature) on one of the log's checkpoints."""

    __tablename__ = "publication_log_cosignatures"
    __table_args__ = (db.UniqueConstraint("size", "witness"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer, index=True)
    witness: Mapped[str] = mapped_column(String(200))
    line: Mapped[str] = mapped_column(Text)  # the signature line as the witness wrote it
    timestamp: Mapped[int] = mapped_column(db.BigInteger)


class LogInconsistent(RuntimeError):
    """The stored leaves do not give the tree the last checkpoint signed: nothing is signed."""


def canonical_json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- appending ------------------------------------------------------------------------------

def record(kind: str, item: str, published: bytes, published_on: dt.date, version: int | None = None,
           action: str | None = None) -> LogEntry | None:
    """Append the leaf of one publication event to the current transaction (the caller commits
    it with the publication). Nothing is appended when the item's latest leaf already has these
    bytes (an import run twice). By default the version counts the item's leaves and the action
    is "published" for its first leaf, "corrected" after."""
    digest = sha256_hex(published)
    last = latest_entry(kind, item)
    if last is not None and last.sha256 == digest and (action is None or last.action == action):
        return None
    version = version if version is not None else (last.version + 1 if last is not None else 1)
    action = action or ("corrected" if last is not None else "published")
    if action not in ACTIONS:
        raise ValueError(f"unknown log action {action!r}")
    seq = _next_seq()
    leaf = canonical_json({
        "seq": seq, "kind": kind, "id": item, "version": version, "action": action, "sha256": digest,
        "published_at": published_on.isoformat(), "supersedes": last.seq if last is not None else None,
    })
    entry = LogEntry(seq=seq, kind=kind, item=item, version=version, action=action, sha256=digest,
                     published_on=published_on, supersedes=last.seq if last is not None else None,
                     leaf=leaf.decode("utf-8"), leaf_hash=tlog.leaf_hash(leaf).hex())
    db.session.add(entry)
    _append_to_tiles(bytes.fromhex(entry.leaf_hash), seq + 1)
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        # Delivered when (and only if) the publication commits.
        db.session.execute(text("SELECT pg_notify(:channel, :seq)"), {"channel": NOTIFY_CHANNEL, "seq": str(seq)})
    return entry


def _next_seq() -> int:
    moved = db.session.execute(update(LogHead).where(LogHead.id == 1).values(size=LogHead.size + 1)).rowcount
    if not moved:  # the first leaf (the migration creates the row; create_all does not)
        try:
            with db.session.begin_nested():
                db.session.add(LogHead(id=1, size=1))
        except IntegrityError:
            db.session.execute(update(LogHead).where(LogHead.id == 1).values(size=LogHead.size + 1))
    return db.session.scalar(select(LogHead.size).where(LogHead.id == 1)) - 1


def latest_entry(kind: str, item: str) -> LogEntry | None:
    return db.session.scalar(select(LogEntry).where(LogEntry.kind == kind, LogEntry.item == item)
                             .order_by(LogEntry.seq.desc()).limit(1))


def entries(start: int = 0, stop: int | None = None) -> list[LogEntry]:
    statement = select(LogEntry).where(LogEntry.seq >= start).order_by(LogEntry.seq)
    if stop is not None:
        statement = statement.where(LogEntry.seq < stop)
    return list(db.session.scalars(statement))


def leaf_hashes(size: int | None = None) -> list[bytes]:
    statement = select(LogEntry.leaf_hash).order_by(LogEntry.seq)
    if size is not None:
        statement = statement.where(LogEntry.seq < size)
    return [bytes.fromhex(value) for value in db.session.scalars(statement)]


def tree_size() -> int:
    """The number of leaves (the head row every append moves on; a count would read them all)."""
    return db.session.scalar(select(LogHead.size).where(LogHead.id == 1)) or 0


# --- the tree, from its stored tiles ----------------------------------------------------------

WIDTH = tlog.TILE_WIDTH
TILE_BITS = 8  # 256 = 2^8: a tile spans 8 levels of the tree


def _split_hashes(data: bytes) -> list[bytes]:
    return [data[i:i + 32] for i in range(0, len(data), 32)]


class StoredTree:
    """Subtree hashes of the tree of `size` leaves, read from the stored tiles (each tile read
    once, each subtree hash computed once per instance)."""

    def __init__(self, size: int):
        self.size = size
        self._tiles: dict[tuple[int, int], list[bytes]] = {}
        self._nodes: dict[tuple[int, int], bytes] = {}

    def _level_hashes(self, level: int, first: int, count: int) -> list[bytes]:
        """`count` nodes at height 8·level from `first` on, all in one tile (complete subtrees)."""
        key = (level, first // WIDTH)
        if key not in self._tiles:
            data = db.session.scalar(select(LogTile.hashes).where(LogTile.level == level, LogTile.index == key[1]))
            self._tiles[key] = _split_hashes(data or b"")
        start = first % WIDTH
        hashes = self._tiles[key][start:start + count]
        if len(hashes) != count:
            raise LogInconsistent(f"tile {level}/{key[1]} lacks nodes {start}–{start + count - 1}: "
                                  "the stored tree is incomplete")
        return hashes

    def level_hash(self, level: int, position: int) -> bytes:
        """The node at height 8·level, `position` (a complete subtree of 256^level leaves)."""
        return self._level_hashes(level, position, 1)[0]

    def node(self, height: int, index: int) -> bytes:
        if (height, index) not in self._nodes:
            level, rest = divmod(height, TILE_BITS)
            # 2^rest ≤ 128 nodes of one tile, aligned: their perfect tree is this subtree.
            self._nodes[(height, index)] = tlog.perfect_root(self._level_hashes(level, index << rest, 1 << rest))
        return self._nodes[(height, index)]

    def root(self, size: int | None = None) -> bytes:
        return tlog.subtree_root(self.node, 0, self.size if size is None else size)

    def inclusion_proof(self, index: int) -> list[bytes]:
        return tlog.inclusion_proof_of(self.node, index, self.size)

    def consistency_proof(self, old_size: int) -> list[bytes]:
        return tlog.consistency_proof_of(self.node, old_size, self.size)

    def tile(self, level: int, index: int, width: int) -> list[bytes]:
        """Tile (level, index) of width `width` as /log/tile serves it."""
        return self._level_hashes(level, index * WIDTH, width)


def _append_to_tiles(leaf_hash: bytes, size: int) -> None:
    """Add the leaf that made the tree `size` leaves long to its tile; each tile it fills gives
    its root to the tile above (one row read and written, more only every 256th append)."""
    level, value, count = 0, leaf_hash, size  # count: the complete nodes at this level, this one included
    while True:
        index = (count - 1) // WIDTH
        row = db.session.get(LogTile, (level, index))
        if row is None:
            db.session.add(LogTile(level=level, index=index, hashes=value))
        else:
            row.hashes = row.hashes + value
        if count % WIDTH:
            return
        value = tlog.perfect_root(_split_hashes(row.hashes if row is not None else value))
        level, count = level + 1, count // WIDTH


def tiles_of(hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every tile of the tree of these leaf hashes, as they are stored: {(level, index): bytes}."""
    tiles: dict[tuple[int, int], bytes] = {}
    level_hashes, level = list(hashes), 0
    while level_hashes:
        for start in range(0, len(level_hashes), WIDTH):
            tiles[(level, start // WIDTH)] = b"".join(level_hashes[start:start + WIDTH])
        level_hashes = [tlog.perfect_root(level_hashes[i * WIDTH:(i + 1) * WIDTH])
                        for i in range(len(level_hashes) // WIDTH)]
        level += 1
    return tiles


def rebuild_tiles(hashes: list[bytes]) -> int:
    """Store every tile of the tree of `hashes` (a benchmark's generated log), replacing what is
    stored. The caller commits. Returns how many."""
    db.session.execute(db.delete(LogTile))
    tiles = tiles_of(hashes)
    if tiles:
        db.session.execute(db.insert(LogTile), [{"level": level, "index": index, "hashes": data}
                                                for (level, index), data in tiles.items()])
    return len(tiles)


# --- the signing key ------------------------------------------------------------------------

# The second line of a key the portal made itself on a developer's first run: such a key signs a
# log at once (so `make run` serves a signed log) and production refuses to start with it.
DEVELOPMENT_MARKER = "# development key, made on first run: not for production (flask log init-key makes the real one)"


@dataclasses.dataclass(frozen=True)
class SigningKey:
    name: str  # the log's origin, e.g. portal.example.gov.cn/log
    seed: bytes
    development: bool = False

    @property
    def verifier(self) -> str:
        from nacl.signing import SigningKey as Ed25519Key

        return tlog.verifier_key(self.name, bytes(Ed25519Key(self.seed).verify_key))


def origin(public_base_url: str) -> str:
    """The log's name: its schema-less URL (C2SP tlog-checkpoint), from the site's base URL."""
    parts = urlsplit(public_base_url)
    return f"{parts.netloc}{parts.path.rstrip('/')}/log"


def create_key(path: Path, public_base_url: str, development: bool = False) -> SigningKey:
    """Write a new signing key to `path` (mode 0600, never over an existing one)."""
    key = SigningKey(origin(public_base_url), secrets.token_bytes(32), development)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(tlog.signer_key(key.name, key.seed) + "\n" + (DEVELOPMENT_MARKER + "\n" if development else ""))
    return key


def load_key(path: Path) -> SigningKey | None:
    """The signing key at `path`, or None if there is none; refuse one others may read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionError(f"{path} may be read by other users (mode {stat.filemode(mode)}): chmod 600 {path}")
    first, *rest = path.read_text(encoding="ascii").splitlines()
    name, seed = tlog.parse_signer_key(first)
    return SigningKey(name, seed, development=DEVELOPMENT_MARKER in rest)


class DevelopmentKeyInProduction(RuntimeError):
    pass


def init_app(app: Flask) -> None:
    """Read the key at start-up: a key file with loose permissions stops the portal, and so does
    the development key (`flask log init-key --development`, which `make run` uses) in production.
    Pages name their log entry with the template functions `log_entry(kind, item, version)` and
    `log_proof_url(entry)` (None until a signed checkpoint covers it)."""
    app.jinja_env.globals["log_entry"] = entry_for
    app.jinja_env.globals["log_proof_url"] = proof_url
    settings = app.extensions["portal.settings"]
    key = load_key(settings.log_key_file)
    if key is not None and key.development and settings.env == "production":
        raise DevelopmentKeyInProduction(
            f"{settings.log_key_file} is the development key the portal made on a first run: move it away and run "
            "`flask --app wsgi log init-key` to make the log's real key")
    app.extensions["portal.log.key"] = (_key_file_state(settings.log_key_file), key)


def _key_file_state(path: Path) -> tuple | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size


def signing_key() -> SigningKey | None:
    """The key as the key file holds it now: `flask log init-key` run beside a serving portal
    takes effect at once, on every page (one stat per call; the file is read when it changed)."""
    path = current_app.extensions["portal.settings"].log_key_file
    state = _key_file_state(path)
    known_state, key = current_app.extensions.get("portal.log.key", (None, None))
    if state != known_state:
        key = load_key(path)
        if key is not None and key.development and current_app.extensions["portal.settings"].env == "production":
            key = None  # never signs in production
        current_app.extensions["portal.log.key"] = (state, key)
    return key


# --- the signer's memory, outside the database -----------------------------------------------
#
# Whoever can write to the database could rewrite a leaf and delete the checkpoints signed
# after it; the signer, reading only the database, would then sign the forged tree. So the
# signer remembers the largest checkpoint it has signed in a file beside its key (mode 0600,
# never in the database or its backups) and signs only a tree that proves consistent with it.
# With several hosts each signer remembers what it signed itself; witnesses remember for readers.

@dataclasses.dataclass(frozen=True)
class Remembered:
    size: int
    root: bytes
    note: str


def signed_state_file() -> Path:
    key_file = current_app.extensions["portal.settings"].log_key_file
    return key_file.with_name(key_file.name + ".signed")


def remembered_checkpoint() -> Remembered | None:
    """The largest checkpoint this signer signed, as its state file keeps it (None before the
    first). A state file others may read, or one that is not a note signed by this log's key,
    raises LogInconsistent: the signer does not sign without its memory."""
    key = signing_key()
    path = signed_state_file()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if key is None:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise LogInconsistent(f"{path} may be written by other users (mode {stat.filemode(mode)}): chmod 600 {path}")
    note = path.read_text(encoding="utf-8")
    try:
        _, size, tree_root, _ = tlog.parse_checkpoint(tlog.verify_note(note, key.verifier))
    except ValueError as exc:
        raise LogInconsistent(f"{path} is not a checkpoint signed by this log's key: {exc}") from None
    return Remembered(size, tree_root, note)


def _remember(note: str, signed_here: bool = False) -> None:
    """Keep `note` as the signer's memory if it is larger than what it remembers (atomically,
    mode 0600; one worker at a time, so the memory never moves back). A note read from the
    database is verified first; one this call's caller just signed (`signed_here`) is not."""
    path = signed_state_file()
    try:
        body = tlog.split_note(note)[0] if signed_here else tlog.verify_note(note, signing_key().verifier)
        _, size, _, _ = tlog.parse_checkpoint(body)
    except ValueError as exc:
        raise LogInconsistent(f"a stored checkpoint does not verify with this log's key: {exc}") from None
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:  # what the file says now (its signature was checked when the signer read it)
            known = tlog.parse_checkpoint(tlog.split_note(path.read_text(encoding="utf-8"))[0])[1]
        except (FileNotFoundError, ValueError):
            known = None
        if known is not None and known >= size:
            return
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(note)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)


def _check_extends(remembered: Remembered | None, tree: StoredTree) -> None:
    """LogInconsistent unless the stored tree extends the remembered checkpoint, checked the way
    a reader checks it: an RFC 6962 consistency proof from the remembered tree."""
    if remembered is None or remembered.size == 0:
        return
    size = tree.size
    if remembered.size > size:
        raise LogInconsistent(f"the log holds {size} entries, fewer than the {remembered.size} this signer signed")
    proof = tree.consistency_proof(remembered.size) if remembered.size < size else []
    if not tlog.verify_consistency(remembered.size, size, remembered.root, tree.root(), proof):
        raise LogInconsistent(f"the stored leaves do not extend the tree of {remembered.size} entries this signer "
                              "signed: the log was rewritten in the database")


# --- checkpoints ----------------------------------------------------------------------------

def latest_checkpoint() -> LogCheckpoint | None:
    return db.session.scalar(select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1))


def sign_checkpoint() -> LogCheckpoint | None:
    """Sign the tree as it is now, after checking it extends the last checkpoint stored and the
    last one this signer remembers signing. Returns the latest checkpoint (None when no key is
    configured or the log is empty)."""
    key = signing_key()
    if key is None:
        return None
    size = tree_size()
    last = latest_checkpoint()
    if size == 0:
        return last
    if db.session.scalar(select(db.func.max(LogEntry.seq))) != size - 1 or db.session.get(LogEntry, size - 1) is None:
        raise LogInconsistent(f"the log's positions are not 0..{size - 1} (a leaf was deleted)")
    tree = StoredTree(size)
    try:
        _check_extends(remembered_checkpoint(), tree)
        if last is not None:
            if last.size > size or tree.root(last.size).hex() != last.root:
                raise LogInconsistent(f"the stored leaves do not give the tree of checkpoint {last.size}")
            if last.size == size:
                _remember(last.note)
                return last
        tree_root = tree.root()
    except ValueError as exc:  # a stored tile too short or malformed for the tree it must give
        raise LogInconsistent(f"the stored tree is broken: {exc}") from None
    note = tlog.sign_note(tlog.checkpoint_body(key.name, size, tree_root), key.name, key.seed)
    checkpoint = LogCheckpoint(size=size, root=tree_root.hex(), note=note, signed_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(checkpoint)
        # Committed with the checkpoint: pages link an entry's proof once it is signed, so every
        # cached copy moves on in the same step.
        bump_content_version()
        signed_here = True
    except IntegrityError:  # another worker signed this size first: the same tree, the same note
        db.session.rollback()
        checkpoint, signed_here = latest_checkpoint(), False
    _remember(checkpoint.note, signed_here)
    return checkpoint


def witnesses() -> tuple[str, ...]:
    """The witness keys (cosignature/v1 verifier keys) whose cosignatures the log accepts."""
    return current_app.extensions["portal.settings"].log_witnesses


def add_cosignatures(note: str) -> int:
    """Accept the cosignatures a witness returned on one of this log's checkpoints (the note as
    the witness sent it back); return how many were new. Raise ValueError when the note is not a
    checkpoint this log signed; a line by a witness not configured, or one that does not verify,
    is not kept."""
    body, signatures = tlog.split_note(note)
    _, size, _, _ = tlog.parse_checkpoint(body)
    ours = db.session.get(LogCheckpoint, size)
    if ours is None or tlog.split_note(ours.note)[0] != body:
        raise ValueError(f"not a checkpoint this log signed (size {size})")
    added = 0
    for name, identifier, rest in signatures:
        for witness in witnesses():
            try:
                timestamp = tlog.verify_cosignature(body, name, identifier + rest, witness)
            except ValueError:
                continue
            if db.session.scalar(select(LogCosignature.id).where(LogCosignature.size == size,
                                                                 LogCosignature.witness == name)) is None:
                blob = identifier + rest
                line = f"{tlog.EM_DASH} {name} {base64.b64encode(blob).decode()}"
                db.session.add(LogCosignature(size=size, witness=name, line=line, timestamp=timestamp))
                added += 1
    db.session.commit()
    return added


# --- asking witnesses ----------------------------------------------------------------------

WITNESS_TIMEOUT_SECONDS = 5


@dataclasses.dataclass(frozen=True)
class WitnessAnswer:
    witness: str
    cosigned: bool
    message: str  # what the witness said, for the log and the audit


def witness_urls() -> dict[str, str]:
    pairs = current_app.extensions["portal.settings"].log_witness_urls
    return {name: url.rstrip("/") for name, _, url in (pair.partition("=") for pair in pairs)}


def _post(url: str, body: bytes) -> tuple[int, str, str]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, method="POST")
    try:
        # Only addresses the operator configured (LOG_WITNESS_URLS, checked to be http(s)).
        with urllib.request.urlopen(request, timeout=WITNESS_TIMEOUT_SECONDS) as response:  # nosec B310
            return response.status, response.headers.get("Content-Type", ""), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode("utf-8", "replace")


def ask_witnesses(checkpoint: LogCheckpoint) -> list[WitnessAnswer]:
    """Ask each witness with an address to cosign `checkpoint` (C2SP tlog-witness add-checkpoint),
    with a consistency proof from the last checkpoint it cosigned; keep the cosignatures it
    returns. A witness that refuses (its history and ours differ) is the alarm: it is logged as
    an error and the audit reports it."""
    answers = []
    urls = witness_urls()
    if not urls:
        return answers
    tree = StoredTree(checkpoint.size)
    for name, url in urls.items():
        old = db.session.scalar(select(db.func.max(LogCosignature.size)).where(LogCosignature.witness == name)) or 0
        try:
            for _ in range(2):  # a second time with the size the witness says it knows (409)
                old = min(old, checkpoint.size)
                proof = tree.consistency_proof(old) if 0 < old < checkpoint.size else []
                status, content_type, body = _post(f"{url}/add-checkpoint",
                                                   tlog.add_checkpoint_request(old, proof, checkpoint.note))
                if status == 409 and content_type.startswith("text/x.tlog.size") and body.strip().isdigit():
                    known = int(body.strip())
                    if known > checkpoint.size:
                        body = f"the witness has cosigned {known} entries, more than this log holds ({checkpoint.size})"
                        break
                    old = known
                    continue
                break
        except OSError as exc:
            answers.append(WitnessAnswer(name, False, f"unreachable: {exc}"))
            log.warning("publication log: witness %s unreachable: %s", name, exc)
            continue
        if status == 200:
            add_cosignatures(checkpoint.note + body)  # only a valid line by this witness is kept
            answers.append(WitnessAnswer(name, True, "cosigned"))
        else:
            answers.append(WitnessAnswer(name, False, f"{status}: {body.strip()}"))
            log.error("publication log: witness %s did not cosign checkpoint %d: %s %s",
                      name, checkpoint.size, status, body.strip())
    return answers


def served_note(checkpoint: LogCheckpoint) -> str:
    """The checkpoint's note with every witness cosignature kept for it, as /log/checkpoint serves it."""
    lines = list(db.session.scalars(select(LogCosignature.line).where(LogCosignature.size == checkpoint.size)
                                    .order_by(LogCosignature.witness)))
    return checkpoint.note + "".join(line + "\n" for line in lines)


def sign_after(announcement) -> bool:
    """The announcement listener: every publication ends with a signed checkpoint, cosigned by
    the witnesses that have an address."""
    try:
        checkpoint = sign_checkpoint()
        if checkpoint is not None:
            ask_witnesses(checkpoint)
    except LogInconsistent as exc:
        log.error("publication log: %s; no checkpoint signed (run `flask --app wsgi log verify`)", exc)
        return False
    return True


def entry_for(kind: str, item: str, version: int | None = None) -> LogEntry | None:
    """The leaf that logged this version of an item (its latest leaf without a version): what a
    page names as "日志第 N 条" with a link to its proof."""
    statement = select(LogEntry).where(LogEntry.kind == kind, LogEntry.item == item)
    if version is not None:
        statement = statement.where(LogEntry.version == version)
    return db.session.scalar(statement.order_by(LogEntry.seq.desc()).limit(1))


def proof_url(entry: LogEntry | None) -> str | None:
    """The address of the entry's inclusion proof, once a signed checkpoint covers it."""
    from flask import url_for

    latest = latest_checkpoint()
    if entry is None or latest is None or entry.seq >= latest.size:
        return None
    return url_for("log.proof", seq=entry.seq)


def name_entry(response, entry: LogEntry | None):
    """A download names its leaf: the entry's number and the address of its inclusion proof."""
    if entry is not None:
        response.headers["X-Publication-Log-Entry"] = str(entry.seq)
        if (proof := proof_url(entry)) is not None:
            response.headers["Link"] = f'<{proof}>; rel="describedby"'
    return response


def first_checkpoints_covering(seqs: list[int]) -> dict[int, dt.datetime]:
    """For each entry, when the first checkpoint that covers it was signed (UTC): the moment it
    entered the signed log."""
    if not seqs:
        return {}
    signed = list(db.session.execute(select(LogCheckpoint.size, LogCheckpoint.signed_at)
                                     .where(LogCheckpoint.size > min(seqs)).order_by(LogCheckpoint.size)))
    found = {}
    for seq in seqs:
        first = next((at for size, at in signed if size > seq), None)
        if first is not None:
            found[seq] = first
    return found


def entries_with(digest: str) -> list[LogEntry]:
    return list(db.session.scalars(select(LogEntry).where(LogEntry.sha256 == digest).order_by(LogEntry.seq)))
