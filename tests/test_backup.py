"""The restore drill: publish, report, rate, apply; back up; destroy the deployment; restore it
into the empty one: every page, the search, the report (with the desk's passphrase), the
application and the publication log's verification are as before. And a backup is only restored
whole and unchanged, into an empty deployment."""
from __future__ import annotations

import re
import shutil

from sqlalchemy import select

from portal import backup
from portal.extensions import db

PAGES = ["/", "/disclosures/", "/disclosures/2020-integrity-plan", "/ratings/2025/", "/honor-roll/",
         "/warnings/", "/departments/office", "/log/", "/log/checkpoint", "/sitemap.xml", "/api/v1/disclosures",
         "/ratings/2025.csv", "/search?q=诚信建设"]
_VARYING = re.compile(r'(nonce|csrf_token|name="csrf-token" content)="[^"]*"')


def _snapshot(app) -> dict[str, str]:
    client = app.test_client()
    pages = {}
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = _VARYING.sub("", response.get_data(as_text=True))
    attachment = re.search(r'href="(/disclosures/[^"]+/files/[^"]+)"', pages["/disclosures/2020-integrity-plan"])
    pages["attachment"] = client.get(attachment.group(1)).data.hex() if attachment else ""
    return pages


def _world(app):
    """Everything a deployment holds: content, a signed log, a sealed report, an application."""
    from portal.applications import services as applications
    from portal.reports import services as reports
    from tests.reports.conftest import PASSPHRASE

    runner = app.test_cli_runner()
    assert runner.invoke(args=["log", "init-key"]).exit_code == 0
    with app.app_context():
        reports.create_desk_key(PASSPHRASE)
        entry = reports.parse_report_form({"category": "other", "anonymity": "anonymous",
                                           "description": "备份演练用的举报内容：窗口工作人员超时未办结。"})
        _, code = reports.submit_report(entry, [])
        _, secret = applications.submit(applications.parse_form({
            "applicant_type": "natural", "name": "演练申请人", "id_type": "resident_id", "id_number": "DRILL-1",
            "phone": "13800000000", "description": "申请获取备份演练用的文件。", "form_wanted": "paper", "delivery": "pickup"}))
    return code, secret


def _read_back(app, code: str, secret: str) -> tuple[str, str]:
    from portal.applications import services as applications
    from portal.reports import services as reports
    from tests.reports.conftest import PASSPHRASE

    with app.app_context():
        report, _ = reports.find_by_code(code)
        description = reports.read_report(report, reports.unlock_desk(PASSPHRASE)).description
        application, _ = applications.find(f"{application_year(app)}-0001", secret)
        return description, applications.personal(application)["name"]


def application_year(app) -> int:
    from portal.applications.models import Application

    with app.app_context():
        return db.session.scalar(select(Application.received_on)).year


def _destroy(app) -> None:
    settings = app.extensions["portal.settings"]
    with app.app_context():
        db.session.remove()
        db.drop_all()
    shutil.rmtree(settings.files_dir, ignore_errors=True)
    shutil.rmtree(settings.search_index_dir, ignore_errors=True)


def test_the_restore_drill(published_app, tmp_path, database_url):
    app = published_app
    code, secret = _world(app)
    before, verified = _snapshot(app), app.test_cli_runner().invoke(args=["log", "verify"])
    assert verified.exit_code == 0, verified.output
    read_before = _read_back(app, code, secret)

    result = app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert "RECEIPT_PEPPER" in result.output  # the operator is told what is not in it
    manifest = backup.verify(tmp_path / "backup")
    # Attachments: copied from a disk store (SQLite); with PostgreSQL they are in the database.
    assert any(name.startswith("files/") for name in manifest["files"]) == database_url.startswith("sqlite")
    assert not any("key" in name or "pepper" in name for name in manifest["files"])

    _destroy(app)
    with app.app_context():
        from sqlalchemy import inspect

        assert inspect(db.engine).get_table_names() == []  # the deployment is gone

    result = app.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert app.test_cli_runner().invoke(args=["search", "rebuild", "--processes", "1"]).exit_code == 0
    after = _snapshot(app)
    for path in before:
        assert after[path] == before[path], path
    verified = app.test_cli_runner().invoke(args=["log", "verify"])
    assert verified.exit_code == 0, verified.output
    assert _read_back(app, code, secret) == read_before


def test_a_backup_restores_only_whole_unchanged_and_into_an_empty_deployment(published_app, tmp_path):
    app = published_app
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "create", str(tmp_path / "backup")]).exit_code == 0
    assert "not empty" in runner.invoke(args=["backup", "create", str(tmp_path / "backup")]).output
    refused = runner.invoke(args=["backup", "restore", str(tmp_path / "backup")])
    assert refused.exit_code != 0 and "not empty" in refused.output  # the live deployment is untouched
    assert app.test_client().get("/disclosures/2020-integrity-plan").status_code == 200

    _destroy(app)
    tampered = tmp_path / "backup" / backup.verify(tmp_path / "backup")["database"]["file"]
    tampered.write_bytes(tampered.read_bytes() + b"x")
    refused = runner.invoke(args=["backup", "restore", str(tmp_path / "backup")])
    assert refused.exit_code != 0 and "checksum" in refused.output
    with app.app_context():
        from sqlalchemy import inspect

        assert inspect(db.engine).get_table_names() == []  # nothing half-restored
