"""bench-log: the publication log's work at 1,000,000 leaves against the same at 10,000, in one run.

    python -m bench.log.run            (make bench-log)
    python -m bench.log.run --tiny     1,000 and 3,000 leaves, a few repetitions, nothing recorded

For each size a fresh SQLite database gets that many generated leaves (canonical JSON as the
portal writes them) and their tiles, a signing key and a checkpoint; then, each repeated and
timed, in-process through the portal's own code and pages:

- one publication's log work: `log.record()` of a new leaf with its commit, then
  `log.sign_checkpoint()` (the consistency check against the signer's memory and the last
  checkpoint, the root, the signature, the commit, the memory's update);
- a tile request (`/log/tile/0/<N>`, a random full tile);
- an inclusion proof (`/log/proof/<random seq>`);
- a consistency proof (`/log/consistency?old=<random>&new=<size>`).

Goal (issue #26): every figure at 1M within 2× of 10k, one publication's log work ≤ 10 ms at 1M.
Also printed: what the root cost before tiles (every leaf hash read and hashed), at each size.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(PROJECT_ROOT))


def generate(size: int) -> None:
    """`size` leaves of a log as record() writes them, and the tiles of their tree."""
    from sqlalchemy import insert

    from portal.extensions import db
    from portal.publication import log, tlog

    hashes = []
    for start in range(0, size, 50_000):
        rows = []
        for seq in range(start, min(size, start + 50_000)):
            digest = f"{seq:064x}"
            leaf = log.canonical_json({"seq": seq, "kind": "disclosure", "id": f"notice-{seq}", "version": 1,
                                       "action": "published", "sha256": digest, "published_at": "2026-01-01",
                                       "supersedes": None})
            leaf_hash = tlog.leaf_hash(leaf)
            hashes.append(leaf_hash)
            rows.append({"seq": seq, "kind": "disclosure", "item": f"notice-{seq}", "version": 1, "action": "published",
                         "sha256": digest, "published_on": dt.date(2026, 1, 1), "supersedes": None,
                         "leaf": leaf.decode(), "leaf_hash": leaf_hash.hex()})
        db.session.execute(insert(log.LogEntry), rows)
    db.session.add(log.LogHead(id=1, size=size))
    log.rebuild_tiles(hashes)
    db.session.commit()


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 2)}


def timed(work, repetitions: int) -> dict:
    samples = []
    for _ in range(repetitions):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def measure(size: int, repetitions: int, home: Path) -> dict:
    from portal import create_app
    from portal.extensions import db
    from portal.publication import log, tlog

    app = create_app({"env": "testing", "secret_key": secrets.token_hex(16),
                      "database_url": f"sqlite:///{home / f'log-{size}.sqlite3'}", "files_dir": home / "files",
                      "search_index_dir": home / "search_index", "log_key_file": home / f"log-{size}.key",
                      "public_base_url": "http://bench.example"})
    pick = random.Random(size)
    figures: dict = {"leaves": size}
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        generate(size)
        figures["generate_s"] = round(time.perf_counter() - started, 1)
        log.create_key(app.extensions["portal.settings"].log_key_file, "http://bench.example")
        log.sign_checkpoint()
        counter = iter(range(10**9))

        def publication():
            log.record("disclosure", f"new-{next(counter)}", secrets.token_bytes(64), dt.date(2026, 12, 4))
            db.session.commit()
            log.sign_checkpoint()

        figures["publication"] = timed(publication, repetitions)
        # What the root cost before tiles: every leaf hash read from the database, then hashed.
        figures["root_from_every_leaf"] = timed(lambda: tlog.root(log.leaf_hashes()), max(3, repetitions // 10))
        signed = log.latest_checkpoint().size
    client = app.test_client()

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    full_tiles = signed // tlog.TILE_WIDTH
    figures["tile"] = timed(lambda: get(f"/log/{tlog.tile_path(0, pick.randrange(full_tiles))}"), repetitions)
    figures["inclusion_proof"] = timed(lambda: get(f"/log/proof/{pick.randrange(signed)}"), repetitions)
    figures["consistency_proof"] = timed(lambda: get(f"/log/consistency?old={pick.randrange(1, signed)}&new={signed}"),
                                         repetitions)
    with app.app_context():
        db.engine.dispose()
    return figures


ROWS = [("publication", "one publication (leaf + checkpoint)"), ("tile", "tile request"),
        ("inclusion_proof", "inclusion proof"), ("consistency_proof", "consistency proof"),
        ("root_from_every_leaf", "root from every leaf (before tiles)")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="1,000 and 3,000 leaves, nothing recorded")
    parser.add_argument("--repetitions", type=int, default=200)
    args = parser.parse_args()
    small, large = (1_000, 3_000) if args.tiny else (10_000, 1_000_000)
    repetitions = 5 if args.tiny else args.repetitions
    with tempfile.TemporaryDirectory(prefix="bench-log-") as tmp:
        results = {}
        for size in (small, large):
            print(f"{size:,} leaves: generating and measuring …", flush=True)
            results[size] = measure(size, repetitions, Path(tmp))
    print(f"\nPublication log, p95 ms ({repetitions} repetitions each)   {small:>10,} {large:>12,}   ratio")
    for key, label in ROWS:
        a, b = results[small][key]["p95_ms"], results[large][key]["p95_ms"]
        print(f"  {label:42} {a:>10} {b:>12}   {b / a if a else float('inf'):.2f}")
    publication = results[large]["publication"]["p95_ms"]
    worst = max(results[large][k]["p95_ms"] / results[small][k]["p95_ms"] for k, _ in ROWS[:4])
    print(f"goal: every figure at {large:,} ≤ 2 × {small:,} (worst {worst:.2f}); one publication ≤ 10 ms at "
          f"{large:,} ({publication} ms)")
    if args.tiny:
        return
    record = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
              "repetitions": repetitions, "results": {str(k): v for k, v in results.items()}}
    (HERE / "last-run.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
