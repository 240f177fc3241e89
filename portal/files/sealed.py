"""Encrypted report files: the one owner of their bytes on disk.

The store only ever receives ciphertext (portal.reports encrypts before it writes), names each
file itself with a random name (a reporter's file name never reaches the file system), and keeps
the files under REPORT_FILES_DIR, outside any static folder.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from flask import current_app

_NAME_RE = re.compile(r"[0-9a-f]{32}")


class SealedFileStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if not _NAME_RE.fullmatch(name):
            raise ValueError("not a stored file name")
        return self.root / name

    def put(self, ciphertext: bytes) -> str:
        """Store `ciphertext` under a new random name and return the name."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = secrets.token_hex(16)
        # Written aside, then renamed: a reader never sees half a file, and a write that dies
        # leaves only a ".incoming-" file that sweep() removes.
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(ciphertext)
        # Times are kept to the day: the file's access and modification times say midnight.
        # (The inode's change time cannot be set from user space; sweep() relies on it.)
        midnight = time.mktime(dt.date.today().timetuple())
        os.utime(tmp, (midnight, midnight))
        os.replace(tmp, self._path(name))
        return name

    def read(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def sweep(self, keep: set[str], older_than_seconds: float = 3600) -> int:
        """Delete files no record refers to (an interrupted write), if older than an hour so that
        a request still in flight keeps its files. Returns how many were deleted."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self.root.iterdir():
            if path.name in keep or not path.is_file() or path.stat().st_ctime > cutoff:
                continue
            path.unlink(missing_ok=True)
            removed += 1
        return removed


def sealed_file_store() -> SealedFileStore:
    return SealedFileStore(current_app.extensions["portal.settings"].report_files_dir)
