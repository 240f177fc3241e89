"""政务诚信公开平台: the public transparency portal of 梅州市应急管理局's integrity programme."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from portal.config import Settings
from portal.extensions import csrf, db, limiter, migrate


def create_app(config: Settings | Mapping | None = None) -> Flask:
    """Build the application: settings → extensions → blueprints → error pages → commands.

    `config` is a Settings, a mapping of Settings field overrides (for tests), or None to read
    the environment.
    """
    settings = _settings(config)
    app = Flask(__name__)
    app.config.from_mapping(settings.flask_config())
    app.extensions["portal.settings"] = settings

    register_extensions(app, settings)
    register_blueprints(app)
    register_commands(app)
    return app


def _settings(config: Settings | Mapping | None) -> Settings:
    if isinstance(config, Settings):
        return config.finalised()
    base = Settings.from_env()
    if config:
        base = dataclasses.replace(base, **dict(config))
    return base.finalised()


def register_extensions(app: Flask, settings: Settings) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    from portal import admin, departments, disclosures, ratings, reports, search, web
    from portal.departments.views import register_profile_section
    from portal.web.views import register_home_section
    from portal.disclosures.search import DisclosureSearch
    from portal.ratings.search import CommendationSearch, RatingSearch

    web.init_app(app)
    admin.init_app(app)
    app.register_blueprint(departments.views.bp)
    app.register_blueprint(disclosures.views.bp)
    search.init_app(app)
    app.register_blueprint(ratings.views.bp)
    register_profile_section(app, ratings.views.department_section)
    register_home_section(app, ratings.views.home_section)
    reports.init_app(app)
    search.register_adapter(app, DisclosureSearch())
    search.register_adapter(app, RatingSearch())
    search.register_adapter(app, CommendationSearch())


def register_commands(app: Flask) -> None:
    from portal.content.commands import content_cli
    from portal.ratings.commands import ratings_cli

    app.cli.add_command(content_cli)
    app.cli.add_command(ratings_cli)
