"""政务诚信公开平台: the public transparency portal of 梅州市应急管理局's integrity programme."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, has_request_context, request
from werkzeug.routing import RequestRedirect

from portal.config import Settings
from portal.extensions import csrf, db, limiter, migrate
from portal.web.proxies import TrustedProxies


class Portal(Flask):
    """Flask, with absolute URLs built from the configured public base URL.

    `url_for(..., _external=True)` would otherwise take the scheme and host from the request, so
    one request with a forged Host header could put an attacker's domain into a cached feed or
    sitemap for every later visitor (SECURITY.md, "Every page")."""

    def url_for(self, endpoint: str, *, _anchor: str | None = None, _method: str | None = None,
                _scheme: str | None = None, _external: bool | None = None, **values) -> str:
        path = super().url_for(endpoint, _anchor=_anchor, _method=_method, _external=False, **values)
        if not _external:
            return path
        root = request.script_root if has_request_context() else ""
        if root and path.startswith(root):
            path = path[len(root):]
        return self.extensions["portal.settings"].public_base_url + path

    def raise_routing_exception(self, request):
        """A slash redirect (/ratings → /ratings/) goes to the public base URL: Werkzeug would
        build it from the request's scheme and host, which a client can choose."""
        try:
            super().raise_routing_exception(request)
        except RequestRedirect as redirect:
            target = urlsplit(redirect.new_url)
            root = request.script_root
            path = target.path[len(root):] if root and target.path.startswith(root) else target.path
            base = self.extensions["portal.settings"].public_base_url
            raise RequestRedirect(base + path + (f"?{target.query}" if target.query else "")) from None


def create_app(config: Settings | Mapping | None = None) -> Flask:
    """Build the application: settings → extensions → features (pages, kinds, commands).

    `config` is a Settings, a mapping of Settings field overrides (for tests), or None to read
    the environment.
    """
    settings = _settings(config)
    app = Portal(__name__)
    app.config.from_mapping(settings.flask_config())
    app.extensions["portal.settings"] = settings
    if settings.trusted_proxies:
        # The client's address and scheme as the proxies in front say (each trusted hop is one),
        # believed only on a connection from TRUSTED_PROXY_NETWORKS.
        app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies, settings.trusted_proxy_networks)

    register_extensions(app, settings)
    register_features(app)
    from portal import backup, metrics, mirror
    from portal.files import commands as files_commands

    metrics.init_app(app)
    app.cli.add_command(backup.backup_cli)
    app.cli.add_command(files_commands.files_cli)
    app.cli.add_command(mirror.mirror_cli)
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


# The features, in the order their parts appear and their content/ files are read: a kind
# comes after the kinds it refers to. Adding a feature (a published kind) is one line here.
FEATURES = ("publication", "web", "admin", "departments", "disclosures", "search", "ratings", "reports",
            "applications")


def register_features(app: Flask) -> None:
    import importlib

    for name in FEATURES:
        importlib.import_module(f"portal.{name}").init_app(app)
