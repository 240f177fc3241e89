"""Anonymous reporting (投诉举报): the public form and follow-up (views.py), the report desk's
pages (portal.admin.views.reports), and the rules they share (services.py)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.reports import commands, views
    from portal.web.views import register_home_section

    app.register_blueprint(views.bp)
    register_home_section(app, views.home_section)
    app.cli.add_command(commands.reports_cli)
