"""One app with the shipped content imported and indexed, shared by the read-only search tests."""
import secrets

import pytest

from portal import create_app
from portal.publication.content import import_content
from portal.extensions import db
from portal.files import file_store
from tests.conftest import CONTENT_DIR


@pytest.fixture(scope="module")
def search_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("search")
    app = create_app({
        "env": "testing",
        "secret_key": secrets.token_hex(16),
        "database_url": f"sqlite:///{root / 'portal.sqlite3'}",
        "files_dir": root / "files",
        "search_index_dir": root / "search_index",
        "log_key_file": root / "publication-log.key",
        "public_base_url": "http://localhost",
    })
    with app.app_context():
        db.create_all()
        report = import_content(CONTENT_DIR, file_store())
        assert not report.problems and report.search_updated
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def search_client(search_app):
    """A visitor of their own (an address of their own): the app, and the per-client search
    limit's counters, are shared by the module's tests."""
    client = search_app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"
    return client
