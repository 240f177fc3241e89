"""A citizen applies for information on a phone with JavaScript off; the desk asks for a
correction, receives it and answers; the citizen reads the timeline and the answer letter."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, STAFF_PASSWORD, screenshot

pytestmark = pytest.mark.browser


def _citizen(browser, live_server):
    return browser.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN", java_script_enabled=False).new_page()


def _status(page, number: str, secret: str) -> None:
    page.goto("/apply/status")
    page.get_by_label("申请编号").fill(number)
    page.get_by_label("查询码").fill(secret)
    page.get_by_role("button", name="查询").click()


def test_apply_correct_answer_and_read_it_without_javascript(browser, live_server):
    from tests.e2e.test_accessibility import _violations
    from tests.e2e.test_journeys import _enrol, _login

    citizen = _citizen(browser, live_server)
    citizen.goto("/disclosures/2020-integrity-plan")
    citizen.get_by_role("link", name="申请获取本文件").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("申请政府信息公开")
    citizen.get_by_label("公民（自然人）").check()
    citizen.get_by_label("姓名或组织名称").fill("李明")
    citizen.get_by_label("居民身份证").check()
    citizen.get_by_label("证件号码").fill("441400199001011234")
    citizen.get_by_label("联系电话").fill("13800001234")
    citizen.get_by_label("电子", exact=True).check()
    citizen.get_by_label("在线获取").check()
    citizen.get_by_role("button", name="提交申请").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("申请已收到")
    number = citizen.locator(".application-number").inner_text()
    secret = citizen.locator(".receipt-code").inner_text().replace("-", "").replace("\n", "").strip()
    assert re.fullmatch(r"\d{4}-\d{4}", number) and re.fullmatch(r"[0-9A-Z]{24}", secret)
    screenshot(citizen, "apply-receipt")

    context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale="zh-CN", bypass_csp=True)
    desk = context.new_page()
    _login(desk, "desk.clerk", STAFF_PASSWORD)
    _enrol(desk)

    def accessible(name: str) -> None:
        problems = [f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']][:3]}" for v in _violations(desk)]
        assert problems == [], name
        screenshot(desk, name)

    desk.get_by_role("link", name="依申请公开受理台").first.click()
    accessible("applications-queue")
    desk.get_by_role("link", name=number).click()
    expect(desk.locator("dd.thread-text")).to_contain_text("申请获取《")
    accessible("application-desk")
    desk.get_by_label("需要补正的内容（申请人可见）").fill("请说明需要的是文件全文还是附件。")
    desk.get_by_role("button", name="要求补正（只能一次）").click()
    expect(desk.locator(".flash-success")).to_be_visible()

    _status(citizen, number, secret)
    expect(citizen.locator(".report-status")).to_have_text("待补正")
    expect(citizen.get_by_text("请说明需要的是文件全文还是附件。")).to_be_visible()

    desk.get_by_label("补正后的申请内容（可选，替换原描述）").fill("需要《实施方案》全文及其附件。")
    desk.get_by_role("button", name="收到补正（答复期限重新计算）").click()
    expect(desk.locator(".flash-success")).to_be_visible()
    desk.get_by_label("答复类型").select_option(label="（一）予以公开 已主动公开（告知获取方式）")
    desk.get_by_label("答复内容（申请人可见）").fill("您申请的信息已经主动公开，可在本站查阅和下载。")
    desk.get_by_label("已公开信息的网址（已主动公开时）").fill("/disclosures/2020-integrity-plan")
    desk.get_by_role("button", name="作出答复").click()
    expect(desk.locator("dl.metadata strong").first).to_have_text("已答复")
    desk.goto("/admin/applications/new")
    accessible("application-new")
    desk.goto(f"/admin/applications/annual/{number[:4]}")
    expect(desk.get_by_text("各列均平衡")).to_be_visible()
    accessible("applications-annual")
    context.close()

    _status(citizen, number, secret)
    expect(citizen.locator(".report-status")).to_have_text("已答复")
    expect(citizen.get_by_role("heading", name="梅州市应急管理局政府信息公开申请答复书")).to_be_visible()
    expect(citizen.get_by_text("您申请的信息已经主动公开")).to_be_visible()
    assert "李明" not in citizen.content() and secret not in citizen.url
    screenshot(citizen, "apply-answered")
    problems = [f"{v['id']}: {v['help']}" for v in _violations_without_js(browser, live_server, number, secret)]
    assert problems == []


def _violations_without_js(browser, live_server, number, secret):
    """axe on the citizen's status page (axe needs script; the page itself has none)."""
    from tests.e2e.test_accessibility import _violations

    page = browser.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN", bypass_csp=True).new_page()
    _status(page, number, secret)
    return _violations(page)


def test_a_form_sent_back_keeps_everything_and_says_what_to_fix(browser, live_server):
    citizen = _citizen(browser, live_server)
    citizen.goto("/apply/")
    citizen.get_by_label("法人或其他组织").check()  # without saying which kind of organisation
    citizen.get_by_label("姓名或组织名称").fill("王芳")
    citizen.get_by_label("统一社会信用代码").check()
    citizen.get_by_label("证件号码").fill("91441400MA00000000")
    citizen.get_by_label("纸质").check()
    citizen.get_by_label("邮寄").check()  # and no address to post it to
    citizen.get_by_label("所需政府信息的描述").fill("太短")
    citizen.get_by_role("button", name="提交申请").click()
    expect(citizen.locator("#error-summary")).to_be_focused()
    for problem in ("请选择组织类型", "至少留下一种联系方式", "至少 10 个字"):
        expect(citizen.locator("#error-summary")).to_contain_text(problem)
    assert citizen.get_by_label("姓名或组织名称").input_value() == "王芳"
    screenshot(citizen, "apply-errors")


def test_a_receipt_code_always_fits_a_phone(browser, live_server):
    """A hyphen before a digit is no line-break opportunity (UAX #14): codes whose groups start
    with digits were one unbreakable run, wider than a 390 px screen. Every code must wrap."""
    from portal import create_app

    app = create_app({"env": "testing", "secret_key": "x", "receipt_pepper": "y", "database_url": "sqlite://"})
    code = app.jinja_env.get_template("reports/_receipt_code.html").render(
        groups=["0BPZ", "1111", "2222", "3333", "4444", "5555"])
    page = browser.new_context(base_url=live_server, viewport=PHONE, locale="zh-CN").new_page()
    page.goto("/privacy")
    page.evaluate("html => { document.querySelector('main').innerHTML = html; }", code)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("() => document.querySelector('.receipt-code').getBoundingClientRect().right") <= PHONE["width"]
