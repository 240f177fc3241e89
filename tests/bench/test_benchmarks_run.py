"""The benchmarks cannot rot: a tiny run of each (`--tiny`: a few seconds, nothing recorded) goes
through every phase of the real one. Their figures are not asserted — a timed test measures the
machine it runs on — only that each phase ran, printed its table and left the recorded run alone."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_tiny(module: str) -> str:
    recorded = ROOT / "bench" / module.split(".")[1] / "last-run.json"
    before = recorded.read_bytes() if recorded.exists() else None
    finished = subprocess.run([sys.executable, "-m", module, "--tiny"], cwd=ROOT, capture_output=True, text=True,
                              timeout=240)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    assert (recorded.read_bytes() if recorded.exists() else None) == before  # a smoke run records nothing
    return finished.stdout


def test_the_search_benchmark_runs_every_phase():
    output = run_tiny("bench.search.run")
    assert "Search benchmark: 200 documents" in output
    for row in ("indexing, docs/s", "common term", "quoted phrase", "all queries", "matches per type"):
        assert row in output


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is installed by `make system-deps`")
def test_the_web_benchmark_runs_the_portal_hello_and_the_login_flood():
    output = run_tiny("bench.web.run")
    for line in ("requests/s", "throughput ratio portal/hello", "errors", "/privacy p99", "flooding login (spread"):
        assert line in output


def test_the_hosts_benchmark_runs_every_phase():
    from tests.deploy.cluster import available

    reason = available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the hosts benchmark must run in CI: {reason}")
        pytest.skip(reason)
    output = run_tiny("bench.hosts.run")
    for line in ("on the other host (b)", "mirror (nginx, static files)", "throughput ratio mirror/app", "restore"):
        assert line in output


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is installed by `make system-deps`")
def test_the_abuse_benchmark_runs_every_attack():
    output = run_tiny("bench.abuse.run")
    for line in ("alone", "uploading 5 × 7300×5470 PNG", "uploading 5 × 23.5 MP PNG", "new address", "one address",
                 "66 unknown words"):
        assert line in output


def test_the_log_benchmark_runs_every_phase():
    output = run_tiny("bench.log.run")
    for line in ("one publication (leaf + checkpoint)", "tile request", "inclusion proof", "consistency proof",
                 "root from every leaf (before tiles)", "goal: every figure"):
        assert line in output
