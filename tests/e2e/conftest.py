"""The portal served by gunicorn on a free loopback port, and Debian's chromium driven by Playwright.

The server gets its own temporary database, file store and search index, built with the same
commands a maintainer runs (`db upgrade`, `content import`, `search rebuild`, `users create`).
Screenshots land in tests/e2e/screenshots/ (git-ignored).
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import wait_until_serving

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).parent / "screenshots"
AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# Headless, and no traffic anywhere but loopback: this machine's network is closed, and a
# browser that phones home would slow every start.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
    "--metrics-recording-only", "--no-default-browser-check",
]
STAFF_PASSWORD = "e2e passphrase for staff"
DESK_PASSPHRASE = "e2e passphrase for the report desk"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}



def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_home(tmp_path_factory) -> Path:
    """The live server's folder: its database, files and gunicorn.log (the access log)."""
    return tmp_path_factory.mktemp("live")


@pytest.fixture(scope="session")
def live_server(live_home):
    """The demo portal under gunicorn; yields its base URL."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    home = live_home
    port = _free_port()
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "PORTAL_ENV": "production",  # as deployed: debug off, a real key required
        "SECRET_KEY": "e2e-" + secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite:///{home / 'portal.sqlite3'}",
        "FILES_DIR": str(home / "files"),
        "REPORT_FILES_DIR": str(home / "report-files"),
        "RECEIPT_PEPPER": "e2e-pepper-" + secrets.token_urlsafe(48),
        "SEARCH_INDEX_DIR": str(home / "search_index"),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "PORTAL_PLAIN_HTTP": "1",  # served over plain HTTP on loopback, on purpose
        "WORK_SLOTS_DIR": str(home / "work-slots"),  # not shared with another run's server
        "LOG_KEY_FILE": str(home / "publication-log.key"),  # not the developer's instance/ key
        "METRICS_NETWORKS": "127.0.0.1/32",  # the tests read /metrics from loopback
    }
    flask = [sys.executable, "-m", "flask"]
    for command in (["db", "upgrade"], ["content", "import"], ["search", "rebuild"],
                    ["users", "create", "chief", "--name", "陈主任", "--role", "administrator",
                     "--password", STAFF_PASSWORD],
                    ["users", "create", "desk.handler", "--name", "赵受理", "--role", "report_handler",
                     "--password", STAFF_PASSWORD],
                    ["users", "create", "desk.clerk", "--name", "钱承办", "--role", "request_handler",
                     "--password", STAFF_PASSWORD],
                    ["reports", "init-key", "--passphrase", DESK_PASSPHRASE],
                    ["log", "init-key"]):  # as deployed: the publication log is signed
        subprocess.run(flask + command, env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
    log = open(home / "gunicorn.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:portal.gunicorn_conf", "wsgi:app"],
        env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    wait_until_serving(server, base_url + "/healthz", home / "gunicorn.log")
    yield base_url
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser profile at desktop width, with the site's own CSP enforced."""
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    """Keep a screenshot of the page at desktop and phone width."""
    SCREENSHOTS.mkdir(exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=SCREENSHOTS / f"{name}-desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
    page.set_viewport_size(size)
