"""gunicorn, as shipped, writes no client address in any log and no line for the reporting pages."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.conftest import wait_until_serving

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _raw(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(data)
        try:
            connection.recv(4096)
        except OSError:
            pass


def test_no_client_address_and_no_report_request_reach_the_logs(tmp_path):
    started = time.time()
    port = _free_port()
    env = {**os.environ, "FLASK_APP": "wsgi", "PORTAL_ENV": "development", "PORT": str(port),
           "WEB_CONCURRENCY": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
           "SEARCH_INDEX_DIR": str(tmp_path / "index"), "FILES_DIR": str(tmp_path / "files")}
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], env=env, cwd=PROJECT_ROOT, check=True,
                   capture_output=True)
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:portal.gunicorn_conf", "wsgi:app",
                                   "--log-level", "debug"], env=env, cwd=PROJECT_ROOT, stdout=log,
                                  stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_serving(server, base + "/healthz", log_path)
            urllib.request.urlopen(base + "/report/", timeout=5)
            urllib.request.urlopen(base + "/report/statistics", timeout=5)
            # Malformed requests: gunicorn answers them itself and logs "Invalid request from ip=…".
            _raw(port, b"GARBAGE\r\n\r\n")
            _raw(port, b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")
            _raw(port, b"GET /\x00 HTTP/1.1\r\n\r\n")
            urllib.request.urlopen(base + "/privacy", timeout=5)
            urllib.request.urlopen(base + "/disclosures/?topic=%E4%B8%BE%E6%8A%A5%E5%BC%A0%E4%B8%89+440000199001011234", timeout=5)
        finally:
            server.terminate()
            server.wait(timeout=10)
    text = log_path.read_text()
    assert "Invalid request from" in text, text  # the malformed requests were logged …
    assert "127.0.0.1" not in text, text  # … without the client's address
    assert "/report" not in text, text
    assert '"GET /privacy" 200' in text  # other pages are logged as before
    assert '"GET /disclosures/" 200' in text and "440000199001011234" not in text and "topic=" not in text
    assert not list(Path(tempfile.gettempdir()).glob("portal-metrics-*")) or all(
        folder.stat().st_ctime < started for folder in Path(tempfile.gettempdir()).glob("portal-metrics-*")
    ), "the server left its metrics folder behind"


def test_gunicorns_own_error_path_logs_no_reporting_page():
    """A worker timeout or a request gunicorn rejects is logged by gunicorn with an environ that
    has no PATH_INFO: the raw request's path still keeps the line out."""
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from portal.gunicorn_conf import PrivateLogger

    written = []
    logger = PrivateLogger(Config())
    original, Logger.access = Logger.access, lambda self, resp, req, environ, request_time: written.append(req.path)
    try:
        for path in ("/report/", "/apply/status", "/privacy"):
            logger.access(SimpleNamespace(), SimpleNamespace(path=path, uri=path + "?x=1"), {}, None)
    finally:
        Logger.access = original
    assert written == ["/privacy"]


def test_error_lines_keep_no_query_no_address_and_only_the_day_of_a_reporting_page():
    import datetime as dt
    import logging

    from portal.log_privacy import PrivateRecords

    def filtered(message, level=logging.ERROR):
        record = logging.LogRecord("gunicorn.error", level, __file__, 1, message, (), None)
        kept = PrivateRecords().filter(record)
        return kept, record

    kept, record = filtered("Error handling request POST /report/?code=ABCD from 203.0.113.9")
    assert kept and record.getMessage() == "Error handling request POST [reporting page] from [address]"
    stamp = dt.datetime.fromtimestamp(record.created)
    assert (stamp.hour, stamp.minute, stamp.second, record.msecs) == (0, 0, 0, 0)
    # A request line's query is URL-encoded: it ends at the next space or quote.
    kept, record = filtered('Error handling request GET /search?q=%E4%B8%BE%E6%8A%A5+440000199001011234 "x"', logging.WARNING)
    assert kept and record.getMessage() == 'Error handling request GET /search "x"'
    assert dt.datetime.fromtimestamp(record.created) > dt.datetime.now() - dt.timedelta(minutes=1)  # not a reporting page
    assert filtered("GET /apply/status", logging.DEBUG)[0] is False
