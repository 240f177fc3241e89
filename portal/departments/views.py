"""A department's public profile. The features that publish about departments (disclosures,
ratings, commendations, warnings) add their sections to it (portal.web.slots.PROFILE)."""
from flask import Blueprint, abort, render_template

from portal.departments import services
from portal.web import slots
from portal.web.page_cache import page as cached_page

bp = Blueprint("departments", __name__)


@bp.get("/departments/<slug>")
@cached_page
def profile(slug: str):
    try:
        department = services.get_department(slug)
    except services.DepartmentNotFound:
        abort(404)
    return render_template("departments/profile.html", department=department,
                           sections=slots.fill(slots.PROFILE, department))
