"""Every public page on a phone (390 × 844) and a desktop (1280 × 800), in the real browser: no
page wider than the screen, no list row taller than its content needs (more than 80 px of blank
space inside a .doc-row, line spacing included; the broken layout left ~350 px), no text smaller than 12 px (SVG chart
text as rendered, after the chart is scaled down). Full-page screenshots of each
land in tests/e2e/screenshots/layout-*.png for a person to look at."""
from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_accessibility import PUBLIC_PAGES

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
PAGES = [path for path in PUBLIC_PAGES if not path.startswith("/admin/")] + [
    "/ratings/2024/", "/ratings/2025/v1/", "/search?q=诚信&kind=disclosure",
]

_MEASURE = """() => {
  const overflow = document.documentElement.scrollWidth - window.innerWidth;
  const tallRows = [...document.querySelectorAll('.doc-row')].map(row => {
    const box = row.getBoundingClientRect();
    // The lines of text and the boxes inside the row (not its children's boxes, which the broken
    // layout stretched): what the row's content really needs.
    const parts = [];
    const texts = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
    while (texts.nextNode()) {
      if (!texts.currentNode.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(texts.currentNode);
      parts.push(...[...range.getClientRects()].filter(r => r.height > 0));
    }
    // The height the lines cover (overlapping lines counted once): blank space is the rest.
    let used = 0, reach = -Infinity;
    for (const r of parts.sort((a, b) => a.top - b.top)) {
      if (r.bottom <= reach) continue;
      used += r.bottom - Math.max(r.top, reach);
      reach = r.bottom;
    }
    const style = getComputedStyle(row);
    const blank = box.height - used - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    return {text: row.innerText.slice(0, 30), height: box.height, blank};
  }).filter(row => row.blank > 80);
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const element = node.parentElement;
    if (!element || element.closest('.visually-hidden, .hp, [hidden], script, style, title, desc')) continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    let size = parseFloat(getComputedStyle(element).fontSize);
    const svg = element.closest('svg');
    if (svg && svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
      size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    }
    if (size < 12) small.push(node.textContent.trim().slice(0, 20) + ' (' + size.toFixed(1) + 'px)');
  }
  return {overflow, tallRows, small: small.slice(0, 5)};
}"""


def _name(path: str) -> str:
    readable = re.sub(r"[^0-9A-Za-z]+", "-", path).strip("-") or "home"
    return f"{readable}-{hashlib.sha256(path.encode()).hexdigest()[:6]}"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("path", PAGES)
def test_the_page_fits_the_screen(browser, live_server, path: str, size: str):
    context = browser.new_context(base_url=live_server, viewport=SIZES[size], locale="zh-CN")
    page: Page = context.new_page()
    page.goto(path)
    found = page.evaluate(_MEASURE)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"layout-{_name(path)}-{size}.png", full_page=True)
    context.close()
    assert found["overflow"] <= 0, f"{path} at {size}: {found['overflow']} px wider than the screen"
    assert found["tallRows"] == [], f"{path} at {size}: list rows with blank space {found['tallRows']}"
    assert found["small"] == [], f"{path} at {size}: text under 12 px {found['small']}"


@pytest.mark.parametrize("path", ["/", "/disclosures/", "/ratings/"])
def test_large_text_mode_fits_a_phone(browser, live_server, path: str):
    context = browser.new_context(base_url=live_server, viewport=SIZES["phone"], locale="zh-CN")
    page = context.new_page()
    page.goto("/display?size=large&next=" + path)
    found = page.evaluate(_MEASURE)
    page.screenshot(path=SCREENSHOTS / f"layout-large-{_name(path)}-phone.png", full_page=True)
    context.close()
    assert found["overflow"] <= 0 and found["tallRows"] == [], (path, found)
