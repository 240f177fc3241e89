"""The check on /log/, in chromium: a downloaded file's SHA-256 computed in the browser, the
checkpoint's Ed25519 signature and the inclusion proof verified there (#26.4)."""
from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser


def _check(page: Page, path=None, sha256: str = "") -> str:
    page.goto("/log/")
    form = page.locator("#log-check")
    expect(form).to_be_visible()  # shown by its script; hidden without JavaScript
    if path is not None:
        page.get_by_label("文件").set_input_files(str(path))
    if sha256:
        page.get_by_label("或粘贴 SHA-256").fill(sha256)
    page.get_by_role("button", name="核对").click()
    result = page.locator("#log-check-result")
    expect(result).not_to_have_text(re.compile("^(|正在核对…)$"))
    return result.inner_text()


def test_a_downloaded_file_is_found_in_the_signed_log(page: Page, tmp_path):
    data = page.request.get("/ratings/2024.csv").body()
    (tmp_path / "2024.csv").write_bytes(data)
    text = _check(page, tmp_path / "2024.csv")
    assert re.fullmatch(r"已核对：第 \d+ 条，包含在 \d{4}-\d{2}-\d{2} 签名的日志中（共 \d+ 条，127\.0\.0\.1:\d+/log）。", text), text
    screenshot(page, "log-check-found")


def test_a_file_changed_by_one_byte_is_not_found(page: Page, tmp_path):
    data = bytearray(page.request.get("/ratings/2024.csv").body())
    data[-2] ^= 1
    (tmp_path / "2024.csv").write_bytes(bytes(data))
    text = _check(page, tmp_path / "2024.csv")
    assert text.startswith("未核对通过：本日志中没有这个 SHA-256") and hashlib.sha256(data).hexdigest() in text
    screenshot(page, "log-check-changed")


def test_a_hash_from_another_log_is_not_found(page: Page):
    other = hashlib.sha256(b"a notice published by another portal's log").hexdigest()
    assert _check(page, sha256=other).startswith("未核对通过：本日志中没有这个 SHA-256")


def test_a_pasted_hash_of_a_published_item_is_found(page: Page):
    digest = hashlib.sha256(page.request.get("/ratings/2024.csv").body()).hexdigest()
    assert _check(page, sha256=digest.upper()).startswith("已核对：第 ")


def test_a_verifier_key_whose_base64_holds_a_plus_is_read_whole(page: Page):
    """The key's base64 part may contain "+" (the separator of its fields): the first CI run of
    this check met one. The page's key is replaced by one that does, signing nothing: the check
    must get as far as the signature (and refuse it), not stop at the key's format."""
    from portal.publication import tlog

    public = next(bytes([n]) * 32 for n in range(256)
                  if "+" in tlog.verifier_key("127.0.0.1/log", bytes([n]) * 32).split("+", 2)[2])
    key = tlog.verifier_key("127.0.0.1/log", public)
    assert "+" in key.split("+", 2)[2]
    page.goto("/log/")
    page.evaluate("key => { document.getElementById('log-check').dataset.key = key; }", key)
    page.get_by_label("或粘贴 SHA-256").fill("0" * 64)
    page.get_by_role("button", name="核对").click()
    result = page.locator("#log-check-result")
    expect(result).not_to_have_text(re.compile("^(|正在核对…)$"))
    assert "公钥格式不对" not in result.inner_text()
