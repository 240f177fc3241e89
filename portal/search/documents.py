"""What the search engine indexes: one SearchDocument per searchable thing (an item, or a part
of one). Each published kind (portal.publication.PublishedKind) makes them from its items."""
from __future__ import annotations

import dataclasses
import datetime as dt


@dataclasses.dataclass(frozen=True)
class SearchDocument:
    kind: str  # the published kind's name, e.g. "disclosure"
    key: str  # unique within the kind, e.g. the slug
    title: str
    body: str  # plain text: what the snippet is cut from
    date: dt.date  # the date results are sorted by and grouped into years
    doc_no: str = ""  # 文号, searchable by its parts
    departments: tuple[tuple[str, str], ...] = ()  # (slug, name) of each responsible department

    @property
    def id(self) -> str:
        return document_id(self.kind, self.key)


def document_id(kind: str, key: str) -> str:
    return f"{kind}:{key}"
