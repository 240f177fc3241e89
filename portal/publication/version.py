"""The content version: the number of publications so far, and when the last one happened.

One row. Every announcement moves it on (portal.publication.announce); the page cache
(portal.web.page_cache) serves a page rendered under version n until it moves, so a publication
is visible at once in every worker and on every host.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class ContentVersion(db.Model):
    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)


def bump_content_version() -> None:
    """Move the content version on and commit: every cached page is stale from this moment."""
    now = utcnow()
    changed = db.session.execute(
        update(ContentVersion).where(ContentVersion.id == 1)
        .values(number=ContentVersion.number + 1, changed_at=now)
    ).rowcount
    if not changed:
        try:
            with db.session.begin_nested():
                db.session.add(ContentVersion(id=1, number=1, changed_at=now))
        except IntegrityError:  # another worker created the row first
            db.session.execute(update(ContentVersion).where(ContentVersion.id == 1)
                               .values(number=ContentVersion.number + 1, changed_at=now))
    db.session.commit()
