"""Chinese full-text search: the only feature that touches the Whoosh index.

The interface the rest of the portal uses:

    register_adapter(app, adapter)          make a published kind searchable (see documents.py)
    index_documents(documents)              add or replace items, at once, after publishing
    rebuild_kinds(kinds)                    re-index every item of some kinds (after an import)
    remove_documents(kind, keys)            drop withdrawn items
    rebuild()                               rebuild everything from the database
    run_search(request) -> SearchResults    query (raises SearchUnavailable)

The database is the source of truth; the index is a cache that `flask search rebuild` recreates.
"""
from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable

from flask import Flask, current_app

from portal.search.documents import SearchAdapter, SearchDocument, document_id
from portal.search.engine import SearchIndex, SearchIndexMissing, SearchRequest, SearchResults, SearchUnavailable

__all__ = [
    "SearchAdapter", "SearchDocument", "SearchRequest", "SearchResults", "SearchUnavailable",
    "adapters", "index_documents", "init_app", "rebuild", "rebuild_kinds", "register_adapter", "remove_documents",
    "run_search", "search_index",
]
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    from portal.search import commands, views

    app.extensions["portal.search.adapters"] = {}
    app.register_blueprint(views.bp)
    app.cli.add_command(commands.search_cli)


def register_adapter(app: Flask, adapter: SearchAdapter) -> None:
    app.extensions["portal.search.adapters"][adapter.kind] = adapter


def adapters() -> dict[str, SearchAdapter]:
    return current_app.extensions["portal.search.adapters"]


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


def rebuild_kinds(kinds: Iterable[str]) -> bool:
    """Re-index every published item of these kinds (after an import changed some of them)."""
    registered = adapters()
    return index_documents(itertools.chain.from_iterable(
        registered[kind].documents() for kind in kinds if kind in registered
    ))


def rebuild(processes: int = 1) -> int:
    documents = itertools.chain.from_iterable(adapter.documents() for adapter in adapters().values())
    return search_index().rebuild(documents, processes=processes)


def run_search(request: SearchRequest) -> SearchResults:
    return search_index().search(request)
