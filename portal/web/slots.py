"""Places on shared pages that features fill: the home page's panels, a department profile's
sections, the site map's groups.

A page that belongs to no feature (home, site map) or to a lower floor (a department's profile)
must not import the features it shows, so each feature puts its part in a slot when the app is
built, and the page renders what the slot holds:

    slots.add(app, slots.HOME, provider, order=20)     provider() -> (template, context) or None
    slots.fill(slots.HOME)                              [(template, context), ...] in order

A provider returns None when it has nothing to show (no rating published yet, say).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app

HOME = "home"  # provider() — a panel of the home page
PROFILE = "profile"  # provider(department) — a section of /departments/<slug>
SITE_MAP = "site_map"  # provider() — a group of links on /site-map

Section = tuple[str, dict]  # (template to include, its context)
_KEY = "portal.web.slots"


def add(app: Flask, slot: str, provider: Callable[..., Section | None], order: int = 50) -> None:
    """Put `provider` in `slot`; lower `order` first, then in the order features were added."""
    providers = app.extensions.setdefault(_KEY, {}).setdefault(slot, [])
    providers.append((order, len(providers), provider))
    providers.sort(key=lambda entry: entry[:2])


def fill(slot: str, *args) -> list[Section]:
    """What the slot's providers show for this request. A provider whose record cannot be read
    as published shows a notice in its place; the rest of the page is unaffected."""
    from portal.web.errors import RecordUnreadable

    sections = []
    for _, _, provider in current_app.extensions.get(_KEY, {}).get(slot, []):
        try:
            section = provider(*args)
        except RecordUnreadable as exc:
            current_app.logger.error("a page section's record cannot be read: %s", exc)
            section = ("web/_unreadable_section.html", {"message": RecordUnreadable.public_message})
        if section is not None:
            sections.append(section)
    return sections
