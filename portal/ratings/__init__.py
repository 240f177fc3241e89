"""Integrity ratings (诚信评价), the honor roll (红榜) and risk warnings (风险预警)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal import publication
    from portal.ratings import commands, views
    from portal.ratings.kind import CommendationKind, RatingKind, WarningRulesKind

    app.register_blueprint(views.bp)
    app.cli.add_command(commands.ratings_cli)
    publication.register(app, RatingKind())
    publication.register(app, CommendationKind())
    publication.register(app, WarningRulesKind())
