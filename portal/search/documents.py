"""What the search engine indexes, and the adapter each published kind provides.

To make a new kind searchable (ratings, commendations, ...), write an adapter beside its feature
and register it in create_app(); the engine does not change:

    class CommendationSearch:
        kind = "commendation"
        label = "红榜"
        def documents(self): ...      # every published item as a SearchDocument
        def url(self, key, external=False): ...  # the public address of one item

    search.register_adapter(app, CommendationSearch())

The feature's services call `search.index_documents([...])` after publishing or correcting and
`search.remove_documents(kind, [key])` after withdrawing, so the index follows at once.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Protocol


@dataclasses.dataclass(frozen=True)
class SearchDocument:
    kind: str  # the adapter's kind, e.g. "disclosure"
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


class SearchAdapter(Protocol):
    kind: str
    label: str  # the kind's name on the page, in Chinese

    def documents(self) -> Iterable[SearchDocument]:
        """Every published item of this kind (for rebuilds)."""

    def url(self, key: str, external: bool = False) -> str:
        """The public address of one item (called during a request)."""
