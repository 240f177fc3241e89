"""A department's public profile. Ratings, commendations and warnings join it as they land."""
from flask import Blueprint, abort, render_template

from portal.departments import services
from portal.disclosures.services import CatalogueQuery, list_disclosures
from portal.web.page_cache import page as cached_page

bp = Blueprint("departments", __name__)


@bp.get("/departments/<slug>")
@cached_page
def profile(slug: str):
    try:
        department = services.get_department(slug)
    except services.DepartmentNotFound:
        abort(404)
    disclosures = list_disclosures(CatalogueQuery(department=slug), per_page=10)
    return render_template("departments/profile.html", department=department, disclosures=disclosures)
