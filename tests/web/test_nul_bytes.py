"""A NUL byte anywhere a request carries text is refused once, at the door, with a 400 that says
why: PostgreSQL cannot take one, and the driver's error was a 500 that wrote the SQL parameters
to the log (#25, item 10). On both databases."""
from __future__ import annotations

import logging

import pytest

from tests.admin.conftest import csrf_token

GETS = ["/disclosures/%00", "/disclosures/?topic=%00", "/disclosures/?department=a%00b", "/api/v1/ratings/%00",
        "/api/v1/disclosures/%00", "/departments/%00", "/ratings/2025/%00", "/search?q=%E8%AF%9A%00",
        "/api/v1/search?q=%00", "/honor-roll/?year=%00", "/%00", "/disclosures/?%00=1"]


@pytest.mark.parametrize("path", GETS)
def test_a_nul_byte_in_the_address_is_a_clear_400(published_app, path, caplog):
    caplog.set_level(logging.DEBUG)
    response = published_app.test_client().get(path)
    assert response.status_code == 400, path
    body = response.json["error"]["message"] if path.startswith("/api/") else response.get_data(as_text=True)
    assert "空字符" in body
    assert "SELECT" not in caplog.text and "\x00" not in caplog.text


FORMS = [
    ("/admin/login", "/admin/login", {"username": "editor\x00", "password": "x"}),
    ("/apply/status", "/apply/status", {"number": "2026-0001\x00", "secret": "abc"}),
    ("/report/follow-up", "/report/follow-up", {"code": "ABCD\x00"}),
]


@pytest.mark.parametrize(("page", "action", "fields"), FORMS, ids=[f[1] for f in FORMS])
def test_a_nul_byte_in_a_form_field_is_a_clear_400(published_app, page, action, fields, caplog):
    caplog.set_level(logging.DEBUG)
    client = published_app.test_client()
    response = client.post(action, data={**fields, "csrf_token": csrf_token(client, page)})
    assert response.status_code == 400, action
    assert "空字符" in response.get_data(as_text=True)
    assert "SELECT" not in caplog.text


def test_text_without_nul_still_reaches_the_pages(published_app):
    client = published_app.test_client()
    assert client.get("/disclosures/?topic=%E8%AF%9A").status_code == 200
    assert client.get("/search?q=诚信").status_code == 200
