"""Pages that belong to no feature: home, housekeeping, the text-size preference."""
from __future__ import annotations


from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from sqlalchemy import text

from portal.departments.services import list_departments
from portal.disclosures.services import latest_disclosures
from portal.extensions import db
from portal.web import NAVIGATION
from portal.web.page_cache import page as cached_page
from portal.web.redirects import local_target

bp = Blueprint("web", __name__)


@bp.get("/")
@cached_page
def home():
    # Features add their panels (ratings: the latest edition and the honor roll) through
    # register_home_section(), so that this page does not need to know them.
    sections = [section for provider in current_app.extensions.get(HOME_SECTIONS, [])
                if (section := provider()) is not None]
    return render_template(
        "web/home.html", latest=latest_disclosures(8), departments=list_departments(), sections=sections
    )


HOME_SECTIONS = "portal.web.home_sections"


def register_home_section(app, provider) -> None:
    """`provider()` returns (template name, context) or None; panels appear in order."""
    app.extensions.setdefault(HOME_SECTIONS, []).append(provider)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy", and the body says which part
        current_app.logger.exception("health check: database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/robots.txt")
@cached_page
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /report/",
        f"Sitemap: {url_for('web.sitemap', _external=True)}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/sitemap.xml")
@cached_page
def sitemap():
    from portal import search

    # Everything published, of every kind, through the search adapters that already know
    # each item's address and date.
    items = [(url, document.date)
             for adapter in search.adapters().values() for document in adapter.documents()
             if "#" not in (url := adapter.url(document.key, external=True))]  # not parts of a page
    # /report/ is kept out of search engines (robots.txt), so it is not offered to them here either.
    pages = [url_for(endpoint, _external=True) for endpoint, _ in NAVIGATION
             if endpoint in current_app.view_functions and not endpoint.startswith("reports.")]
    xml = render_template("web/sitemap.xml", pages=pages, items=items, departments=list_departments())
    return Response(xml, mimetype="application/xml")


@bp.get("/site-map")
@cached_page
def site_map():
    from portal.ratings import services as ratings

    return render_template("web/site_map.html", departments=list_departments(), editions=ratings.editions_latest_first())


@bp.get("/privacy")
@cached_page
def privacy():
    return render_template("web/privacy.html")


@bp.get("/display")
def display():
    """Switch 大字版 (larger text) on or off without JavaScript: a link sets a cookie."""
    size = "large" if request.args.get("size") == "large" else "normal"
    response = redirect(_local_path(request.args.get("next")))
    response.set_cookie(
        "text_size", size, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
        secure=current_app.extensions["portal.settings"].https,
    )
    return response


def _local_path(target: str | None) -> str:
    """Only a path on this site: `next` must not become an open redirect."""
    return local_target(target, url_for("web.home"))
