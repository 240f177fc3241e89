"""Reviewing rating editions submitted from the command line (flask ratings import)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from portal.admin.access import bp, current_staff, requires
from portal.admin.models import Role
from portal.ratings import services


@bp.get("/ratings")
@requires(Role.REVIEWER)
def ratings_queue():
    return render_template("admin/ratings_queue.html", versions=services.submitted_versions())


@bp.get("/ratings/<int:version_id>")
@requires(Role.REVIEWER)
def rating_version(version_id: int):
    try:
        version = services.get_submitted(version_id)
    except services.EditionNotFound:
        abort(404)
    return render_template("admin/rating_version.html", version=version, rows=services.results(version),
                           changes=services.comparability_changes(version))


@bp.post("/ratings/<int:version_id>/review")
@requires(Role.REVIEWER)
def review_rating(version_id: int):
    approve = request.form.get("decision") == "approve"
    try:
        version = services.review_submitted(version_id, current_staff(), approve, request.form.get("comment", ""))
    except services.EditionNotFound:
        abort(404)
    except services.RatingsError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.rating_version", version_id=version_id), 303)
    if approve:
        flash("评价结果已发布。", "success")
        return redirect(url_for("ratings.edition", edition=version.edition.slug), 303)
    flash("已退回。", "success")
    return redirect(url_for("admin.ratings_queue"), 303)
