"""bench-abuse: /privacy's latency alone, and while four clients repeat the dearest things an
anonymous visitor can ask of the portal (issue #25, items 7 and 8), measured in the same run.

    python -m bench.abuse.run [--duration 15]
    python -m bench.abuse.run --tiny      a few seconds, nothing recorded (`make test` runs it)

The attacks, each by four clients in a loop, each request from a new address (X-Forwarded-For
through the one trusted proxy: a distributed attacker, whom no per-client limit stops):

1. uploads, the issue's payload: a report with five 7,300 × 5,470 RGBA PNGs of ~160 KB each;
2. uploads at the limits: five RGBA PNGs of 5,600 × 4,200 (23.5 MP, just under the per-image
   limit; 118 MP together, just under the per-request budget), the most copying one request
   can ask for;
3. search: a new query of 66 two-character words no document contains, each time;

and 4., the same search flood from one address (where the per-client search limit answers).
The portal runs under gunicorn with the shipped settings (portal/gunicorn_conf.py), on the demo
content, with the report desk open. bench/README.md explains the figures.
"""
from __future__ import annotations

import argparse
import collections
import http.client
import io
import json
import os
import platform
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from bench.web.run import PROJECT_ROOT, Server, load, prepare_portal, warm

HERE = Path(__file__).resolve().parent
GOAL = 2.0  # /privacy's p99 under attack, as a multiple of its p99 alone
DESCRIPTION = "某科室工作人员在办理行政审批时超过承诺时限仍未办结，并暗示需要请客送礼，特此举报，请依法调查处理。"


def png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 30, 30, 255)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def unknown_words(count: int, pick: random.Random) -> str:
    """`count` random two-character words the segmenter keeps whole (and no notice contains)."""
    from portal.search.analysis import segmenter

    words: list[str] = []
    while len(words) < count:
        word = chr(pick.randrange(0x4E00, 0x9FA5)) + chr(pick.randrange(0x4E00, 0x9FA5))
        if segmenter().words(word) == [word] and word not in words:
            words.append(word)
    return " ".join(words)


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis(socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def new_address(pick: random.Random) -> str:
    return f"10.{pick.randrange(256)}.{pick.randrange(256)}.{pick.randrange(1, 255)}"


class Attacker(threading.Thread):
    """One client repeating one attack until told to stop; counts the answers by status."""

    def __init__(self, server: Server, attack, stop: threading.Event, seed: int):
        super().__init__(daemon=True)
        self.server, self.attack, self.stop = server, attack, stop
        self.pick = random.Random(seed)
        self.statuses: collections.Counter = collections.Counter()
        self.seconds: list[float] = []

    def run(self) -> None:
        while not self.stop.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
            started = time.monotonic()
            try:
                status = self.attack(connection, self.pick)
            except OSError as exc:
                status = type(exc).__name__
            finally:
                connection.close()
            self.statuses[status] += 1
            self.seconds.append(time.monotonic() - started)


def _get(connection, path: str, headers: dict) -> tuple[int, str, dict]:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    return response.status, response.read().decode("utf-8", "replace"), dict(response.getheaders())


def uploader(files: list[bytes]):
    """An attack that files a report with `files`, as a browser does: the form, then the POST."""
    def attack(connection, pick: random.Random):
        headers = {"X-Forwarded-For": new_address(pick)}
        status, page, response_headers = _get(connection, "/report/", headers)
        if status != 200:
            return f"form {status}"
        cookie = response_headers.get("Set-Cookie", "").split(";", 1)[0]
        fields = {
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "form_token": re.search(r'name="form_token" value="([^"]+)"', page).group(1),
            "category": "approval_delay", "department": "office", "occurred": "2026年10月中旬",
            "description": DESCRIPTION, "anonymity": "anonymous", "contact": "",
        }
        boundary = uuid.uuid4().hex
        body = io.BytesIO()
        for name, value in fields.items():
            body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for number, data in enumerate(files):
            body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="photo{number}.png"\r\n'
                       "Content-Type: image/png\r\n\r\n".encode())
            body.write(data + b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
        connection.request("POST", "/report/", body=body.getvalue(), headers={
            **headers, "Cookie": cookie, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        response = connection.getresponse()
        response.read()
        return response.status
    return attack


def searcher(spread: bool):
    fixed = "10.77.0.1"

    def attack(connection, pick: random.Random):
        headers = {"X-Forwarded-For": new_address(pick) if spread else fixed}
        return _get(connection, "/search?q=" + quote(unknown_words(66, pick)), headers)[0]
    return attack


def under_attack(server: Server, attack, duration: int, home: Path, seed: int) -> dict:
    stop = threading.Event()
    attackers = [Attacker(server, attack, stop, seed * 10 + n) for n in range(4)]
    for attacker in attackers:
        attacker.start()
    time.sleep(1)  # the attack is under way before the measurement starts
    try:
        figures = load(server, ["/privacy"], 4, duration, 1, home)
    finally:
        stop.set()
        for attacker in attackers:
            attacker.join(timeout=90)
    statuses = collections.Counter()
    seconds = []
    for attacker in attackers:
        statuses.update(attacker.statuses)
        seconds += attacker.seconds
    seconds.sort()
    figures["attack_answers"] = {str(status): count for status, count in sorted(statuses.items(), key=str)}
    figures["attack_median_s"] = round(seconds[len(seconds) // 2], 3) if seconds else None
    return figures


def query_cost(server: Server, pick: random.Random, rounds: int) -> dict:
    """The time of one search alone: an ordinary one (new each time, so uncached) and one of 66
    unknown words, sequentially, each from a new address."""
    def timed(path: str) -> float:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        started = time.monotonic()
        _get(connection, path, {"X-Forwarded-For": new_address(pick)})
        connection.close()
        return time.monotonic() - started

    ordinary = sorted(timed("/search?q=" + quote(f"诚信 {n}")) for n in range(rounds))
    costly = sorted(timed("/search?q=" + quote(unknown_words(66, pick))) for _ in range(rounds))
    return {"ordinary_ms": round(ordinary[len(ordinary) // 2] * 1000, 1),
            "sixty_six_unknown_words_ms": round(costly[len(costly) // 2] * 1000, 1)}


ATTACKS = [
    ("uploads_issue_payload", "4 clients uploading 5 × 7300×5470 PNG"),
    ("uploads_at_the_limits", "4 clients uploading 5 × 23.5 MP PNG   "),
    ("search_spread", "4 clients, 66 unknown words, new address"),
    ("search_one_address", "4 clients, 66 unknown words, one address"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds of measurement for each phase")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 0)) or None)
    parser.add_argument("--tiny", action="store_true", help="1 s phases with small images, nothing recorded")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: `make system-deps` installs it (Debian package wrk)")
    duration = 1 if args.tiny else args.duration
    workers = args.workers or min(4, (os.cpu_count() or 1) * 2)  # what portal/gunicorn_conf.py picks
    issue_payload = [png(7300, 5470)] * 5
    at_limits = [png(1200, 900) if args.tiny else png(5600, 4200)] * 5
    pick = random.Random(25)

    with tempfile.TemporaryDirectory(prefix="bench-abuse-") as tmp:
        home = Path(tmp)
        env = prepare_portal(home)
        subprocess.run([sys.executable, "-m", "flask", "reports", "init-key", "--passphrase",
                        "bench " + secrets.token_urlsafe(16)], env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
        # As deployed: limits shared by every worker in Redis (each worker would count alone in
        # memory), under a prefix of this run's own.
        limits = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
                  "RATELIMIT_KEY_PREFIX": "bench-abuse-" + secrets.token_hex(4)} if redis_reachable() else {}
        if not limits:
            print("Redis is not reachable at 127.0.0.1:6379: each worker counts the limits alone", flush=True)
        server = Server("wsgi:app", {**env, "TRUSTED_PROXIES": "1", "WORK_SLOTS_DIR": str(home / "slots"), **limits},
                        workers, home / "abuse.log")
        results: dict = {}
        try:
            server.wait_ready("/privacy")
            warm(server, ["/privacy", "/search?q=%E8%AF%9A%E4%BF%A1"])
            print(f"/privacy alone for {duration} s …", flush=True)
            results["privacy_alone"] = load(server, ["/privacy"], 4, duration, 1, home)
            attacks = {"uploads_issue_payload": uploader(issue_payload), "uploads_at_the_limits": uploader(at_limits),
                       "search_spread": searcher(spread=True), "search_one_address": searcher(spread=False)}
            for seed, (name, label) in enumerate(ATTACKS):
                print(f"/privacy for {duration} s while {label.strip()} …", flush=True)
                results[name] = under_attack(server, attacks[name], duration, home, seed)
            results["query_cost"] = query_cost(server, pick, 3 if args.tiny else 15)
        finally:
            server.stop()

    alone = results["privacy_alone"]["p99_ms"]
    print(f"\n/privacy p99 (4 connections), ms        {'p99':>8}  {'× alone':>8}  {'errors':>6}   attack answers (median s)")
    print(f"  alone                                  {alone:>8}  {'':>8}  {results['privacy_alone']['errors']:>6}")
    for name, label in ATTACKS:
        during = results[name]
        print(f"  {label:39}{during['p99_ms']:>8}  {during['p99_ms'] / alone:>8.2f}  {during['errors']:>6}   "
              f"{during['attack_answers']} ({during['attack_median_s']})")
    print(f"goal: ≤ {GOAL:.0f} × alone")
    cost = results["query_cost"]
    print(f"\none search alone, median ms: ordinary {cost['ordinary_ms']}, 66 unknown words "
          f"{cost['sixty_six_unknown_words_ms']} (× {cost['sixty_six_unknown_words_ms'] / cost['ordinary_ms']:.1f})")
    if args.tiny:
        return
    record = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
              "workers": workers, "duration_s": duration, **results}
    (HERE / "last-run.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
