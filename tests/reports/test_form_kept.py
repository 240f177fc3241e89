"""The report form loses nothing and files nothing twice; hostile files cost bounded work."""
from __future__ import annotations

import io
import re
import time
import zipfile

from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.reports.models import Report
from tests.reports.conftest import DESCRIPTION, follow_up, form_tokens, receipt_code, report_form, submit


def _report_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Report.id)))


def test_an_expired_form_comes_back_filled_in_with_the_summary_on_top(app):
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    client = app.test_client()
    data = {**report_form(occurred="去年冬天"), **form_tokens(client),
            "files": [(io.BytesIO(b"%PDF-1.4 evidence"), "证据.pdf")]}
    time.sleep(2.1)  # the reporter took longer than the token's life (whole seconds)
    response = client.post("/report/", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert DESCRIPTION in page and 'value="去年冬天"' in page  # nothing typed is lost
    assert "请重新选择：证据.pdf" in page  # and the page says which files to choose again
    summary = page.index('id="error-summary"')
    assert summary < page.index('class="intro"') and "autofocus" in page[summary - 100:summary + 100]
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert fresh != data["csrf_token"]
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    resend = {**report_form(occurred="去年冬天"), "csrf_token": fresh,
              "form_token": re.search(r'name="form_token" value="([^"]+)"', page).group(1)}
    assert client.post("/report/", data=resend).status_code == 200
    assert _report_count(app) == 1


def test_the_same_form_sent_twice_files_one_report(app):
    client = app.test_client()
    data = {**report_form(), **form_tokens(client)}
    first = client.post("/report/", data=data)
    again = client.post("/report/", data=data)  # a reload of the receipt page, or a double click
    assert first.status_code == 200 and again.status_code == 409
    assert "已经提交过" in again.get_data(as_text=True) and 'aria-label="回执码' not in again.get_data(as_text=True)
    assert _report_count(app) == 1
    assert client.post("/report/", data={**report_form(), **form_tokens(client)}).status_code == 200
    assert _report_count(app) == 2


def test_a_form_without_its_token_is_sent_back_filled_in(app):
    client = app.test_client()
    data = {**report_form(), "csrf_token": form_tokens(client)["csrf_token"]}
    response = client.post("/report/", data=data)
    assert response.status_code == 400 and DESCRIPTION in response.get_data(as_text=True)
    assert _report_count(app) == 0


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def test_a_decompression_bomb_image_is_refused_before_decoding(app):
    bomb = _png(13_000, 13_000)  # 169 megapixels in a small file
    client = app.test_client()
    started = time.monotonic()
    response = submit(client, files=[(io.BytesIO(bomb), "photo.png")])
    elapsed = time.monotonic() - started
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "尺寸过大" in page and DESCRIPTION in page
    assert elapsed < 5, elapsed
    assert _report_count(app) == 0


def test_a_pdf_of_thousands_of_pages_is_refused_within_bounded_time(app):
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(2_000):
        writer.add_blank_page(width=72, height=72)
    out = io.BytesIO()
    writer.write(out)
    started = time.monotonic()
    response = submit(app.test_client(), files=[(io.BytesIO(out.getvalue()), "pages.pdf")])
    assert response.status_code == 400 and "页数或尺寸超过处理限制" in response.get_data(as_text=True)
    assert time.monotonic() - started < 20
    assert _report_count(app) == 0


def test_an_office_file_with_thousands_of_parts_is_refused(app):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        for n in range(2_001):
            archive.writestr(f"word/media/{n}.xml", "")
    response = submit(app.test_client(), files=[(io.BytesIO(out.getvalue()), "letter.docx")])
    assert response.status_code == 400 and "包含的部分过多" in response.get_data(as_text=True)


def test_an_ordinary_photo_still_gets_its_clean_copy(app):
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), "white").save(out, format="JPEG")
    response = submit(app.test_client(), files=[(io.BytesIO(out.getvalue()), "photo.jpg")])
    assert response.status_code == 200
    from portal.reports.models import ReportFile

    with app.app_context():
        assert db.session.scalar(select(ReportFile.clean_storage_name)) is not None


def test_one_receipt_code_adds_a_bounded_number_of_messages_and_files_a_day(app):
    client = app.test_client()
    code = receipt_code(submit(client, files=[(io.BytesIO(b"first evidence"), f"{n}.txt") for n in range(5)]))
    statuses = [follow_up(client, code, action="message", message=f"第 {n} 次补充").status_code for n in range(6)]
    assert statuses == [200] * 5 + [400]
    refused = follow_up(client, code, action="message", message="再补充的一段话").get_data(as_text=True)
    assert "每天最多补充 5 次" in refused and ">再补充的一段话</textarea>" in refused  # the text is kept
    other = receipt_code(submit(app.test_client(), files=[(io.BytesIO(b"x evidence"), f"{n}.txt") for n in range(5)]))
    response = follow_up(client, other, action="message", message="补充文件",
                         files=[(io.BytesIO(b"more evidence"), f"m{n}.txt") for n in range(5)])
    assert response.status_code == 200  # 5 + 5 = the day's 10
    response = follow_up(client, other, action="message", message="更多文件", files=[(io.BytesIO(b"one more"), "z.txt")])
    assert response.status_code == 400 and "每天最多补充 10 个文件" in response.get_data(as_text=True)


def test_every_post_counts_against_a_loose_daily_limit_stored_or_not(app):
    client = app.test_client()
    statuses = [client.post("/report/", data={**report_form(description="太短"), **form_tokens(client)}).status_code
                for _ in range(61)]
    assert set(statuses[:60]) == {400} and statuses[60] == 429


def test_an_expired_supplement_comes_back_with_its_code_and_text(app):
    client = app.test_client()
    code = receipt_code(submit(client))
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    stale = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/report/follow-up").get_data(as_text=True)).group(1)
    time.sleep(2.1)
    supplement = "补充：当天下午三点，窗口二号的工作人员再次要求“意思意思”。"
    response = client.post("/report/follow-up", content_type="multipart/form-data", data={
        "receipt": code, "action": "message", "message": supplement, "csrf_token": stale,
        "files": [(io.BytesIO(b"%PDF-1.4 more"), "补充.pdf")]})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert supplement in page and f'value="{code}"' in page  # neither the code nor the text is lost
    assert "附件需要重新选择" in page
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    again = client.post("/report/follow-up", data={"receipt": code, "action": "message", "message": supplement,
                                                   "csrf_token": fresh}, content_type="multipart/form-data")
    assert again.status_code == 200 and "补充内容已提交" in again.get_data(as_text=True)
