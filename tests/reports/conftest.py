"""Reports tests: an app with a desk key and two departments, and a reporter's browser."""
from __future__ import annotations

import os
import re

import pytest

from portal.departments.models import Department
from portal.extensions import db
from portal.reports import services

PASSPHRASE = "desk passphrase for tests"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
CODE_RE = re.compile(r'aria-label="回执码 ([0-9A-Z ]+)"')
DESCRIPTION = "某科室工作人员在办理行政审批时，超过承诺时限二十个工作日仍未办结，并暗示需要请客送礼。"


@pytest.fixture
def redis_client():
    """The machine's Redis (the shared limiter storage); required in CI, skipped elsewhere if absent."""
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("REQUIRE_POSTGRES") or os.environ.get("CI"):
            pytest.fail("Redis is required here and unreachable at 127.0.0.1:6379")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return client


@pytest.fixture
def desk_app(make_app):
    def factory(**overrides):
        app = make_app(**overrides)
        with app.app_context():
            db.session.add_all([
                Department(slug="office", name="办公室", position=1),
                Department(slug="safety-law", name="安全生产基础和执法科", position=2),
            ])
            db.session.commit()
            services.create_desk_key(PASSPHRASE)
        return app
    return factory


@pytest.fixture
def app(desk_app):
    return desk_app()


def csrf(client, path: str = "/report/") -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def report_form(**fields) -> dict:
    form = {"category": "approval_delay", "department": "office", "occurred": "2026年10月中旬",
            "description": DESCRIPTION, "anonymity": "anonymous", "contact": ""}
    form.update(fields)
    return form


def form_tokens(client) -> dict:
    """The CSRF token and the single-use form token of a freshly loaded report form."""
    page = client.get("/report/").get_data(as_text=True)
    return {"csrf_token": CSRF_RE.search(page).group(1), "form_token": FORM_TOKEN_RE.search(page).group(1)}


def submit(client, files=(), **fields):
    """Post the report form as a browser would (a freshly loaded form each time); returns the response."""
    data = report_form(**fields)
    data.update(form_tokens(client))
    if files:
        data["files"] = list(files)
    return client.post("/report/", data=data, content_type="multipart/form-data")


def receipt_code(response) -> str:
    match = CODE_RE.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:2000]
    return match.group(1).replace(" ", "")


def follow_up(client, code: str, **extra):
    data = {"receipt": code, "csrf_token": csrf(client, "/report/follow-up"), **extra}
    return client.post("/report/follow-up", data=data, content_type="multipart/form-data")
