"""Anonymous reporting (投诉举报): the public form and follow-up (views.py), the report desk's
pages (portal.admin.views.reports), and the rules they share (services.py)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.reports import commands, views
    from portal.web import slots

    app.register_blueprint(views.bp)
    slots.add(app, slots.HOME, views.home_section, order=30)
    slots.add(app, slots.SITE_MAP, lambda: ("reports/_site_map_section.html", {}), order=30)
    app.cli.add_command(commands.reports_cli)
