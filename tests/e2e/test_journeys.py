"""The main paths of the portal in a real browser, with the site's own CSP in force."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import STAFF_PASSWORD, screenshot

pytestmark = pytest.mark.browser


def test_home_to_catalogue_to_a_disclosure(page: Page):
    page.goto("/")
    expect(page.locator("h1").first).to_be_visible()
    screenshot(page, "home")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="政府信息公开").click()
    expect(page).to_have_url(re.compile(r"/disclosures/$"))
    screenshot(page, "catalogue")
    page.get_by_role("link", name=re.compile("加强政务系统诚信建设实施方案")).first.click()
    expect(page.locator("table.metadata")).to_contain_text("梅市应急〔2020〕52号")
    expect(page.locator("h1")).to_contain_text("加强政务系统诚信建设实施方案")
    screenshot(page, "disclosure")


def _result_count(page: Page) -> int:
    return int(re.search(r"(\d+)", page.locator("#results-heading").inner_text()).group(1))


def test_search_and_narrow_by_a_facet(page: Page):
    page.goto("/")
    page.get_by_label("站内搜索").fill("诚信")
    page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(r"/search\?q="))
    before = _result_count(page)
    assert before > 1
    screenshot(page, "search")
    year = page.locator(".facets section", has_text="年份").get_by_role("link").first
    facet_count = int(re.search(r"（(\d+)）", year.inner_text()).group(1))
    year.click()
    expect(page.locator(".facets strong[aria-current]")).to_be_visible()
    assert _result_count(page) == facet_count <= before
    expect(page.locator(".hit").first).to_be_visible()


def _login(page: Page, username: str, password: str) -> None:
    page.goto("/admin/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="下一步").click()


def _enrol(page: Page) -> pyotp.TOTP:
    """Scan the QR code, as a phone would (here: read the secret printed under it)."""
    expect(page.locator("h1")).to_have_text("启用两步验证")
    expect(page.locator(".qr-code svg")).to_be_visible()
    authenticator = pyotp.TOTP("".join(page.locator("code.secret").inner_text().split()))
    page.get_by_label("6 位验证码").fill(authenticator.now())
    page.get_by_role("button", name="完成绑定并登录").click()
    return authenticator


def _next_code(authenticator: pyotp.TOTP) -> str:
    # The current code was just used (each works once); the next 30-second step's is accepted
    # as clock drift, so the test does not wait for a new one.
    return authenticator.at(time.time() + 30)


def _create_account(page: Page, username: str, name: str, role_label: str) -> None:
    page.goto("/admin/users/new")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("姓名").fill(name)
    page.get_by_label("初始密码").fill("initial " + STAFF_PASSWORD)
    page.get_by_label(role_label, exact=True).check()
    page.get_by_role("button", name="创建账号").click()
    expect(page.locator(".flash-success")).to_contain_text(username)


def _new_staff_member(browser, live_server, username: str) -> Page:
    """A new account's first visit: initial password, two-factor enrolment, its own password,
    then signing in again with the new password and the next code."""
    page = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}).new_page()
    _login(page, username, "initial " + STAFF_PASSWORD)
    authenticator = _enrol(page)
    expect(page.locator("h1")).to_have_text("修改密码")
    page.get_by_label("当前密码").fill("initial " + STAFF_PASSWORD)
    page.locator("#f-new_password").fill("own " + STAFF_PASSWORD)
    page.get_by_label("再次输入新密码").fill("own " + STAFF_PASSWORD)
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator(".flash-success")).to_contain_text("密码已修改")
    _login(page, username, "own " + STAFF_PASSWORD)
    page.get_by_label("6 位验证码").fill(_next_code(authenticator))
    page.get_by_role("button", name="登录").click()
    expect(page.locator("h1")).to_have_text("后台首页")
    return page


TITLE = "关于开展2026年度防汛应急演练的通知"


def test_back_office_publication_from_first_administrator_to_citizen(page: Page, browser, live_server):
    # The administrator created on the command line enrols two-factor login at the first visit.
    _login(page, "chief", STAFF_PASSWORD)
    _enrol(page)
    expect(page.locator("h1")).to_have_text("后台首页")
    screenshot(page, "admin-dashboard")
    _create_account(page, "e2e.editor", "王编辑", "编辑")
    _create_account(page, "e2e.reviewer", "李审核", "审核人")

    editor = _new_staff_member(browser, live_server, "e2e.editor")
    editor.get_by_role("link", name="撰写新的公开文件").first.click()
    editor.get_by_label("网址标识").fill("2026-flood-drill-notice")
    editor.get_by_label("标题").fill(TITLE)
    editor.get_by_label("索引号").fill("MZYJ-2026-00200")
    editor.locator("#f-doc_no").fill("梅市应急〔2026〕200号")
    editor.get_by_label("成文日期").fill("2026-11-20")
    editor.get_by_label("主题分类").fill("应急管理")
    editor.get_by_label("办公室").check()
    editor.get_by_label("正文（Markdown）").fill("## 一、演练时间\n\n2026年12月上旬。\n\n## 二、参加单位\n\n局机关各科室、矿山救援队。\n")
    editor.get_by_role("button", name="预览").click()
    expect(editor.locator(".preview")).to_contain_text("演练时间")
    screenshot(editor, "admin-draft-preview")
    editor.get_by_role("button", name="保存草稿").click()
    expect(editor.locator(".flash-success")).to_contain_text("草稿已保存")
    editor.get_by_label("文件（PDF").set_input_files(
        files=[{"name": "演练方案.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}])
    editor.get_by_role("button", name="上传附件").click()
    expect(editor.locator(".flash-success")).to_contain_text("附件已上传")
    editor.get_by_role("button", name="提交审核").click()
    expect(editor.locator(".draft-state")).to_contain_text("待审核")

    reviewer = _new_staff_member(browser, live_server, "e2e.reviewer")
    reviewer.get_by_role("link", name=TITLE).click()
    screenshot(reviewer, "admin-review")
    reviewer.get_by_role("button", name="批准并发布").click()
    expect(reviewer).to_have_url(re.compile(r"/disclosures/2026-flood-drill-notice$"))

    # The citizen, with no session at all: the page, the attachment, the feed, search.
    citizen = browser.new_context(base_url=live_server).new_page()
    citizen.goto("/disclosures/2026-flood-drill-notice")
    expect(citizen.locator("table.metadata")).to_contain_text("梅市应急〔2026〕200号")
    expect(citizen.locator(".attachments")).to_contain_text("演练方案")
    assert TITLE in citizen.request.get("/disclosures.atom").text()
    citizen.goto("/search?q=防汛应急演练")
    expect(citizen.locator(".hit").first).to_contain_text("防汛应急演练")

    # A correction, reviewed the same way, then shown in the history (修订记录).
    editor.goto("/admin/disclosures")
    editor.get_by_role("row", name=re.compile(TITLE)).get_by_role("button", name="发起更正").click()
    editor.get_by_label("更正原因").fill("演练时间调整为12月中旬")
    editor.get_by_label("正文（Markdown）").fill("## 一、演练时间\n\n2026年12月中旬。\n\n## 二、参加单位\n\n局机关各科室、矿山救援队。\n")
    editor.get_by_role("button", name="保存草稿").click()
    editor.get_by_role("button", name="提交审核").click()
    reviewer.goto("/admin/drafts")
    reviewer.get_by_role("link", name=TITLE).click()
    reviewer.get_by_role("button", name="批准并发布").click()

    citizen.goto("/disclosures/2026-flood-drill-notice")
    history = citizen.locator(".revisions")
    expect(history).to_contain_text("演练时间调整为12月中旬")
    expect(history).to_contain_text("第 2 版")
    expect(citizen.locator(".document-body")).to_contain_text("12月中旬")
    screenshot(citizen, "disclosure-corrected")


def test_a_journalist_checks_the_ratings(page: Page):
    import hashlib

    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="诚信评价").click()
    expect(page.locator("h1")).to_contain_text("2025年度政务诚信评价")
    screenshot(page, "ratings")
    page.get_by_role("link", name="守信践诺").click()  # sort by an indicator, no JavaScript needed
    expect(page).to_have_url(re.compile(r"sort=A2"))
    first = page.locator(".ratings-table tbody tr").first
    expect(page).to_have_url(re.compile(r"order=desc"))
    expect(first).to_contain_text("矿山救援队")  # best first: 97, the highest 守信践诺 score
    page.get_by_role("link", name="守信践诺").click()
    expect(page).to_have_url(re.compile(r"order=asc"))
    expect(first).to_contain_text("综合协调科")  # then ascending: 58, the lowest
    printed = page.locator("#data code.checksum").first.inner_text()
    csv_url = page.locator("#data a[href$='.csv']").get_attribute("href")
    assert hashlib.sha256(page.request.get(csv_url).body()).hexdigest() == printed
    page.get_by_role("link", name="综合协调科").first.click()
    expect(page.locator(".response")).to_contain_text("整改方案")
    screenshot(page, "rating-department")
    page.get_by_role("link", name="查看该部门历次评价").click()
    expect(page.locator("svg.chart")).to_be_visible()
    screenshot(page, "department-history")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="红榜").click()
    expect(page.locator(".honor").first).to_be_visible()
    screenshot(page, "honor-roll")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="风险预警").click()
    expect(page.locator("table")).to_contain_text("总分大幅下降")
    screenshot(page, "warnings")
