"""/metrics under gunicorn: the workers' counts add up (prometheus_client's multiprocess mode)."""
from __future__ import annotations

import re
import urllib.request

import pytest

pytestmark = pytest.mark.browser


def _count(base: str) -> float:
    text = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
    found = re.search(r'portal_requests_total\{endpoint="web.privacy",method="GET",status="200"\} ([0-9.]+)', text)
    return float(found.group(1)) if found else 0.0


def test_requests_through_every_worker_are_counted_once(live_server):
    before = _count(live_server)
    for _ in range(20):  # spread over both workers
        urllib.request.urlopen(live_server + "/privacy", timeout=10).read()
    assert _count(live_server) - before == 20
