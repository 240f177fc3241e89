"""Attachments every host can read: with PostgreSQL the file store is the database, so a file
published through one host is served by another with nothing on either's disk; a disk store's
files move in with `flask files move-to-database`."""
from __future__ import annotations

import dataclasses
import re

import pytest

from portal import create_app
from portal.extensions import db
from portal.files import DatabaseFileStore, disk_store, file_store
from portal.publication.content import import_content
from tests.conftest import CONTENT_DIR


@pytest.fixture
def postgres_hosts(make_app, tmp_path, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the shared store is PostgreSQL's")
    a = make_app(files_dir=tmp_path / "files-a")
    b = create_app(dataclasses.replace(a.extensions["portal.settings"], files_dir=tmp_path / "files-b"))
    yield a, b
    with b.app_context():
        db.session.remove()
        db.engine.dispose()


def test_an_attachment_published_through_one_host_is_served_by_another(postgres_hosts, tmp_path):
    a, b = postgres_hosts
    with a.app_context():
        assert not import_content(CONTENT_DIR, file_store()).problems
    page = b.test_client().get("/disclosures/demo-2025-emergency-supplies").get_data(as_text=True)
    link = re.search(r'href="(/disclosures/demo-2025-emergency-supplies/files/[^"]+)"', page).group(1)
    served = b.test_client().get(link)
    (original,) = (CONTENT_DIR / "attachments" / "demo-2025-emergency-supplies").iterdir()
    assert served.status_code == 200 and served.data == original.read_bytes()
    assert not (tmp_path / "files-a").exists() and not (tmp_path / "files-b").exists()  # on no host's disk


def test_files_move_from_disk_into_the_database(postgres_hosts, tmp_path):
    a, _ = postgres_hosts
    with a.app_context():
        digest = disk_store().put(b"%PDF-1.4\n% a file stored on disk before the move\n")
        assert not DatabaseFileStore().exists(digest)
    result = a.test_cli_runner().invoke(args=["files", "move-to-database"])
    assert result.exit_code == 0 and "1 files in the database" in result.output
    with a.app_context():
        assert DatabaseFileStore().read(digest).startswith(b"%PDF-1.4")
        disk_store().path(digest).write_bytes(b"changed on disk")  # a file that no longer matches its name
    result = a.test_cli_runner().invoke(args=["files", "move-to-database"])
    assert result.exit_code != 0 and "does not match its name" in result.output


def test_with_sqlite_files_stay_on_disk(make_app, tmp_path, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's store")
    app = make_app(files_dir=tmp_path / "files")
    with app.app_context():
        assert file_store().root == tmp_path / "files"
    result = app.test_cli_runner().invoke(args=["files", "move-to-database"])
    assert result.exit_code != 0 and "SQLite" in result.output
