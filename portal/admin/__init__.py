"""The back office (/admin/): sign-in, account management, review-and-publish and the audit
log's pages, the access rules every page declares, and the `users` commands. Its pages are
thin; the rules live below it, in portal.staff (accounts, audit) and the features' services."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.admin import views  # noqa: F401  (registers the routes on the blueprint)
    from portal.admin.access import bp
    from portal.admin.commands import users_cli
    from portal.staff.models import Role

    app.register_blueprint(bp)
    app.cli.add_command(users_cli)

    @app.context_processor
    def roles_in_templates() -> dict:
        return {"Role": Role}
