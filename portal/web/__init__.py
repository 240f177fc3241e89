"""What every page shares: layout, navigation, error pages, security headers, safe Markdown."""
from __future__ import annotations

from flask import Flask

from portal.web import errors, slots
from portal.web.markdown import render_markdown
from portal.web.page_cache import PageCache
from portal.web.redirects import is_site_path
from portal.web.requests import InMemoryUploadsRequest, refuse_nul_bytes
from portal.web.sessions import CookieOnDemandSessionInterface
from portal.web.security import init_security_headers

# The main navigation (UI.md). An entry shows once its feature's endpoint exists, so the
# header never links to a page that is not built yet.
NAVIGATION = [
    ("web.home", "首页"),
    ("disclosures.catalogue", "政府信息公开"),
    ("ratings.latest", "诚信评价"),
    ("ratings.honor_roll", "红榜"),
    ("ratings.warnings", "风险预警"),
    ("reports.form", "我要举报"),
]
TEXT_SIZE_COOKIE = "text_size"


def init_app(app: Flask) -> None:
    from portal.web import views  # imported here: its pages read the registry, which uses web's helpers

    app.register_blueprint(views.bp)
    slots.add(app, slots.SITE_MAP, lambda: ("web/_site_map_section.html", {}), order=80)
    app.request_class = InMemoryUploadsRequest
    app.before_request(refuse_nul_bytes)  # before the page cache and every view
    PageCache().init_app(app)
    app.session_interface = CookieOnDemandSessionInterface()
    errors.init_error_pages(app)
    init_security_headers(app)
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["date"] = lambda value: value.strftime("%Y-%m-%d") if value else ""
    app.jinja_env.filters["filesize"] = _filesize
    app.jinja_env.tests["site_path"] = is_site_path

    @app.context_processor
    def layout_context() -> dict:
        from flask import request

        # This page's path for links back to it (大字版) and the print-out's address; a reporting
        # page's query string is never echoed.
        here = request.path if request.blueprint == "reports" else request.full_path.rstrip("?")

        return {
            "navigation": [(endpoint, label) for endpoint, label in NAVIGATION if endpoint in app.view_functions],
            "search_available": "search.results" in app.view_functions,
            "large_text": request.cookies.get(TEXT_SIZE_COOKIE) == "large",
            "site": app.extensions["portal.settings"].site_identity,
            "here": here,
            # The page's canonical address, for the print-out (never the request's own host).
            "page_address": app.extensions["portal.settings"].public_base_url + here,
        }


def _filesize(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"
