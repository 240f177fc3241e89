"""Publication as one event, and the registry of published kinds.

Every kind the portal publishes (disclosures, rating editions, commendations, and later ones)
declares once, in a PublishedKind, what the rest of the portal needs from it: its documents for
search, its public address, its sitemap entries, its panels on the home and department pages,
and its part of content/ (check, import, export). Its feature registers it when the app is built:

    publication.register(app, DisclosureKind())

After a service commits a publication (a new item, a correction, a withdrawal) it calls

    publication.announce("disclosure", changed=[slug])          or removed=[slug]

and does nothing else about it: every listener hears the event here, in the order they were
added (the publication log signs a checkpoint, search re-indexes the items), and the content
version moves on last, so a page rendered after it includes everything the listeners did. No
feature updates search or the page cache by hand.

What must be in the publication's own transaction goes in before the commit: the publication
log's leaf (`publication.log.record(...)`, where the kind writes the item), and later the
outbox of several hosts.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING

from flask import Flask, current_app

from portal.publication.version import bump_content_version
from portal.web import slots

if TYPE_CHECKING:  # search builds on this package, not the other way round
    from portal.search.documents import SearchDocument

__all__ = ["Announcement", "PublishedKind", "announce", "init_app", "kind", "kinds", "listen", "register"]

_KINDS = "portal.publication.kinds"
_LISTENERS = "portal.publication.listeners"


@dataclasses.dataclass(frozen=True)
class Announcement:
    """Items of one kind that were published, corrected (changed) or withdrawn (removed)."""

    kind: str
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


class PublishedKind:
    """What a published kind declares. Subclass it beside the feature and override what applies.

    `name` is the kind's code (the search index's `kind`, the API's `kind`); `label` its name on
    the page. An item has a key (a slug, or "edition/department") unique within the kind.
    """

    name: str = ""
    label: str = ""
    searchable: bool = True  # indexed and offered as a kind on the search page
    # Panels on shared pages (portal.web.slots): lower order first. Each is a method returning
    # (template, context) or None, or left as None when the kind shows nothing there.
    home_section: Callable[[], slots.Section | None] | None = None
    profile_section: Callable[..., slots.Section | None] | None = None
    site_map_section: Callable[[], slots.Section | None] | None = None
    home_order = profile_order = site_map_order = 50
    # Its files in content/ (portal.publication.content.ContentPart), or None.
    content = None
    # True when its published bytes come from the code (rules), not the database: the log's
    # audit records a new release of them instead of reporting it as an edit.
    rules_from_code: bool = False
    # Its two-person review (portal.review.Workflow) and the back-office page of its queue, or
    # None for a kind published only from content/ (itself the reviewed format).
    review = None
    review_queue: str | None = None

    def documents(self, keys: Collection[str] | None = None) -> Iterable[SearchDocument]:
        """The search documents of these items, or of every published item (keys=None). One item
        may give several documents (an edition: its method and each department's result)."""
        return ()

    def url(self, key: str, external: bool = False) -> str:
        """The public address of one item (called during a request)."""
        raise NotImplementedError(f"{type(self).__name__}.url")

    def title(self, key: str) -> str | None:
        """The item's title as its page shows it, for the publication log's table (None: the
        item is gone, or the kind has no titles)."""
        return None

    def published_bytes(self) -> Iterable[tuple[str, int | None, bytes, dt.date]]:
        """(key, version, bytes, date) of every published version the database still holds, as
        the publication log commits to them (its self-audit recomputes these). Version None: the
        kind keeps no versions, the bytes are compared with the item's latest leaf. A version
        whose record cannot be read gives its RecordUnreadable in place of the bytes (the audit
        names it and goes on with the others)."""
        return ()

    def stored_files(self) -> Iterable[tuple[str, str, str]]:
        """(key, file name, SHA-256) of every file in the file store that a published item serves:
        the audit reads each back and names any whose bytes were replaced."""
        return ()

    def downloads(self) -> Iterable[str]:
        """Addresses (paths) the kind promises besides its pages and what they link to — the
        stable download addresses journalists cite — for the static mirror."""
        return ()

    def sitemap(self) -> Iterable[tuple[str, dt.date | None]]:
        """(address, last modified) of every published page of this kind, for /sitemap.xml."""
        for document in self.documents():
            address = self.url(document.key, external=True)
            if "#" not in address:  # a part of a page (a commendation on the honor roll)
                yield address, document.date


def init_app(app: Flask) -> None:
    """The publication feature: the log (its key, its pages, a checkpoint after every
    announcement) and the `content` and `log` commands."""
    from portal.publication import log, views
    from portal.publication.commands import content_cli
    from portal.publication.log_commands import log_cli

    log.init_app(app)
    listen(app, log.sign_after)
    app.register_blueprint(views.bp)
    app.cli.add_command(content_cli)
    app.cli.add_command(log_cli)


def register(app: Flask, published: PublishedKind) -> None:
    app.extensions.setdefault(_KINDS, {})[published.name] = published
    for slot, provider, order in ((slots.HOME, published.home_section, published.home_order),
                                  (slots.PROFILE, published.profile_section, published.profile_order),
                                  (slots.SITE_MAP, published.site_map_section, published.site_map_order)):
        if provider is not None:
            slots.add(app, slot, provider, order)


def kinds(app: Flask | None = None) -> dict[str, PublishedKind]:
    """Every registered kind by name, in the order the features registered them."""
    return (app or current_app).extensions.get(_KINDS, {})


def kind(name: str) -> PublishedKind:
    return kinds()[name]


def listen(app: Flask, listener: Callable[[Announcement], bool | None]) -> None:
    """Hear every announcement. A listener returns False when it could not keep up (search's
    index was locked, say); it must not raise: the publication has been committed and stands."""
    app.extensions.setdefault(_LISTENERS, []).append(listener)


def announce(kind_name: str, changed: Iterable[str] = (), removed: Iterable[str] = ()) -> bool:
    """A publication of `kind_name` was committed: tell every listener, then move the content
    version on. Returns False when a listener could not keep up (see the log)."""
    announcement = Announcement(kind_name, tuple(changed), tuple(removed))
    kept_up = True
    for listener in current_app.extensions.get(_LISTENERS, []):
        kept_up &= listener(announcement) is not False
    bump_content_version()  # last: pages rendered from now on include what the listeners did
    return kept_up
