"""Chinese full-text search: the only feature that touches the Whoosh index.

What it indexes comes from the published kinds (portal.publication): each kind's documents()
for a rebuild, and the items an announcement names after each publication. The interface:

    index_documents(documents)              add or replace items now
    remove_documents(kind, keys)            drop withdrawn items
    rebuild()                               rebuild everything from the database
    run_search(request) -> SearchResults    query (raises SearchUnavailable)
    searchable_kinds()                      the kinds offered on the search page

The database is the source of truth; the index is a cache that `flask search rebuild` recreates.
"""
from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable

from flask import Flask, current_app

from portal import publication
from portal.search.documents import SearchDocument, document_id
from portal.search.engine import SearchIndex, SearchIndexMissing, SearchRequest, SearchResults, SearchUnavailable

__all__ = [
    "SearchDocument", "SearchRequest", "SearchResults", "SearchUnavailable",
    "index_documents", "init_app", "rebuild", "remove_documents", "run_search", "search_index", "searchable_kinds",
]
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    from portal.search import commands, views

    app.register_blueprint(views.bp)
    app.cli.add_command(commands.search_cli)
    publication.listen(app, _follow)


def _follow(announcement: publication.Announcement) -> bool:
    """Keep the index in step with a publication: the changed items re-indexed, the removed dropped.
    With SEARCH_FOLLOWER on (several hosts), the request leaves the index alone: this host's
    `flask search follow` process applies the publication log instead (portal.search.follower)."""
    if current_app.extensions["portal.settings"].search_follower:
        return True
    if not publication.kind(announcement.kind).searchable:
        return True
    kept_up = True
    if announcement.changed:
        kept_up &= index_documents(publication.kind(announcement.kind).documents(announcement.changed))
    if announcement.removed:
        kept_up &= remove_documents(announcement.kind, announcement.removed)
    return kept_up


def searchable_kinds() -> dict[str, publication.PublishedKind]:
    return {name: kind for name, kind in publication.kinds().items() if kind.searchable}


def search_index() -> SearchIndex:
    return SearchIndex(current_app.extensions["portal.settings"].search_index_dir)


def index_documents(documents: Iterable[SearchDocument]) -> bool:
    """Put published items in the index now. A failure is logged, never raised: the database
    write has happened and must stand; `flask search rebuild` brings the index back in line."""
    return _write(lambda index: index.update(documents=documents))


def remove_documents(kind: str, keys: Iterable[str]) -> bool:
    ids = [document_id(kind, key) for key in keys]
    return _write(lambda index: index.update(removed_ids=ids))


def _write(operation) -> bool:
    try:
        try:
            operation(search_index())
        except SearchIndexMissing:
            rebuild()  # the first publication, or a lost index: build it whole from the database
    except SearchUnavailable as exc:  # locked or unreadable, the rebuild included
        log.warning("search index not updated (%s); run `flask --app wsgi search rebuild`", exc)
        return False
    return True


def rebuild(processes: int = 1) -> int:
    documents = itertools.chain.from_iterable(kind.documents() for kind in searchable_kinds().values())
    return search_index().rebuild(documents, processes=processes)


def run_search(request: SearchRequest) -> SearchResults:
    return search_index().search(request)
