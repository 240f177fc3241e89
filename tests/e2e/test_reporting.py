"""A reporter, with JavaScript off, files a report with evidence and comes back with the code."""
from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, screenshot

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


AGENT = "canary-agent-" + secrets.token_hex(6)


def test_report_with_an_attachment_and_follow_up_without_javascript(browser, live_server, live_home):
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale="zh-CN", java_script_enabled=False,
                                  user_agent=AGENT, extra_http_headers={"X-Forwarded-For": "198.51.100.77"})
    page = context.new_page()
    requested_hosts = set()
    page.on("request", lambda request: requested_hosts.add(re.sub(r"^https?://([^/]+).*$", r"\1", request.url)))

    page.goto("/")
    page.get_by_role("link", name="我要举报").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我要举报")
    expect(page.get_by_text("不记录您是谁")).to_be_visible()
    page.get_by_label("举报类别").select_option(label="招标投标")
    page.get_by_label("被举报的部门").select_option(label="办公室")
    page.get_by_label("发生时间").fill("2026年11月初")
    page.get_by_label("发生了什么").fill("某项目招标文件设置明显倾向特定供应商的资质条件，开标前已有人知道中标结果。")
    page.get_by_label("证据文件（可选）").set_input_files([{"name": "招标文件.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_label(re.compile("完全匿名")).check()
    page.get_by_role("button", name="提交举报").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("举报已登记")
    expect(page.get_by_text("和 1 个文件")).to_be_visible()
    code = page.locator(".receipt-code").inner_text().replace("-", "").replace("\n", "").strip()
    assert re.fullmatch(r"[0-9A-Z]{24}", code), code
    assert code not in page.url
    screenshot(page, "report-receipt")

    page.get_by_role("link", name="去进度查询页").click()
    page.get_by_label("回执码").fill(code.lower())
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_text("已登记", exact=True)).to_be_visible()
    assert code not in page.url
    page.get_by_label("补充说明").fill("补充：开标日期为11月5日。")
    page.get_by_role("button", name="提交补充").click()
    expect(page.get_by_text("补充内容已提交")).to_be_visible()
    expect(page.get_by_text("补充：开标日期为11月5日。")).to_be_visible()
    screenshot(page, "report-status")
    assert requested_hosts == {live_server.split("//", 1)[1]}  # nothing from another host
    context.close()
    # The server's log has no line for the reporting pages (a timed "POST /report/ 200" would date
    # the report), and nothing of who made the requests.
    log = (live_home / "gunicorn.log").read_text()
    assert "GET /report/" not in log and "/report/follow-up" not in log
    assert '"GET /static/css/portal.css' in log  # the access log is on
    assert AGENT not in log and "198.51.100.77" not in log and "127.0.0.1" not in log


def test_with_javascript_the_form_solves_its_proof_of_work_and_submits(page):
    page.goto("/report/")
    page.get_by_label("举报类别").select_option(label="其他")
    page.get_by_label("发生了什么").fill("工作人员在窗口办理业务时态度恶劣，多次拒绝受理符合条件的申请材料。")
    page.get_by_label(re.compile("完全匿名")).check()
    page.get_by_role("button", name="提交举报").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("举报已登记", timeout=30_000)


def _file_report(browser, live_server, description: str) -> str:
    """A reporter without JavaScript files a report; returns the receipt code."""
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.goto("/report/")
    page.get_by_label("举报类别").select_option(label="行政审批超时")
    page.get_by_label("发生了什么").fill(description)
    page.get_by_label(re.compile("完全匿名")).check()
    page.get_by_role("button", name="提交举报").click()
    code = page.locator(".receipt-code").inner_text().replace("-", "").replace("\n", "").strip()
    context.close()
    return code


def _follow_up(browser, live_server, code: str) -> Page:
    page = browser.new_context(base_url=live_server, viewport=DESKTOP, locale="zh-CN", java_script_enabled=False).new_page()
    page.goto("/report/follow-up")
    page.get_by_label("回执码").fill(code)
    page.get_by_role("button", name="查询").click()
    return page


def test_the_desk_answers_and_the_reporter_reads_it(browser, live_server):
    from tests.e2e.conftest import DESK_PASSPHRASE, STAFF_PASSWORD
    from tests.e2e.test_accessibility import _violations
    from tests.e2e.test_journeys import _enrol, _login

    description = "办证窗口超过承诺时限十五个工作日仍未办结，工作人员称需要找熟人。"
    code = _file_report(browser, live_server, description)

    # The handler's browser bypasses the CSP only so that axe can be injected (the desk pages
    # carry no script; the CSP is exercised by the other journeys).
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale="zh-CN", bypass_csp=True)
    desk = context.new_page()
    _login(desk, "desk.handler", STAFF_PASSWORD)
    _enrol(desk)

    def accessible(name: str) -> None:
        problems = [f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']][:3]}" for v in _violations(desk)]
        assert problems == [], name
        screenshot(desk, name)

    desk.get_by_role("link", name="举报受理台").first.click()
    accessible("desk-queue")
    desk.get_by_role("link", name="输入口令解锁").click()
    accessible("desk-unlock")
    desk.get_by_label("受理台口令").fill(DESK_PASSPHRASE)
    desk.get_by_role("button", name="解锁").click()
    expect(desk.locator(".flash-success")).to_contain_text("受理台已解锁")
    desk.locator("table.data-table a").last.click()
    expect(desk.locator(".thread-text").first).to_contain_text(description)
    accessible("desk-report")
    desk.get_by_label("已受理").check()
    desk.get_by_label(re.compile("^说明")).fill("已受理，10个工作日内核查并答复。")
    desk.get_by_role("button", name="变更状态").click()
    expect(desk.locator(".flash-success")).to_contain_text("已受理")
    desk.get_by_label(re.compile("^答复")).fill("请问涉及的是哪一个办证窗口？")
    desk.get_by_role("button", name="发送答复").click()
    desk.goto("/admin/reports/new")
    accessible("desk-new-report")
    context.close()

    reporter = _follow_up(browser, live_server, code)
    expect(reporter.locator(".report-status")).to_have_text("已受理")
    expect(reporter.get_by_text("已受理，10个工作日内核查并答复。")).to_be_visible()
    expect(reporter.get_by_text("请问涉及的是哪一个办证窗口？")).to_be_visible()
    screenshot(reporter, "report-answered")


def test_a_form_sent_back_puts_its_errors_first_and_focused_on_a_phone(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  java_script_enabled=False)
    page = context.new_page()
    page.goto("/report/")
    page.get_by_label("举报类别").select_option(label="其他")
    page.get_by_label("发生了什么").fill("太短了")
    page.get_by_label(re.compile("完全匿名")).check()
    page.get_by_role("button", name="提交举报").click()
    expect(page.locator("#error-summary")).to_be_focused()  # autofocus applies once the page has loaded
    top = page.evaluate("() => document.getElementById('error-summary').getBoundingClientRect().top")
    assert top < 400, top  # on the first screen, not 1,500 px down
    assert page.get_by_label("发生了什么").input_value() == "太短了"  # nothing typed is lost
    context.close()
