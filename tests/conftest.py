"""Fixtures: every app-level test runs once on SQLite and once on PostgreSQL."""
from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.publication.content import import_content
from portal.extensions import db
from portal.files import file_store

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = PROJECT_ROOT / "content"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def wait_until_serving(server: subprocess.Popen, url: str, log: Path, seconds: float = 30) -> None:
    """Wait for a server a test started to answer `url`; fail with its log if it dies or stalls."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("the server did not start:\n" + log.read_text())
            time.sleep(0.2)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes(tmp_path_factory):
    """Argon2id at minimal cost in-process (tests/admin/test_login.py checks the real profile's
    parameters; the browser tests run the portal with it), and work slots of this run's own:
    a second test run on the machine (a developer's beside CI's) must not take them."""
    from portal.staff import passwords

    passwords.use_cheap_hashes_for_tests()
    os.environ["WORK_SLOTS_DIR"] = str(tmp_path_factory.mktemp("work-slots"))


@pytest.fixture(scope="session", autouse=True)
def cheap_desk_key_derivation():
    """The desk passphrase's Argon2id at minimal cost (tests/reports checks the real cost)."""
    from portal.reports import crypto

    real = crypto.kdf_cost()
    crypto.use_cheap_kdf_for_tests()
    yield real


@contextlib.contextmanager
def private_postgres_schema():
    """A private schema in the test database, dropped afterwards, so that parallel runs (a
    developer and CI on one machine) and shared fixtures never see each other's tables."""
    schema = f"test_{os.getpid()}_{secrets.token_hex(3)}"
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        engine.dispose()
        if os.environ.get("REQUIRE_POSTGRES") or os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required here and unreachable: {exc}")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_schema_url():
    with private_postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    return request.getfixturevalue("postgres_schema_url")


def settings_for_tests(database_url: str, folder: Path, **overrides) -> dict:
    settings = {
        "env": "testing",
        "secret_key": "test-" + secrets.token_hex(16),
        "database_url": database_url,
        "files_dir": folder / "files",
        "report_files_dir": folder / "report-files",
        "receipt_pepper": "pepper-" + secrets.token_hex(16),
        "search_index_dir": folder / "search_index",
        "content_dir": CONTENT_DIR,
        "public_base_url": "http://localhost",
        "ratelimit_key_prefix": "test-" + secrets.token_hex(6),
        "log_key_file": folder / "publication-log.key",  # none unless a test makes one
    }
    return {**settings, **overrides}


def _fresh_app(settings: dict):
    app = create_app(settings)
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on a fresh, empty database with test settings (overrides as keywords)."""
    created = []

    def factory(**overrides):
        created.append(_fresh_app(settings_for_tests(database_url, tmp_path, **overrides)))
        return created[-1]

    yield factory
    for app in created:
        _dispose(app)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def published_app(app):
    """The app with the shipped content/ imported."""
    with app.app_context():
        report = import_content(CONTENT_DIR, file_store())
        assert not report.problems, [str(p) for p in report.problems]
    return app


@pytest.fixture
def published_client(published_app):
    return published_app.test_client()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory):
    """The app with the shipped content/ imported, built once per test module and database for
    the tests that only read (GET pages, downloads, the API). A test that writes anything — a
    row, a file, the index, a rate-limit count it then relies on — uses published_app instead."""
    folder = tmp_path_factory.mktemp("site")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{folder / 'portal.sqlite3'}"
        else:
            url = stack.enter_context(private_postgres_schema())
        app = _fresh_app(settings_for_tests(url, folder))
        with app.app_context():
            report = import_content(CONTENT_DIR, file_store())
            assert not report.problems, [str(p) for p in report.problems]
        yield app
        _dispose(app)


@pytest.fixture
def site_client(site):
    return site.test_client()
