"""Applications for government information (依申请公开): the public form and status page
(views.py), the desk's pages (portal.admin.views.applications), the law's clock (clock.py), fees
(fees.py), the Art. 36 answers (answers.py) and the annual report's table (annual.py)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.applications import commands, views
    from portal.web import slots

    app.register_blueprint(views.bp)
    slots.add(app, slots.SITE_MAP, lambda: ("applications/_site_map_section.html", {}), order=35)
    app.cli.add_command(commands.requests_cli)
