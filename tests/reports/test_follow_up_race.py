"""The daily limit on a receipt code's files holds when follow-ups arrive at the same moment
(#25, item 9): on PostgreSQL, five requests released together with four files each attached 20
files for one code (limit 10) because each counted before any had written."""
from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.reports import services
from portal.reports.models import ReportFile
from tests.reports.conftest import csrf, receipt_code, submit


@pytest.fixture
def database_url(request):
    """PostgreSQL, where requests really run side by side (SQLite takes one writer at a time)."""
    return request.getfixturevalue("postgres_schema_url")


def test_concurrent_follow_ups_cannot_pass_the_daily_file_limit(app):
    code = receipt_code(submit(app.test_client()))
    senders = 5
    clients = [app.test_client() for _ in range(senders)]
    tokens = [csrf(client, "/report/follow-up") for client in clients]
    barrier = threading.Barrier(senders)
    statuses = []

    def send(client, token):
        files = [(io.BytesIO(f"evidence {n}".encode()), f"{n}.txt") for n in range(4)]
        barrier.wait()
        response = client.post("/report/follow-up", content_type="multipart/form-data", data={
            "receipt": code, "action": "message", "message": "同时补充的材料", "csrf_token": token, "files": files})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=pair) for pair in zip(clients, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(ReportFile))
    assert stored <= services.MAX_REPORTER_FILES_PER_DAY, statuses
    assert sorted(statuses) == [200, 200, 400, 400, 400]  # two fit (8 files), three are told why
