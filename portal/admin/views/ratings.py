"""Reviewing rating editions submitted from the command line (flask ratings import)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from portal.admin.access import bp, current_staff, requires
from portal.ratings import services
from portal.review import STATE_LABELS, ReviewRefused
from portal.staff.models import Role


@bp.get("/ratings")
@requires(Role.REVIEWER, Role.EDITOR)
def ratings_queue():
    return render_template("admin/ratings_queue.html", versions=services.submitted_versions())


@bp.route("/ratings/upload", methods=["GET", "POST"])
@requires(Role.EDITOR)
def upload_rating():
    """The evaluator's delivery as two files; checked like `flask ratings import`, then submitted
    for a reviewer's approval."""
    if request.method == "GET":
        return render_template("admin/rating_upload.html")
    edition, sheet = request.files.get("edition"), request.files.get("sheet")
    if not edition or not edition.filename or not sheet or not sheet.filename:
        return render_template("admin/rating_upload.html", message="请选择评价说明（YAML）和评分表（CSV）两个文件。"), 400
    try:
        version = services.submit_upload(
            edition.read(services.MAX_UPLOAD_BYTES + 1), sheet.read(services.MAX_UPLOAD_BYTES + 1), current_staff())
    except services.DeliveryProblems as exc:
        return render_template("admin/rating_upload.html", problems=exc.problems,
                               message="文件有误，未导入任何数据："), 400
    except services.RatingsError as exc:
        return render_template("admin/rating_upload.html", message=str(exc)), 400
    if version is None:
        flash("与已发布的版本完全相同，无需导入。", "info")
        return redirect(url_for("admin.ratings_queue"), 303)
    flash(f"已提交审核：{version.title}（第 {version.number} 版）。", "success")
    return redirect(url_for("admin.rating_version", version_id=version.id), 303)


@bp.get("/ratings/<int:version_id>")
@requires(Role.REVIEWER)
def rating_version(version_id: int):
    try:
        version = services.get_submitted(version_id)
    except services.EditionNotFound:
        abort(404)
    return render_template("admin/rating_version.html", version=version, rows=services.results(version),
                           changes=services.comparability_changes(version), review_states=STATE_LABELS)


@bp.post("/ratings/<int:version_id>/review")
@requires(Role.REVIEWER)
def review_rating(version_id: int):
    approve = request.form.get("decision") == "approve"
    try:
        version = services.review_submitted(version_id, current_staff(), approve, request.form.get("comment", ""))
    except services.EditionNotFound:
        abort(404)
    except (services.RatingsError, ReviewRefused) as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.rating_version", version_id=version_id), 303)
    if approve:
        flash("评价结果已发布。", "success")
        return redirect(url_for("ratings.edition", edition=version.edition.slug), 303)
    flash("已退回。", "success")
    return redirect(url_for("admin.ratings_queue"), 303)
