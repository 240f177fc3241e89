"""Nothing identifying the reporter, and nothing they wrote, is readable anywhere the portal writes.

A report is submitted and followed up from a client whose address, User-Agent, Referer and
forwarded-for headers carry unique canary strings, with canaries in the description, the contact
details, a follow-up message and a file. Then every place the portal writes is searched: each
table (SQLite and PostgreSQL), the SQLite database file and its WAL, the report files, the
temporary folder and the captured logs.
"""
from __future__ import annotations

import io
import logging
import secrets
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from portal.extensions import db
from tests.reports.conftest import follow_up, receipt_code, submit


def _canary(kind: str) -> str:
    return f"canary{kind}{secrets.token_hex(6)}"


@pytest.fixture
def canaries():
    return {
        "address": f"203.0.113.{secrets.randbelow(200) + 20}",
        "forwarded": f"198.51.100.{secrets.randbelow(200) + 20}",
        "agent": _canary("agent"),
        "referer": "https://" + _canary("referer") + ".example/",
        "description": _canary("description"),
        "contact": _canary("contact"),
        "message": _canary("message"),
        "file": _canary("file"),
        "filename": _canary("filename"),
    }


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def _submit_everything(app, canaries) -> None:
    client = app.test_client()
    client.environ_base.update({
        "REMOTE_ADDR": canaries["address"],
        "HTTP_USER_AGENT": canaries["agent"],
        "HTTP_X_FORWARDED_FOR": canaries["forwarded"],
        "HTTP_X_REAL_IP": canaries["forwarded"],
        "HTTP_REFERER": canaries["referer"],
    })
    # A file larger than Werkzeug's 500 KB in-memory limit, so that spooling to disk would show.
    evidence = (canaries["file"] + "\n").encode() * 40_000
    response = submit(
        client, files=[(io.BytesIO(evidence), canaries["filename"] + ".txt")],
        anonymity="confidential", contact=canaries["contact"],
        description="事情经过如下，" + canaries["description"] + "，请核查处理。",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    code = receipt_code(response)
    response = follow_up(client, code, action="message", message=canaries["message"])
    assert response.status_code == 200
    assert follow_up(client, "WRONG-CODE").status_code == 400


def _table_dump(app) -> str:
    with app.app_context():
        parts = []
        for table in inspect(db.engine).get_table_names():
            for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
                parts.append(repr(tuple(row)))
        return "\n".join(parts)


def _files_under(*folders: Path) -> list[Path]:
    return [path for folder in folders if folder.exists() for path in folder.rglob("*") if path.is_file()]


def test_no_canary_anywhere(app, canaries, private_tmp, caplog, database_url, tmp_path):
    caplog.set_level(logging.DEBUG)
    _submit_everything(app, canaries)

    dump = _table_dump(app)
    settings = app.extensions["portal.settings"]
    files = _files_under(settings.report_files_dir, settings.files_dir, private_tmp)
    if database_url.startswith("sqlite"):
        files += [path for path in tmp_path.glob("portal.sqlite3*")]
        assert any(path.name.endswith("-wal") for path in files)
    stored = [path.read_bytes() for path in files]
    with app.app_context():  # the evidence was stored, sealed, in the database
        assert db.session.scalar(text("SELECT count(*) FROM sealed_files")) >= 1
    logs = caplog.text

    for name, canary in canaries.items():
        needle = canary.encode()
        assert canary not in dump, f"{name} in the database"
        assert not any(needle in blob for blob in stored), f"{name} in a file"
        assert canary not in logs, f"{name} in the logs"


def test_what_the_reporter_wrote_is_readable_only_with_the_desk_key(app, canaries):
    from portal.reports import services
    from portal.reports.models import Report
    from tests.reports.conftest import PASSPHRASE

    _submit_everything(app, canaries)
    with app.app_context():
        report = db.session.scalar(select(Report))
        read = services.read_report(report, services.unlock_desk(PASSPHRASE))
        assert canaries["description"] in read.description and read.contact == canaries["contact"]
        assert any(canaries["message"] in m.text for m in read.messages)
        assert read.files[0].name == canaries["filename"] + ".txt"
        data, media_type, name = services.read_file(report, read.files[0].id, services.unlock_desk(PASSPHRASE), clean=False)
        assert data.startswith(canaries["file"].encode()) and media_type == "text/plain"
        assert canaries["filename"] not in name


def test_uploads_never_spool_to_a_temporary_file(app):
    """Werkzeug writes uploads over 500 KB to an unnamed temporary file (invisible to a folder
    scan); the portal's request class keeps them in memory instead."""
    big = io.BytesIO(b"x" * 2_000_000)
    with app.test_request_context("/report/", method="POST", data={"files": (big, "big.txt")},
                                  content_type="multipart/form-data"):
        from flask import request

        assert isinstance(request.files["files"].stream, io.BytesIO)


def test_shared_rate_limits_in_redis_hold_no_address(desk_app, canaries, redis_client):
    """With several workers the limiter keeps its counters in Redis: the keys there are daily
    keyed hashes, never the address."""
    client = redis_client
    app = desk_app(ratelimit_storage_uri="redis://127.0.0.1:6379/0")
    from portal.extensions import hashed_client_address

    _submit_everything(app, canaries)
    keys = [key.decode() for key in client.scan_iter("LIMITS:LIMITER/*")]
    assert keys, "the limiter wrote nothing to Redis"
    with app.test_request_context(environ_base={"REMOTE_ADDR": canaries["address"]}):
        hashed = hashed_client_address()
    assert any(hashed in key for key in keys)
    for key in keys:
        assert canaries["address"] not in key and canaries["forwarded"] not in key
    # Values are counters; the keys expire with their windows (each test's pepper makes its own keys).
