"""Review and publish: thin views over portal.disclosures.publishing, which holds every rule."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from portal.admin.access import bp, current_staff, requires
from portal.admin.views.forms import submitted_version
from portal.staff.models import Role
from portal.disclosures.vocabulary import DISCLOSURE_MODES, VALIDITIES
from portal.departments.services import list_departments
from portal.disclosures import publishing, services
from portal.disclosures.publishing import PublishingError
from portal.files import file_store


def _draft_or_404(draft_id: int):
    try:
        draft = publishing.get_draft(draft_id)
    except publishing.DraftNotFound:
        abort(404)
    if not publishing.may_read(draft, current_staff()):
        abort(404)  # another editor's draft is not shown, not even as "forbidden"
    return draft


def _form_page(draft, form, error: PublishingError | None = None, preview: bool = False):
    return render_template(
        "admin/draft_form.html", draft=draft, form=form, preview=preview,
        errors=error.errors if error else {}, message=error.message if error else None,
        departments=list_departments(), modes=list(DISCLOSURE_MODES), validities=list(VALIDITIES),
    ), (error.status if error else 200)


def _submitted_form() -> dict:
    form = request.form.to_dict()
    form["departments"] = request.form.getlist("departments")
    return form


@bp.get("/drafts")
@requires(Role.EDITOR, Role.REVIEWER)
def drafts():
    staff = current_staff()
    return render_template(
        "admin/drafts.html",
        mine=publishing.drafts_by(staff) if staff.has_role(Role.EDITOR) else [],
        awaiting=publishing.drafts_awaiting_review() if staff.has_role(Role.REVIEWER) else [],
    )


@bp.route("/drafts/new", methods=["GET", "POST"])
@requires(Role.EDITOR)
def new_draft():
    if request.method == "GET":
        return _form_page(None, publishing.draft_form_values(None))
    form = _submitted_form()
    if "preview" in request.form:
        return _form_page(None, form, preview=True)
    try:
        draft = publishing.create_draft(form, current_staff())
    except PublishingError as exc:
        return _form_page(None, form, exc)
    flash("草稿已保存。", "success")
    return redirect(url_for("admin.draft", draft_id=draft.id))


@bp.get("/drafts/<int:draft_id>")
@requires(Role.EDITOR, Role.REVIEWER)
def draft(draft_id: int):
    return render_template("admin/draft.html", draft=_draft_or_404(draft_id),
                           department_names={d.slug: d.name for d in list_departments()})


@bp.route("/drafts/<int:draft_id>/edit", methods=["GET", "POST"])
@requires(Role.EDITOR)
def edit_draft(draft_id: int):
    draft = _draft_or_404(draft_id)
    if request.method == "GET":
        return _form_page(draft, publishing.draft_form_values(draft))
    form = _submitted_form()
    if "preview" in request.form:
        return _form_page(draft, form, preview=True)
    try:
        publishing.save_draft(draft.id, form, current_staff(), submitted_version())
    except PublishingError as exc:
        return _form_page(draft, form, exc)
    flash("草稿已保存。", "success")
    return redirect(url_for("admin.draft", draft_id=draft.id))


def _after(action, draft_id: int, success: str, target: str = "admin.draft"):
    """Run a publishing action; on refusal show the draft again with the reason."""
    try:
        result = action()
    except PublishingError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.draft", draft_id=draft_id), 303)
    flash(success, "success")
    if target == "public":
        return redirect(url_for("disclosures.detail", slug=result.slug), 303)
    return redirect(url_for(target, draft_id=draft_id), 303)


@bp.post("/drafts/<int:draft_id>/attachments")
@requires(Role.EDITOR)
def add_attachment(draft_id: int):
    draft = _draft_or_404(draft_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要上传的文件。", "error")
        return redirect(url_for("admin.draft", draft_id=draft.id))
    data = upload.read(publishing.MAX_UPLOAD_BYTES + 1)
    return _after(
        lambda: publishing.add_attachment(draft.id, upload.filename, data, request.form.get("title", ""),
                                          current_staff(), submitted_version(), file_store()),
        draft.id, "附件已上传。",
    )


@bp.post("/drafts/<int:draft_id>/attachments/<int:attachment_id>/delete")
@requires(Role.EDITOR)
def remove_attachment(draft_id: int, attachment_id: int):
    draft = _draft_or_404(draft_id)
    return _after(lambda: publishing.remove_attachment(draft.id, attachment_id, current_staff(), submitted_version()),
                  draft.id, "附件已删除。")


@bp.post("/drafts/<int:draft_id>/submit")
@requires(Role.EDITOR)
def submit_draft(draft_id: int):
    draft = _draft_or_404(draft_id)
    return _after(lambda: publishing.submit_draft(draft.id, current_staff(), submitted_version()),
                  draft.id, "已提交审核。审核人批准后即公开发布。")


@bp.post("/drafts/<int:draft_id>/approve")
@requires(Role.REVIEWER)
def approve_draft(draft_id: int):
    draft = _draft_or_404(draft_id)
    return _after(lambda: publishing.approve_draft(draft.id, current_staff(), submitted_version(), file_store()),
                  draft.id, "已批准并发布。", target="public")


@bp.post("/drafts/<int:draft_id>/return")
@requires(Role.REVIEWER)
def return_draft(draft_id: int):
    draft = _draft_or_404(draft_id)
    return _after(lambda: publishing.return_draft(draft.id, current_staff(), request.form.get("comment", ""),
                                                  submitted_version()),
                  draft.id, "已退回作者修改。")


@bp.get("/disclosures")
@requires(Role.EDITOR, Role.REVIEWER)
def published():
    return render_template("admin/published.html", disclosures=services.all_disclosures())


@bp.post("/disclosures/<slug>/correct")
@requires(Role.EDITOR)
def correct(slug: str):
    try:
        draft = publishing.start_correction(slug, current_staff())
    except services.DisclosureNotFound:
        abort(404)
    except PublishingError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.published"), 303)
    flash("已创建更正草稿：修改后填写更正原因并提交审核。", "success")
    return redirect(url_for("admin.edit_draft", draft_id=draft.id))


@bp.route("/disclosures/<slug>/withdraw", methods=["GET", "POST"])
@requires(Role.REVIEWER)
def withdraw(slug: str):
    try:
        disclosure = services.get_disclosure(slug)
    except services.DisclosureNotFound:
        abort(404)
    if request.method == "GET":
        return render_template("admin/withdraw.html", disclosure=disclosure)
    try:
        publishing.withdraw_disclosure(slug, current_staff(), request.form.get("reason", ""))
    except PublishingError as exc:
        return render_template("admin/withdraw.html", disclosure=disclosure, message=exc.message,
                               errors=exc.errors), exc.status
    flash("已撤回。原网址将显示撤回原因。", "success")
    return redirect(url_for("disclosures.detail", slug=slug))
