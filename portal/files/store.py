"""Content-addressed file storage and the rules for which files may be published.

Two stores with one interface (put, read, exists, source, digests): on local disk under FILES_DIR
(SQLite, one host), or in the database (PostgreSQL: every host reads the same files, and a file
is written in the transaction of the publication that refers to it). `file_store()` picks the
one that matches the database; `flask files move-to-database` copies a disk store's files in.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import LargeBinary, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.web.errors import RecordUnreadable


def _is_plain_text(head: bytes) -> bool:
    """UTF-8 text that is not markup: an HTML page renamed .txt is refused."""
    if b"\x00" in head or head.lstrip().startswith(b"<"):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut by the 512-byte window
    return True


def _starts(*magics: bytes):
    return lambda head: head.startswith(magics)


# extension → (media type, check of the first bytes). The type is decided by content as well as
# by name, so an HTML page named .pdf is refused instead of being served to a browser.
ALLOWED_TYPES = {
    "pdf": ("application/pdf", _starts(b"%PDF-")),
    "png": ("image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _starts(b"PK\x03\x04")),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _starts(b"PK\x03\x04")),
    "doc": ("application/msword", _starts(b"\xd0\xcf\x11\xe0")),
    "xls": ("application/vnd.ms-excel", _starts(b"\xd0\xcf\x11\xe0")),
    "csv": ("text/csv", _is_plain_text),
    "txt": ("text/plain", _is_plain_text),
}
# Shown in the browser; everything else is offered as a download only.
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
_FILENAME_RE = re.compile(r"^[^/\\\x00-\x1f\x7f]{1,120}\.[A-Za-z0-9]{1,8}$")


class AttachmentRefused(ValueError):
    """A file may not be published; the message says why, in Chinese and English."""


def check_attachment(filename: str, size: int, head: bytes) -> str:
    """Return the media type to serve `filename` with, or raise AttachmentRefused."""
    if not _FILENAME_RE.match(filename) or filename.startswith("."):
        raise AttachmentRefused("文件名不合规 (file name not allowed)")
    kind = ALLOWED_TYPES.get(filename.rsplit(".", 1)[-1].lower())
    if kind is None:
        raise AttachmentRefused(f"不支持的附件类型 (type not allowed; allowed: {', '.join(sorted(ALLOWED_TYPES))})")
    if size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRefused(f"文件过大 (larger than {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB)")
    media_type, matches = kind
    if not matches(head):
        raise AttachmentRefused("文件内容与扩展名不符 (content does not match the file extension)")
    return media_type


class FileAltered(RecordUnreadable):
    """A stored file's bytes no longer hash to the SHA-256 it is kept under: replaced outside the
    portal. It is not served (503, saying so) and the publication log's audit names it."""


def _verified(sha256: str, data: bytes) -> bytes:
    if hashlib.sha256(data).hexdigest() != sha256:
        raise FileAltered(f"the stored file {sha256} no longer has that SHA-256")
    return data


class FileStore:
    """Files kept by their SHA-256 under one root: writing the same bytes twice stores them once.
    Reading checks the bytes against their name: a file replaced on disk is never served."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError("not a SHA-256 digest")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # Written aside, then renamed: a reader never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        return digest

    def read(self, sha256: str) -> bytes:
        return _verified(sha256, self.path(sha256).read_bytes())

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def source(self, sha256: str) -> Path:
        """Something with read_bytes() for a stored file (what a record reads its bytes from)."""
        return self.path(sha256)

    def digests(self) -> list[str]:
        """Every stored file's digest (for backups), sorted."""
        if not self.root.is_dir():
            return []
        return sorted(path.name for path in self.root.glob("??/*")
                      if path.is_file() and re.fullmatch(r"[0-9a-f]{64}", path.name))


class StoredFile(db.Model):
    """A published attachment's bytes, by SHA-256 (the database store)."""

    __tablename__ = "stored_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


@dataclasses.dataclass(frozen=True)
class _DatabaseSource:
    store: "DatabaseFileStore"
    sha256: str

    def read_bytes(self) -> bytes:
        return self.store.read(self.sha256)


class DatabaseFileStore:
    """The same interface in the database, inside the caller's transaction."""

    root = None  # nothing on disk

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if not self.exists(digest):
            try:
                with db.session.begin_nested():  # two publications of the same bytes at once: one row
                    db.session.add(StoredFile(sha256=digest, data=data))
            except IntegrityError:
                pass
        return digest

    def read(self, sha256: str) -> bytes:
        data = db.session.scalar(select(StoredFile.data).where(StoredFile.sha256 == _digest(sha256)))
        if data is None:
            raise FileNotFoundError(sha256)
        return _verified(sha256, data)

    def exists(self, sha256: str) -> bool:
        return db.session.scalar(select(StoredFile.sha256).where(StoredFile.sha256 == _digest(sha256))) is not None

    def source(self, sha256: str) -> _DatabaseSource:
        return _DatabaseSource(self, _digest(sha256))

    def digests(self) -> list[str]:
        return list(db.session.scalars(select(StoredFile.sha256).order_by(StoredFile.sha256)))


def _digest(sha256: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise ValueError("not a SHA-256 digest")
    return sha256


def file_store() -> FileStore | DatabaseFileStore:
    """The store of the current application: in the database when it is PostgreSQL (shared by
    every host), on disk under FILES_DIR otherwise."""
    if db.engine.dialect.name == "postgresql":
        return DatabaseFileStore()
    return disk_store()


def disk_store() -> FileStore:
    return FileStore(current_app.extensions["portal.settings"].files_dir)
