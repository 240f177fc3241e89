"""Rendered public pages, kept per worker and keyed by the content version.

Public pages only read, and what they read changes only when something is published. So every
publication moves one number in the database on (`content_version`, owned by portal.publication),
and a page rendered under version n is served again, without touching a view or a template,
until the version moves on.
Each request reads that number (one indexed row through the connection pool, a fraction of a
millisecond), so a publication is visible at once in every worker and on every host.

Responses carry an ETag and Last-Modified; a browser that sends If-None-Match gets a 304.

    cache.page(view)       make a public GET view cacheable (only 200 answers are kept)
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request
from sqlalchemy import event

from portal.extensions import db

MAX_BYTES = 32 * 1024 * 1024  # per worker; the least recently used pages go first
# A page is rendered again at least this often even if nothing was published: a safety net for
# a publication whose version bump was lost (a crash between commit and bump).
MAX_AGE_SECONDS = 300
# What a cached answer repeats of the first one (the security headers are added to each anew).
KEPT_HEADERS = {"Content-Type", "Content-Disposition", "Content-Language", "Link", "ETag", "Last-Modified",
                "Cache-Control", "Vary"}


def page(view: Callable) -> Callable:
    """Mark a public view's answers as cacheable: they depend on the content and the URL only."""
    view.page_cache = True
    return view


@dataclasses.dataclass
class _Entry:
    version: int
    stored_at: float
    body: bytes
    headers: list[tuple[str, str]]  # as sent: type, validators, Cache-Control, Vary


class PageCache:
    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self.entries: collections.OrderedDict[tuple, _Entry] = collections.OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def init_app(self, app: Flask) -> None:
        app.extensions["portal.page_cache"] = self
        app.before_request(self.serve)
        app.after_request(self.store)

    # --- the request cycle -----------------------------------------------------------------

    def _key(self) -> tuple | None:
        if request.method not in ("GET", "HEAD") or not self._cacheable_endpoint():
            return None
        # The large-text layout (大字版) is the one thing besides the URL a public page depends on.
        return (request.path, request.query_string, request.cookies.get("text_size") == "large")

    @staticmethod
    def _cacheable_endpoint() -> bool:
        view = current_app.view_functions.get(request.endpoint or "")
        return bool(view is not None and getattr(view, "page_cache", False))

    def serve(self) -> Response | None:
        key = self._key()
        if key is None:
            return None
        version, changed_at = current_version()
        g.page_cache = (key, version, changed_at)
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
        if entry is None or entry.version != version or time.monotonic() - entry.stored_at > MAX_AGE_SECONDS:
            return None
        g.page_cache = None  # served from the cache: nothing to store afterwards
        return _conditional(Response(entry.body, headers=entry.headers))

    def store(self, response: Response) -> Response:
        pending = g.pop("page_cache", None)
        if not pending or response.status_code != 200 or response.is_streamed or "Set-Cookie" in response.headers:
            return response
        key, version, changed_at = pending
        body = response.get_data()
        etag = hashlib.blake2b(body + str(version).encode(), digest_size=12).hexdigest()
        self._validators(response, etag, changed_at)
        headers = [(name, value) for name, value in response.headers.items() if name in KEPT_HEADERS]
        entry = _Entry(version, time.monotonic(), body, headers)
        with self.lock:
            old = self.entries.pop(key, None)
            self.size += len(body) - (len(old.body) if old else 0)
            self.entries[key] = entry
            while self.size > self.max_bytes and self.entries:
                _, evicted = self.entries.popitem(last=False)
                self.size -= len(evicted.body)
        return _conditional(response)

    @staticmethod
    def _validators(response: Response, etag: str, last_modified: dt.datetime | None) -> None:
        response.set_etag(etag)
        if last_modified is not None:
            response.last_modified = last_modified.replace(tzinfo=dt.timezone.utc)
        # Browsers may keep the page but must ask again each time (a 304 costs next to nothing),
        # so a correction or withdrawal is never hidden behind a stale copy.
        response.headers["Cache-Control"] = "no-cache"
        response.vary.add("Cookie")


def _conditional(response: Response) -> Response:
    """304 when the browser's copy is current (skipped when it sent no validator: it is costly)."""
    if request.if_none_match or request.if_modified_since:
        return response.make_conditional(request)
    return response


_VERSION_QUERY = "SELECT number, changed_at FROM content_version WHERE id = 1"


class _VersionReader(threading.local):
    """One database connection per worker thread and engine, kept out of the pool and in
    autocommit, for the one query every cacheable request makes. Through the pool (checkout,
    pre-ping, statement compilation) it cost ~0.3 ms, more than serving the cached page."""

    def __init__(self):
        self.connections: dict[int, object] = {}

    def read(self, engine) -> tuple | None:
        for attempt in (1, 2):
            try:
                connection = self.connections.get(id(engine))
                if connection is None:
                    connection = engine.raw_connection()
                    connection.detach()  # ours for good: the pool opens another for everyone else
                    self.connections[id(engine)] = _autocommit(connection)
                    # Closed with its engine (tests make many; a worker keeps one for its life).
                    event.listen(engine, "engine_disposed", self.close, once=True)
                cursor = connection.cursor()
                try:
                    cursor.execute(_VERSION_QUERY)
                    return cursor.fetchone()
                finally:
                    cursor.close()
            except Exception:  # a dropped connection (database restarted): reconnect once
                self.close(engine)
                if attempt == 2:
                    raise
        return None

    def close(self, engine) -> None:
        connection = self.connections.pop(id(engine), None)
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - already broken; dropping it is all we want
                pass


def _autocommit(connection):
    """Each read sees the latest commit and no transaction is left open between requests."""
    driver = connection.dbapi_connection
    if hasattr(driver, "autocommit"):
        driver.autocommit = True  # psycopg
    else:
        driver.isolation_level = None  # sqlite3
    return connection


_reader = _VersionReader()


def current_version() -> tuple[int, dt.datetime | None]:
    """The content version and the time of the last publication."""
    try:
        row = _reader.read(db.engine)
    except Exception:  # noqa: BLE001 - e.g. the table is missing before `db upgrade`
        return 0, None
    if row is None:
        return 0, None
    changed_at = row[1]
    if isinstance(changed_at, str):  # SQLite keeps datetimes as text
        changed_at = dt.datetime.fromisoformat(changed_at)
    return row[0], changed_at
