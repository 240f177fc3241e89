"""Typed records read from content/ files: what a file says, before it touches the database.

content/README.md is the contract these classes implement; change both together.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

DISCLOSURE_MODES = {"主动公开": "proactive", "依申请公开": "on_request"}
VALIDITIES = {"有效": "valid", "失效": "expired", "废止": "repealed"}


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with a content file, printed as `path:line: message`."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclasses.dataclass(frozen=True)
class DepartmentRecord:
    slug: str
    name: str
    description: str = ""
    position: int = 0


@dataclasses.dataclass(frozen=True)
class AttachmentRecord:
    title: str
    filename: str
    source: Path  # where the bytes are on disk when read from content/


@dataclasses.dataclass(frozen=True)
class DisclosureRecord:
    slug: str
    title: str
    index_no: str
    publisher: str
    published_on: dt.date
    topic: str
    disclosure_mode: str  # a key of DISCLOSURE_MODES' values: proactive | on_request
    body: str
    doc_no: str | None = None
    written_on: dt.date | None = None
    validity: str = "valid"
    departments: tuple[str, ...] = ()
    attachments: tuple[AttachmentRecord, ...] = ()
    demo: bool = False
