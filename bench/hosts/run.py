"""bench-hosts: the multi-host figures of #19, in one run on the two-host cluster of tests/deploy
(network namespaces, nginx with deploy/nginx/portal.conf; needs root).

    python -m bench.hosts.run [--publications 50] [--duration 10]
    python -m bench.hosts.run --tiny     a few publications and 1 s loads, nothing recorded

1. Publication → searchable on the other host: a notice published (committed) through host a's
   code, then searched through host b every 20 ms; p50/p95/max over N publications. Baseline in
   the same run: the same publication searched through host a itself.
2. The static mirror served by nginx against the application (both hosts, page cache warm), the
   same page under the same wrk load: requests/s and their ratio.
3. Backup and restore of the demo deployment (PostgreSQL): seconds for each.
"""
from __future__ import annotations

import argparse
import json
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(PROJECT_ROOT))

from tests.conftest import CONTENT_DIR, private_postgres_schema  # noqa: E402
from tests.deploy.cluster import Cluster, available  # noqa: E402

PAGE = "/disclosures/2020-integrity-plan"


def found(cluster: Cluster, host: str, words: str, title: str) -> bool:
    from bs4 import BeautifulSoup

    visitor = f"192.168.{random.randrange(256)}.{random.randrange(1, 255)}"  # many visitors: none over the search limit
    status, _, body = cluster.request(host, "GET", f"/search?q={quote(chr(34) + words + chr(34))}", client=visitor)
    return status == 200 and title in [a.get_text() for a in BeautifulSoup(body.decode(), "html.parser").select(".hit-title")]


def publications(cluster: Cluster, count: int) -> dict:
    """Seconds from commit to found, through b (the other host) and through a (the same one)."""
    from portal import create_app
    from portal.files import file_store
    from portal.publication.content import import_content

    app = create_app({"database_url": cluster.database_url, "search_index_dir": cluster.workdir / "bench-index",
                      "search_follower": True, "secret_key": cluster.env["SECRET_KEY"],
                      "receipt_pepper": cluster.env["RECEIPT_PEPPER"], "public_base_url": cluster.public,
                      "env": "testing"})
    folder = cluster.workdir / "bench-content"
    other, same = [], []
    for n in range(count):
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "disclosures").mkdir(parents=True)
        shutil.copy(CONTENT_DIR / "departments.yaml", folder / "departments.yaml")
        word = "基准" + "".join("零一二三四五六七八九"[int(d)] for d in f"{n:03d}") + "号演练"
        title = f"关于{word}的通知"
        (folder / "disclosures" / f"bench-{n}.md").write_text(
            f"---\nslug: bench-{n}\ntitle: {title}\nindex_no: BENCH-{n}\npublisher: 梅州市应急管理局\n"
            "published_on: 2026-11-20\ntopic: 政务诚信\ndisclosure_mode: 主动公开\n---\n\n基准测试正文。\n",
            encoding="utf-8")
        with app.app_context():
            import_content(folder, file_store())  # committed (and announced) when it returns
        committed = time.monotonic()
        seen = {}
        while len(seen) < 2 and time.monotonic() < committed + 30:
            for host in ("b", "a"):
                if host not in seen and found(cluster, host, word, title):
                    seen[host] = time.monotonic() - committed
            time.sleep(0.02)
        other.append(seen.get("b", float("inf")))
        same.append(seen.get("a", float("inf")))
    return {"other_host": summary(other), "same_host_baseline": summary(same), "count": count}


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 3),
            "p95": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 3), "max": round(ordered[-1], 3)}


def wrk(url: str, duration: int) -> dict:
    output = subprocess.run(["wrk", "-t2", "-c32", f"-d{duration}s", "--latency", url], capture_output=True,
                            text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"requests_per_s": rate, "non_2xx": int(non_2xx.group(1)) if non_2xx else 0}


def mirror_against_app(cluster: Cluster, duration: int) -> dict:
    cluster.flask(None, "mirror", "build", str(cluster.workdir / "mirror"))
    url = cluster.public + PAGE
    wrk(url, 1)  # warm the page caches of both hosts
    app = wrk(url, duration)
    cluster.kill_host("a")
    cluster.kill_host("b")
    status, headers, _ = cluster.request("lb", "GET", PAGE)
    assert status == 200 and headers.get("x-portal-mirror") == "1", (status, headers)
    mirror = wrk(url, duration)
    return {"app": app, "mirror": mirror, "ratio": round(mirror["requests_per_s"] / app["requests_per_s"], 1)}


def backup_and_restore(tiny: bool) -> dict:
    from portal import create_app
    from portal.backup import create, restore
    from portal.extensions import db
    from portal.files import file_store
    from portal.publication.content import import_content

    with tempfile.TemporaryDirectory() as folder, private_postgres_schema() as url:
        app = create_app({"database_url": url, "env": "testing", "secret_key": "bench", "receipt_pepper": "bench",
                          "search_index_dir": Path(folder) / "index", "files_dir": Path(folder) / "files"})
        with app.app_context():
            db.create_all()
            import_content(CONTENT_DIR, file_store())
            started = time.monotonic()
            create(Path(folder) / "backup")
            created = time.monotonic() - started
            db.session.remove()
            db.drop_all()
            started = time.monotonic()
            restore(Path(folder) / "backup")
            restored = time.monotonic() - started
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return {"backup_s": round(created, 2), "restore_s": round(restored, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--publications", type=int, default=50)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--tiny", action="store_true", help="3 publications, 1 s loads, nothing recorded")
    args = parser.parse_args()
    if args.tiny:
        args.publications, args.duration = 3, 1
    reason = available()
    if reason:
        raise SystemExit(f"bench-hosts cannot run here: {reason}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-hosts-"))
    shutil.copytree(CONTENT_DIR, workdir / "content")
    with private_postgres_schema() as url:
        cluster = Cluster(workdir, url)
        try:
            cluster.start(workdir / "content")
            published = publications(cluster, args.publications)
            served = mirror_against_app(cluster, args.duration)
        finally:
            cluster.stop()
    restored = backup_and_restore(args.tiny)
    shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nMulti-host benchmark ({platform.machine()}, {args.publications} publications, {args.duration} s loads)")
    print(f"{'publication → searchable':<34}{'p50 s':>8}{'p95 s':>8}{'max s':>8}")
    for label, key in (("on the other host (b)", "other_host"), ("on the same host (a), baseline", "same_host_baseline")):
        row = published[key]
        print(f"  {label:<32}{row['p50']:>8.2f}{row['p95']:>8.2f}{row['max']:>8.2f}")
    print(f"{'same page, same wrk load':<34}{'req/s':>10}{'non-2xx':>9}")
    for label in ("app", "mirror"):
        print(f"  {label + (' (gunicorn ×2, page cache warm)' if label == 'app' else ' (nginx, static files)'):<32}"
              f"{served[label]['requests_per_s']:>10.0f}{served[label]['non_2xx']:>9}")
    print(f"  throughput ratio mirror/app {served['ratio']:>7}×")
    print(f"backup of the demo deployment {restored['backup_s']:>6.2f} s; restore {restored['restore_s']:>6.2f} s")
    if not args.tiny:
        report = {"machine": platform.machine(), "publications": published, "served": served, "restore": restored}
        (HERE / "last-run.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
