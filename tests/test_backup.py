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


def _modes(folder) -> set[str]:
    import stat

    return {f"{'d' if path.is_dir() else 'f'}{stat.S_IMODE(path.stat().st_mode):o}"
            for path in [folder, *folder.rglob("*")]}


def test_a_backup_is_readable_by_its_owner_only(published_app, tmp_path):
    """Password hashes, session hashes and sealed data are in it: 0700 folders, 0600 files, even
    when the folder existed (empty) with a wider mode and whatever the caller's umask."""
    import os

    folder = tmp_path / "backup"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    previous = os.umask(0o022)
    try:
        assert published_app.test_cli_runner().invoke(args=["backup", "create", str(folder)]).exit_code == 0
    finally:
        os.umask(previous)
    assert _modes(folder) <= {"d700", "f600"} and "f600" in _modes(folder)


def test_an_encrypted_backup_opens_only_with_the_operators_identity(published_app, tmp_path):
    app = published_app
    runner = app.test_cli_runner()
    code, secret = _world(app)
    before, read_before = _snapshot(app), _read_back(app, code, secret)
    made = runner.invoke(args=["backup", "keygen", str(tmp_path / "operator.key")])
    assert made.exit_code == 0 and made.output.startswith("age1")
    assert _modes(tmp_path / "operator.key") == {"f600"}
    public_key = made.output.strip()

    result = runner.invoke(args=["backup", "create", str(tmp_path / "backup"), "--to", public_key])
    assert result.exit_code == 0 and "encrypted to 1 key" in result.output, result.output
    manifest = backup.verify(tmp_path / "backup")
    assert manifest["encrypted_to"] == [public_key]
    stored = [path for path in (tmp_path / "backup").rglob("*") if path.is_file() and path.name != "manifest.json"]
    assert stored and all(path.name.endswith(".age") for path in stored)
    for path in stored:  # no database, attachment or report text in the clear
        data = path.read_bytes()
        assert data.startswith(b"age-encryption.org/v1")
        assert b"SQLite format 3" not in data and b"PGDMP" not in data and "诚信".encode() not in data
    assert _modes(tmp_path / "backup") <= {"d700", "f600"}

    _destroy(app)
    refused = runner.invoke(args=["backup", "restore", str(tmp_path / "backup")])
    assert refused.exit_code != 0 and "--identity" in refused.output
    other = tmp_path / "other.key"
    assert runner.invoke(args=["backup", "keygen", str(other)]).exit_code == 0
    refused = runner.invoke(args=["backup", "restore", str(tmp_path / "backup"), "--identity", str(other)])
    assert refused.exit_code != 0 and "does not open" in refused.output
    with app.app_context():
        from sqlalchemy import inspect

        assert inspect(db.engine).get_table_names() == []  # nothing half-restored

    result = runner.invoke(args=["backup", "restore", str(tmp_path / "backup"),
                                 "--identity", str(tmp_path / "operator.key")])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["search", "rebuild", "--processes", "1"]).exit_code == 0
    after = _snapshot(app)
    assert all(after[path] == before[path] for path in before)
    assert _read_back(app, code, secret) == read_before


def test_a_changed_encrypted_backup_is_refused_before_decrypting(published_app, tmp_path):
    from pyrage import x25519

    identity = x25519.Identity.generate()
    (tmp_path / "id").write_text(str(identity) + "\n")
    runner = published_app.test_cli_runner()
    assert runner.invoke(args=["backup", "create", str(tmp_path / "b"), "--to", str(identity.to_public())]).exit_code == 0
    _destroy(published_app)
    database = tmp_path / "b" / backup.verify(tmp_path / "b")["database"]["file"]
    database.write_bytes(database.read_bytes()[:-1] + b"x")
    refused = runner.invoke(args=["backup", "restore", str(tmp_path / "b"), "--identity", str(tmp_path / "id")])
    assert refused.exit_code != 0 and "checksum" in refused.output
    assert runner.invoke(args=["backup", "create", str(tmp_path / "c"), "--to", "age1notakey"]).exit_code != 0
