"""Government information disclosures (政府信息公开): the published documents and their metadata."""
from __future__ import annotations

from flask import Flask

KIND = "disclosure"  # the published kind's name (search, the API, announcements)


def init_app(app: Flask) -> None:
    from portal import publication
    from portal.disclosures import views
    from portal.disclosures.kind import DisclosureKind

    app.register_blueprint(views.bp)
    publication.register(app, DisclosureKind())
