"""Encrypted report files: the one owner of their bytes.

The store only ever receives ciphertext (portal.reports encrypts before it writes) and names each
file itself with a random name (a reporter's file name never reaches storage).

The bytes live in the database, in the same transaction as the report that refers to them. Two
promises need that: a report is stored whole or not at all (no file without its row, no row
without its file, whatever fails), and no trace is finer than the day (a file on disk carries an
inode change time to the nanosecond that user space cannot set, and its folder's modification
time moves with every report). A database row carries no time; every host sharing the database
reads the same files.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

from sqlalchemy import LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

_NAME_RE = re.compile(r"[0-9a-f]{32}")


class SealedFile(db.Model):
    __tablename__ = "sealed_files"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


def _checked(name: str) -> str:
    if not _NAME_RE.fullmatch(name or ""):
        raise ValueError("not a stored file name")
    return name


class SealedFileStore:
    """Put, read and delete ciphertexts by name, inside the caller's transaction."""

    def put(self, ciphertext: bytes) -> str:
        """Store `ciphertext` under a new random name (committed with the caller's transaction)."""
        name = secrets.token_hex(16)
        db.session.add(SealedFile(name=name, data=ciphertext))
        return name

    def read(self, name: str) -> bytes:
        data = db.session.scalar(select(SealedFile.data).where(SealedFile.name == _checked(name)))
        if data is None:
            raise FileNotFoundError(name)
        return data

    def delete(self, names: Iterable[str]) -> None:
        names = [_checked(name) for name in names]
        if names:
            db.session.execute(delete(SealedFile).where(SealedFile.name.in_(names)))

    def sweep(self, keep: set[str]) -> int:
        """Delete stored files no record refers to. Returns how many were deleted."""
        orphans = [name for name in db.session.scalars(select(SealedFile.name)) if name not in keep]
        for start in range(0, len(orphans), 500):
            self.delete(orphans[start:start + 500])
        return len(orphans)


def sealed_file_store() -> SealedFileStore:
    return SealedFileStore()
