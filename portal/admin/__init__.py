"""The back office (/admin/): staff accounts and roles, two-factor login, review-and-publish,
and the audit log. Its pages are thin; the rules live in accounts.py, audit.py and the features'
services (portal.disclosures.publishing)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.admin import views  # noqa: F401  (registers the routes on the blueprint)
    from portal.admin.access import bp
    from portal.admin.commands import users_cli
    from portal.admin.models import Role

    app.register_blueprint(bp)
    app.cli.add_command(users_cli)

    @app.context_processor
    def roles_in_templates() -> dict:
        return {"Role": Role}
