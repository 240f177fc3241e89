"""Deny by default: every back-office route × role × method against an explicit table.

A new route that is not in this table fails the first test; a route that lets a role through
that the table does not name fails the second.
"""
from __future__ import annotations

import pytest

from portal.staff.models import Role
from portal.extensions import db
from tests.admin.conftest import csrf_token, make_staff, signed_in
from tests.admin.test_publishing import create_draft, draft_state, post

ANY = frozenset(Role)
PUBLIC = None
E, R, A, AU, H = Role.EDITOR, Role.REVIEWER, Role.ADMINISTRATOR, Role.AUDITOR, Role.REPORT_HANDLER
RH = Role.REQUEST_HANDLER

ACCESS = {
    ("admin.login", "GET"): PUBLIC,
    ("admin.login", "POST"): PUBLIC,
    ("admin.login_code", "GET"): PUBLIC,
    ("admin.login_code", "POST"): PUBLIC,
    ("admin.enrol", "GET"): PUBLIC,
    ("admin.enrol", "POST"): PUBLIC,
    ("admin.dashboard", "GET"): ANY,
    ("admin.change_password", "GET"): ANY,
    ("admin.change_password", "POST"): ANY,
    ("admin.logout", "POST"): ANY,
    ("admin.drafts", "GET"): {E, R},
    ("admin.draft", "GET"): {E, R},
    ("admin.new_draft", "GET"): {E},
    ("admin.new_draft", "POST"): {E},
    ("admin.edit_draft", "GET"): {E},
    ("admin.edit_draft", "POST"): {E},
    ("admin.add_attachment", "POST"): {E},
    ("admin.remove_attachment", "POST"): {E},
    ("admin.submit_draft", "POST"): {E},
    ("admin.approve_draft", "POST"): {R},
    ("admin.return_draft", "POST"): {R},
    ("admin.published", "GET"): {E, R},
    ("admin.correct", "POST"): {E},
    ("admin.withdraw", "GET"): {R},
    ("admin.withdraw", "POST"): {R},
    ("admin.ratings_queue", "GET"): {R, E},
    ("admin.upload_rating", "GET"): {E},
    ("admin.upload_rating", "POST"): {E},
    ("admin.rating_version", "GET"): {R},
    ("admin.review_rating", "POST"): {R},
    ("admin.users", "GET"): {A},
    ("admin.new_user", "GET"): {A},
    ("admin.new_user", "POST"): {A},
    ("admin.edit_user", "GET"): {A},
    ("admin.edit_user", "POST"): {A},
    ("admin.reset_two_factor", "POST"): {A},
    ("admin.audit_log", "GET"): {AU},
    ("admin.audit_csv", "GET"): {AU},
    ("admin.reports_queue", "GET"): {H},
    ("admin.desk_key_setup", "GET"): {H},
    ("admin.desk_key_setup", "POST"): {H},
    ("admin.unlock_desk", "GET"): {H},
    ("admin.unlock_desk", "POST"): {H},
    ("admin.lock_desk", "POST"): {H},
    ("admin.new_report", "GET"): {H},
    ("admin.new_report", "POST"): {H},
    ("admin.report", "GET"): {H},
    ("admin.assign_report", "POST"): {H},
    ("admin.change_report_status", "POST"): {H},
    ("admin.reply_to_reporter", "POST"): {H},
    ("admin.add_report_note", "POST"): {H},
    ("admin.report_file", "GET"): {H},
    ("admin.applications_queue", "GET"): {RH},
    ("admin.new_application", "GET"): {RH},
    ("admin.new_application", "POST"): {RH},
    ("admin.application", "GET"): {RH},
    ("admin.act_on_application", "POST"): {RH},
    ("admin.application_letter", "GET"): {RH},
    ("admin.annual_table", "GET"): {RH, E},
    ("admin.draft_annual_report", "POST"): {E},
    ("admin.enter_table_4", "POST"): {RH},
}


def admin_routes(app) -> dict[tuple[str, str], str]:
    return {
        (rule.endpoint, method): rule.rule
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_back_office_route_is_in_the_table(app):
    assert set(admin_routes(app)) == set(ACCESS)


@pytest.fixture
def world(admin_app):
    """A submitted draft by an editor outside the test, and a bystander account."""
    make_staff(admin_app, "writer", Role.EDITOR)
    make_staff(admin_app, "bystander", Role.EDITOR)
    make_staff(admin_app, "handler", Role.REPORT_HANDLER)
    make_staff(admin_app, "clerk", Role.REQUEST_HANDLER)
    writer = signed_in(admin_app, "writer")
    draft_id = create_draft(writer)
    post(writer, f"/admin/drafts/{draft_id}/submit", {"version": draft_state(admin_app, draft_id)[1]})
    with admin_app.app_context():
        from portal.staff import accounts

        bystander_id = accounts.find_user("bystander").id
        db.session.remove()
    with admin_app.app_context():
        from portal.reports import services as reports

        reports.create_desk_key("desk passphrase for tests")
        entry = reports.parse_report_form({"category": "other", "description": "这是一条用于权限测试的举报内容，足够二十个字。",
                                           "anonymity": "anonymous"})
        report_id = reports.submit_report(entry, [])[0].id
        from portal.applications import services as applications

        application_id = applications.submit(applications.parse_form({
            "applicant_type": "natural", "name": "权限测试", "id_type": "resident_id", "id_number": "X1",
            "phone": "1", "description": "申请获取一份用于权限测试的文件。", "form_wanted": "paper", "delivery": "pickup",
        }))[0].id
        db.session.remove()
    values = {"slug": "2020-integrity-plan", "draft_id": draft_id, "attachment_id": 1, "user_id": bystander_id,
              "version_id": 1, "report_id": report_id, "file_id": 1,
              "application_id": application_id, "year": 2026}
    return admin_app, values


def _url(rule: str, values: dict) -> str:
    for name, value in values.items():
        rule = rule.replace(f"<{name}>", str(value)).replace(f"<int:{name}>", str(value))
    return rule


def _ordered(routes: dict) -> list:
    # Logging out ends the session the other requests need: it goes last.
    return sorted(routes.items(), key=lambda item: (item[0][0] == "admin.logout", item[0]))


@pytest.mark.parametrize("username, role", [
    ("admin", Role.ADMINISTRATOR), ("editor", Role.EDITOR), ("reviewer", Role.REVIEWER),
    ("auditor", Role.AUDITOR), ("handler", Role.REPORT_HANDLER), ("clerk", Role.REQUEST_HANDLER),
])
def test_each_role_reaches_exactly_what_the_table_allows(world, username, role):
    app, values = world
    client = signed_in(app, username)
    token = csrf_token(client, "/admin/")
    for (endpoint, method), rule in _ordered(admin_routes(app)):
        allowed = ACCESS[(endpoint, method)]
        url = _url(rule, values)
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        where = f"{role.value} {method} {url} → {response.status_code}"
        assert response.status_code < 500, where
        if allowed is PUBLIC:
            continue
        if role in allowed and endpoint == "admin.logout":
            assert client.get("/admin/").status_code == 302, where  # signed out, as asked
        elif role in allowed:
            assert response.status_code != 403, where
            assert "/admin/login" not in response.headers.get("Location", ""), where
        else:
            assert response.status_code == 403, where


def test_anonymous_visitors_are_sent_to_the_login_page(world):
    app, values = world
    client = app.test_client()
    token = csrf_token(client, "/admin/login")
    for (endpoint, method), rule in admin_routes(app).items():
        response = client.open(_url(rule, values), method=method, data={"csrf_token": token} if method == "POST" else None)
        if ACCESS[(endpoint, method)] is PUBLIC:
            assert response.status_code in (200, 302, 400), (method, rule)  # 400: empty login form
        else:
            assert response.status_code == 302 and "/admin/login" in response.headers["Location"], (method, rule)


def test_refusals_are_in_the_audit_log(world):
    from sqlalchemy import select

    from portal.staff.models import AuditEntry

    app, values = world
    client = signed_in(app, "auditor")
    assert client.get("/admin/users").status_code == 403
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "access_denied"))
        assert (entry.actor_name, entry.object_id, entry.outcome) == ("auditor", "admin.users", "denied")
