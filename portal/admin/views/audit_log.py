"""The audit log, for auditors: read on a page, export as CSV."""
from __future__ import annotations

from flask import Response, render_template, request, stream_with_context

from portal.staff import audit
from portal.admin.access import bp, current_staff, requires
from portal.staff.models import Role
from portal.web.errors import render_error


def _action_filter() -> str | None:
    action = request.args.get("action") or None
    return action if action in audit.ACTION_LABELS else None


@bp.get("/audit")
@requires(Role.AUDITOR)
def audit_log():
    raw_page = request.args.get("page", "1")
    if not raw_page.isascii() or not raw_page.isdigit() or not 1 <= int(raw_page) <= 100_000:
        return render_error(400, "页码应为正整数。")
    action = _action_filter()
    return render_template(
        "admin/audit.html", page=audit.list_entries(int(raw_page), action=action), action=action,
        labels=audit.ACTION_LABELS, refusals=audit.refusal_counts(),
    )


@bp.get("/audit.csv")
@requires(Role.AUDITOR)
def audit_csv():
    audit.record_now(current_staff(), "audit_exported", "audit_log", detail=_action_filter() or "全部")
    response = Response(stream_with_context(audit.export_csv(_action_filter())), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
