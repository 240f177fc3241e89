"""gunicorn, as shipped, writes no client address in any log and no line for the reporting pages."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
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
        finally:
            server.terminate()
            server.wait(timeout=10)
    text = log_path.read_text()
    assert "Invalid request from" in text, text  # the malformed requests were logged …
    assert "127.0.0.1" not in text, text  # … without the client's address
    assert "/report" not in text, text
    assert '"GET /privacy HTTP/1.1" 200' in text  # other pages are logged as before
