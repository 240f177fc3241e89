"""Images cost bounded work per image, per request, per client and day, and per machine (#25.7)."""
from __future__ import annotations

import io
import threading
import time

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.reports import attachments
from portal.reports.models import Report, ReportFile
from tests.reports.conftest import DESCRIPTION, follow_up, receipt_code, submit

BUSY = "附件处理繁忙，请稍后再试，您填写的内容已保留"


def _png(width: int, height: int, mode: str = "1") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _reports(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Report.id)))


@pytest.fixture
def one_slot(monkeypatch):
    """One sanitising slot, as on a two-core machine."""
    monkeypatch.setattr(attachments.SANITISING, "size", 1)


def test_the_issue_payload_is_refused_from_the_headers_without_copying(app, monkeypatch):
    """Five 7300×5470 RGBA PNGs of ~160 KB each: 40 MP each, over the per-image limit."""
    copies = []
    monkeypatch.setattr(attachments, "metadata_free_copy", lambda *a, **k: copies.append(a) or b"")
    big = _png(7300, 5470, "RGBA")
    assert len(big) < 200_000
    started = time.monotonic()
    response = submit(app.test_client(), files=[(io.BytesIO(big), f"{n}.png") for n in range(5)])
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "不超过 2400 万像素" in page and DESCRIPTION in page
    assert copies == [] and _reports(app) == 0
    assert time.monotonic() - started < 5


def test_a_24_megapixel_photo_is_taken_with_its_clean_copy(app):
    photo = io.BytesIO()
    Image.new("RGB", (6000, 4000), "white").save(photo, format="JPEG")
    response = submit(app.test_client(), files=[(io.BytesIO(photo.getvalue()), "phone.jpg")])
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(ReportFile.clean_storage_name)) is not None


def test_when_every_sanitising_slot_is_taken_four_reporters_are_told_at_once_and_keep_their_text(app, one_slot):
    """The attack: four reports with five images each, sent together while another worker copies."""
    images = [_png(2000, 1500, "RGBA") for _ in range(5)]
    statuses, pages = [], []
    start = threading.Barrier(4)

    def send():
        client = app.test_client()
        start.wait()
        response = submit(client, files=[(io.BytesIO(data), f"{n}.png") for n, data in enumerate(images)])
        statuses.append(response.status_code)
        pages.append(response.get_data(as_text=True))

    with attachments.SANITISING.hold():  # another worker is copying
        started = time.monotonic()
        threads = [threading.Thread(target=send) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    assert statuses == [503] * 4
    assert all(BUSY in page and DESCRIPTION in page and "请重新选择：0.png" in page for page in pages)
    assert elapsed < 10, elapsed  # answered, not queued behind the copying
    assert _reports(app) == 0
    # Once the slot is free the same reporter files at once.
    assert submit(app.test_client(), files=[(io.BytesIO(images[0]), "0.png")]).status_code == 200


def test_files_that_need_no_copy_are_taken_while_the_slots_are_busy(app, one_slot):
    with attachments.SANITISING.hold():
        response = submit(app.test_client(), files=[(io.BytesIO("一段证据文字".encode()), "note.txt")])
    assert response.status_code == 200


def test_a_busy_supplement_keeps_its_code_and_text(app, one_slot):
    client = app.test_client()
    code = receipt_code(submit(client))
    with attachments.SANITISING.hold():
        response = follow_up(client, code, action="message", message="补充一张现场照片",
                             files=[(io.BytesIO(_png(800, 600)), "scene.png")])
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and BUSY in page
    assert ">补充一张现场照片</textarea>" in page and code.replace(" ", "")[:4] in page.replace(" ", "")
    with app.app_context():
        assert db.session.scalar(select(func.count(ReportFile.id))) == 0


def test_one_request_copies_at_most_its_pixel_budget(desk_app):
    app = desk_app(upload_pixels_per_request=2_000_000)
    response = submit(app.test_client(), files=[(io.BytesIO(_png(1200, 1000)), f"{n}.png") for n in range(2)])
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "合计超过 200 万像素" in page and DESCRIPTION in page
    assert _reports(app) == 0


def test_one_client_copies_at_most_its_daily_pixel_budget_and_others_are_not_affected(desk_app):
    app = desk_app(upload_pixels_per_day=5_000_000)
    image = _png(2000, 1000)  # 2 MP
    reporter = app.test_client()
    assert submit(reporter, files=[(io.BytesIO(image), "a.png"), (io.BytesIO(image), "b.png")]).status_code == 200
    response = submit(reporter, files=[(io.BytesIO(image), "c.png"), (io.BytesIO(image), "d.png")])
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and "当日处理上限" in page and DESCRIPTION in page
    assert _reports(app) == 1
    # Text and files without pixels still go through; so does another client's image.
    assert submit(reporter).status_code == 200
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert submit(other, files=[(io.BytesIO(image), "e.png")]).status_code == 200


def test_a_busy_refusal_gives_the_pixels_back(desk_app, one_slot):
    app = desk_app(upload_pixels_per_day=3_000_000)
    client = app.test_client()
    image = _png(2000, 1000)
    with attachments.SANITISING.hold():
        for _ in range(3):
            assert submit(client, files=[(io.BytesIO(image), "a.png")]).status_code == 503
    assert submit(client, files=[(io.BytesIO(image), "a.png")]).status_code == 200


def test_one_request_s_copies_stop_at_their_shared_deadline(app, monkeypatch):
    monkeypatch.setattr(attachments, "SANITISING_SECONDS_PER_REQUEST", 0)
    response = submit(app.test_client(), files=[(io.BytesIO(_png(100, 100)), "a.png")])
    assert response.status_code == 400 and "处理超时" in response.get_data(as_text=True)
    assert _reports(app) == 0
