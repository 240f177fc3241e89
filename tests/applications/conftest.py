"""Applications tests: an app with a request handler, and a way to set the bureau's date."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.applications import services
from portal.staff.models import Role
from tests.admin.conftest import make_staff

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET_RE = re.compile(r'aria-label="回执码 ([0-9A-Z ]+)"')
NUMBER_RE = re.compile(r'class="application-number">([0-9-]+)<')
# Canaries: personal data that must never appear outside the sealed column.
NAME, ID_NUMBER, PHONE = "金丝雀申请人", "44140019900101123X", "13900008888"
DESCRIPTION = "申请获取梅州市应急管理局2025年度安全生产执法检查计划全文（金丝雀描述）。"
FORM = {
    "applicant_type": "natural", "name": NAME, "id_type": "resident_id", "id_number": ID_NUMBER, "phone": PHONE,
    "address": "", "email": "", "description": DESCRIPTION, "form_wanted": "electronic", "delivery": "online",
    "waiver_reason": "",
}


class Today:
    """The bureau's date as the applications feature sees it."""

    def __init__(self, monkeypatch):
        self.value = dt.date.today()
        monkeypatch.setattr(services, "today", lambda: self.value)

    def set(self, value: dt.date) -> None:
        self.value = value


@pytest.fixture
def today(monkeypatch):
    return Today(monkeypatch)


@pytest.fixture
def desk_app(app):
    make_staff(app, "clerk", Role.REQUEST_HANDLER)
    make_staff(app, "clerk2", Role.REQUEST_HANDLER)
    make_staff(app, "writer", Role.EDITOR)
    return app


def csrf(client, path: str = "/apply/") -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def apply(client, **changes) -> tuple[str, str, object]:
    """File the form as a citizen; returns (number, secret, response)."""
    page = client.get("/apply/").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    response = client.post("/apply/", data={**FORM, **changes, "form_token": token,
                                            "csrf_token": CSRF_RE.search(page).group(1)})
    page = response.get_data(as_text=True)
    number, secret = NUMBER_RE.search(page), SECRET_RE.search(page)
    return (number.group(1) if number else ""), (secret.group(1).replace(" ", "") if secret else ""), response
