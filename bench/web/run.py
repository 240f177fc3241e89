"""bench-web: the demo portal under gunicorn and a bounded load from loopback, against a minimal
Flask "hello" application under the same server and load, measured in the same run.

    python -m bench.web.run [--connections 32] [--duration 20]
    python -m bench.web.run --tiny      a few seconds, nothing recorded: `make test` runs it so the
                                        benchmark cannot rot (its figures mean nothing)

Prints requests/s, p50/p90/p99 latency, errors and peak resident memory per worker for both,
and the ratio of the portal's throughput to hello's. Then a login flood: /privacy's latency
alone, and while 8 connections send wrong passwords to /admin/login, from one address and from
a new address each time (behind one trusted proxy). bench/README.md explains the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# The mix: what the public reads on a busy day (the day an edition is published), weighted.
MIX = [
    ("/", 2),
    ("/disclosures/", 2),
    ("/disclosures/?year=2025", 1),
    ("/disclosures/2020-integrity-plan", 3),
    ("/disclosures/demo-2025-emergency-supplies", 2),
    ("/departments/office", 1),
    ("/search?q=诚信", 2),
    ("/search?q=应急物资&year=2025", 1),
    ("/search?q=%22政务诚信建设%22", 1),
    ("/disclosures.atom", 1),
    ("/ratings/", 3),
    ("/ratings/2025/coordination", 1),
    ("/ratings/2025.csv", 1),
    ("/honor-roll/", 1),
    ("/warnings/", 1),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_portal(home: Path) -> dict:
    """A fresh instance with the demo content imported and the search index built."""
    env = {
        **os.environ, "FLASK_APP": "wsgi", "PORTAL_ENV": "production", "SECRET_KEY": "bench-" + secrets.token_urlsafe(48),
        "RECEIPT_PEPPER": "bench-pepper-" + secrets.token_urlsafe(48), "PUBLIC_BASE_URL": "http://127.0.0.1",
        "PORTAL_PLAIN_HTTP": "1",  # loopback, on purpose
        "DATABASE_URL": f"sqlite:///{home / 'portal.sqlite3'}", "FILES_DIR": str(home / "files"),
        "SEARCH_INDEX_DIR": str(home / "search_index"), "LOG_KEY_FILE": str(home / "publication-log.key"),
    }
    for command in (["db", "upgrade"], ["content", "import"], ["search", "rebuild"]):
        subprocess.run([sys.executable, "-m", "flask", *command], env=env, cwd=PROJECT_ROOT, check=True,
                       capture_output=True)
    return env


class Server:
    """gunicorn with the shipped settings (portal/gunicorn_conf.py), for either application."""

    def __init__(self, app: str, env: dict, workers: int, log: Path):
        self.port = free_port()
        self.env = {**env, "PORT": str(self.port), "WEB_CONCURRENCY": str(workers)}
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:portal.gunicorn_conf", app],
            env=self.env, cwd=PROJECT_ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + path, timeout=2).read()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {self.log.name}")
                time.sleep(0.2)

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


class MemoryWatch(threading.Thread):
    """Samples every worker's resident memory while the load runs; keeps each one's peak."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server, self.peaks, self.running = server, {}, True

    def run(self) -> None:
        while self.running:
            for pid in self.server.workers():
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), rss_mb(pid))
            time.sleep(0.1)


def warm(server: Server, paths: list[str]) -> None:
    for _ in range(3):
        for path in paths:
            urllib.request.urlopen(server.url + path, timeout=10).read()


def load(server: Server, paths: list[str], connections: int, duration: int, threads: int, home: Path) -> dict:
    paths_file = home / f"paths-{server.port}.txt"
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    watch = MemoryWatch(server)
    watch.start()
    result = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
         "-s", str(HERE / "mix.lua"), server.url, "--", str(paths_file)],
        capture_output=True, text=True, check=True,
    )
    watch.running = False
    watch.join()
    line = next(line for line in result.stdout.splitlines() if line.startswith("WRK_JSON "))
    figures = json.loads(line.removeprefix("WRK_JSON "))
    seconds = figures["duration_us"] / 1e6
    errors = sum(figures[key] for key in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    return {
        "requests": figures["requests"],
        "requests_per_s": round(figures["requests"] / seconds, 1),
        "p50_ms": round(figures["p50_us"] / 1000, 2),
        "p90_ms": round(figures["p90_us"] / 1000, 2),
        "p99_ms": round(figures["p99_us"] / 1000, 2),
        "max_ms": round(figures["max_us"] / 1000, 2),
        "errors": errors,
        "worker_peak_rss_mb": sorted(round(value, 1) for value in watch.peaks.values()),
    }


def login_form(server: Server) -> tuple[str, str]:
    """A session cookie and its CSRF token, as a browser gets them from the login page."""
    with urllib.request.urlopen(server.url + "/admin/login", timeout=10) as response:
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode()).group(1)
    return cookie, token


def login_flood(env: dict, workers: int, duration: int, home: Path) -> dict:
    """/privacy alone, then while 8 connections flood the login (one address; many addresses)."""
    server = Server("wsgi:app", {**env, "TRUSTED_PROXIES": "1"}, workers, home / "flood.log")
    figures = {}
    try:
        server.wait_ready("/privacy")
        warm(server, ["/privacy"])
        print(f"login flood: /privacy alone for {duration} s …", flush=True)
        figures["privacy_alone"] = load(server, ["/privacy"], 4, duration, 1, home)
        cookie, token = login_form(server)
        for mode in ("one-address", "spread"):
            print(f"login flood ({mode}): /privacy for {duration} s while 8 connections send wrong passwords …",
                  flush=True)
            flood = subprocess.Popen(
                ["wrk", "-t", "2", "-c", "8", "-d", f"{duration + 2}s", "--timeout", "10s",
                 "-s", str(HERE / "login.lua"), server.url, "--", cookie, token, mode],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            time.sleep(1)
            figures[f"privacy_during_flood_{mode}"] = load(server, ["/privacy"], 4, duration, 1, home)
            output, _ = flood.communicate(timeout=duration + 30)
            line = next((line for line in output.splitlines() if line.startswith("WRK_JSON ")), None)
            if line:
                flooded = json.loads(line.removeprefix("WRK_JSON "))
                figures[f"login_attempts_per_s_{mode}"] = round(flooded["requests"] / (flooded["duration_us"] / 1e6), 1)
    finally:
        server.stop()
    return figures


def print_flood(flood: dict) -> None:
    alone = flood["privacy_alone"]["p99_ms"]
    print("\n/privacy p99 (4 connections), ms:")
    print(f"  alone                                      {alone:>8}")
    for mode in ("one-address", "spread"):
        during = flood[f"privacy_during_flood_{mode}"]
        attempts = flood.get(f"login_attempts_per_s_{mode}", "?")
        print(f"  8 connections flooding login ({mode:11}) {during['p99_ms']:>8}  "
              f"(× {during['p99_ms'] / alone:.2f}; {attempts} login answers/s; errors {during['errors']})")
    print("goal: ≤ 2 × alone")


def encode(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/?=&%")


def flood_seconds(args) -> int:
    return 1 if args.tiny else max(5, args.duration // 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=20, help="seconds of load for each application")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 0)) or None)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--flood-only", action="store_true", help="only the login-flood figures")
    parser.add_argument("--tiny", action="store_true",
                        help="1 s of load each and a 1 s flood, last-run.json left alone (a smoke run)")
    args = parser.parse_args()
    if args.tiny:
        args.duration, args.connections, args.workers = 1, 2, args.workers or 1
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make system-deps` installs it (Debian package wrk)")
    workers = args.workers or min(4, (os.cpu_count() or 1) * 2)  # what portal/gunicorn_conf.py picks
    paths = [encode(path) for path, weight in MIX for _ in range(weight)]

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        home = Path(tmp)
        env = prepare_portal(home)
        results = {}
        if args.flood_only:
            print_flood(login_flood(env, workers, flood_seconds(args), home))
            return
        for name, app, app_paths in (("portal", "wsgi:app", paths), ("hello", "bench.web.hello:app", ["/"])):
            server = Server(app, env, workers, home / f"{name}.log")
            try:
                server.wait_ready(app_paths[0])
                warm(server, sorted(set(app_paths)))
                print(f"{name}: {args.connections} connections for {args.duration} s …", flush=True)
                results[name] = load(server, app_paths, args.connections, args.duration, args.threads, home)
            finally:
                server.stop()
        flood = login_flood(env, workers, flood_seconds(args), home)

    portal, hello = results["portal"], results["hello"]
    ratio = portal["requests_per_s"] / hello["requests_per_s"]
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "workers": workers, "connections": args.connections, "duration_s": args.duration,
        "mix": MIX, "portal": portal, "hello": hello, "throughput_ratio": round(ratio, 3),
        "login_flood": flood,
    }
    print(f"\n{'':24}{'portal':>12}{'hello':>12}")
    for key, label in (("requests_per_s", "requests/s"), ("p50_ms", "p50, ms"), ("p90_ms", "p90, ms"),
                       ("p99_ms", "p99, ms"), ("max_ms", "max, ms"), ("errors", "errors")):
        print(f"{label:24}{portal[key]:>12}{hello[key]:>12}")
    print(f"{'peak RSS per worker, MB':24}{max(portal['worker_peak_rss_mb']):>12}{max(hello['worker_peak_rss_mb']):>12}")
    print(f"\nthroughput ratio portal/hello: {ratio:.2f}  (target ≥ 0.50)")
    print(f"targets: p99 ≤ 100 ms: {'met' if portal['p99_ms'] <= 100 else 'NOT met'}; "
          f"errors 0: {'met' if portal['errors'] == 0 else 'NOT met'}; "
          f"worker ≤ 200 MB: {'met' if max(portal['worker_peak_rss_mb']) <= 200 else 'NOT met'}")
    print_flood(flood)
    if args.tiny:
        return
    (HERE / "last-run.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
