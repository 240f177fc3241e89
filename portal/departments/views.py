"""A department's public profile. Ratings, commendations and warnings join it as they land."""
from flask import Blueprint, abort, current_app, render_template

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
    # Other features add their sections (ratings: history, commendations, warnings) without
    # this feature knowing them: see register_profile_section().
    sections = [section for provider in current_app.extensions.get(SECTIONS_KEY, [])
                if (section := provider(department)) is not None]
    return render_template("departments/profile.html", department=department, disclosures=disclosures,
                           sections=sections)


SECTIONS_KEY = "portal.departments.profile_sections"


def register_profile_section(app, provider) -> None:
    """`provider(department)` returns (template name, context) or None; shown in order."""
    app.extensions.setdefault(SECTIONS_KEY, []).append(provider)
