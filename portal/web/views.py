"""Pages that belong to no feature: home, housekeeping, the text-size preference."""
from __future__ import annotations


from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from sqlalchemy import text

from portal import publication
from portal.departments.services import list_departments
from portal.extensions import db
from portal.search import follower
from portal.web import NAVIGATION, slots
from portal.web.page_cache import page as cached_page
from portal.web.redirects import local_target

bp = Blueprint("web", __name__)


@bp.get("/")
@cached_page
def home():
    # The features' panels (latest disclosures, ratings and the honor roll, the report entry)
    # come from the home slot, so that this page does not need to know them.
    return render_template("web/home.html", departments=list_departments(), sections=slots.fill(slots.HOME))


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy", and the body says which part
        current_app.logger.exception("health check: database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    # How far this host's search index is behind the publication log (pending entries; None
    # when no follower has run here: the index is then written by the requests themselves).
    return {"status": "ok", "database": "ok", "search": follower.lag()}


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
    # Everything published, of every kind: each kind knows its pages' addresses and dates.
    items = [item for published in publication.kinds().values() for item in published.sitemap()]
    # /report/ is kept out of search engines (robots.txt), so it is not offered to them here either.
    pages = [url_for(endpoint, _external=True) for endpoint, _ in NAVIGATION
             if endpoint in current_app.view_functions and not endpoint.startswith("reports.")]
    xml = render_template("web/sitemap.xml", pages=pages, items=items)
    return Response(xml, mimetype="application/xml")


@bp.get("/site-map")
@cached_page
def site_map():
    return render_template("web/site_map.html", sections=slots.fill(slots.SITE_MAP))


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
