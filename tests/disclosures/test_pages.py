"""The catalogue, a disclosure's page and its attachments, as a visitor sees them."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from portal.publication.content import import_content
from portal.files import file_store
from tests.content.helpers import front_matter, write_content


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def listed_titles(response) -> list[str]:
    return [a.get_text(strip=True) for a in page(response).select(".doc-list .doc-title")]


def test_catalogue_lists_the_plan(site_client):
    response = site_client.get("/disclosures/")
    assert response.status_code == 200
    assert "梅州市应急管理局关于印发《梅州市应急管理局加强政务系统诚信建设实施方案》的通知" in listed_titles(response)


def test_catalogue_is_newest_first(site_client):
    dates = [t.get_text() for t in page(site_client.get("/disclosures/")).select(".doc-list time")]
    assert dates == sorted(dates, reverse=True)
    assert dates[-1] == "2020-08-07"


def test_demo_items_are_marked_as_examples(site_client):
    rows = page(site_client.get("/disclosures/")).select(".doc-row")
    demo_rows = [row for row in rows if row.select_one(".badge-demo")]
    assert len(demo_rows) == 11
    plan_row = next(row for row in rows if "实施方案" in row.get_text())
    assert plan_row.select_one(".badge-demo") is None


@pytest.mark.parametrize("args, expected", [
    ({"topic": "政务诚信"}, 3),
    ({"topic": "政务诚信", "year": "2025"}, 1),
    ({"department": "mine-rescue-team"}, 3),
    ({"department": "office", "year": "2025"}, 6),
    ({"year": "2020"}, 1),
    ({"year": "2019"}, 0),
    ({"topic": "没有这个分类"}, 0),
    ({"department": "no-such-department"}, 0),
])
def test_catalogue_filters_combine(site_client, args, expected):
    response = site_client.get("/disclosures/", query_string=args)
    assert response.status_code == 200
    assert len(listed_titles(response)) == expected
    assert f"共 {expected} 条" in response.get_data(as_text=True)


def test_active_filter_is_shown_and_removable(site_client):
    html = page(site_client.get("/disclosures/?topic=政务诚信&year=2025"))
    chips = {chip.get_text(strip=True): chip["href"] for chip in html.select(".chip")}
    assert chips["主题：政务诚信✕（取消此筛选）"] == "/disclosures/?year=2025"
    assert chips["年份：2025✕（取消此筛选）"].startswith("/disclosures/?topic=")


def test_pagination_walks_every_item_once(make_app):
    app = make_app(page_size=5)
    from tests.conftest import CONTENT_DIR

    with app.app_context():
        import_content(CONTENT_DIR, file_store())
    client = app.test_client()
    seen = []
    for number in (1, 2, 3):
        response = client.get(f"/disclosures/?page={number}")
        seen += listed_titles(response)
        links = page(response).select(".pagination a[rel=next]")
        assert bool(links) == (number < 3)
    assert len(seen) == len(set(seen)) == 12
    assert "第 2 页，共 3 页" in client.get("/disclosures/?page=2").get_data(as_text=True)


def test_a_page_past_the_end_is_an_empty_list(site_client):
    response = site_client.get("/disclosures/?page=50")
    assert response.status_code == 200
    assert listed_titles(response) == []
    assert "没有第 50 页" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", [
    "year=abc", "year=99999", "year=２０２０", "page=-1", "page=0", "page=99999999", "page=1.5",
    "topic=" + "诚" * 5000, "department=" + "x" * 500,
])
def test_bad_filters_get_a_chinese_400_page(site_client, query):
    response = site_client.get(f"/disclosures/?{query}")
    assert response.status_code == 400
    html = page(response)
    assert html.h1.get_text() == "请求有误"
    assert html.find("a", string="返回首页")


def test_disclosure_page_shows_the_metadata_grid_before_the_title(site_client):
    response = site_client.get("/disclosures/2020-integrity-plan")
    assert response.status_code == 200
    html = page(response)
    grid = {th.get_text(): th.find_next_sibling("td").get_text(strip=True) for th in html.select("table.metadata th")}
    assert grid["文号"] == "梅市应急〔2020〕52号"
    assert grid["发布机构"] == "梅州市应急管理局"
    assert grid["成文日期"] == "2020-08-07"
    assert grid["公开方式"] == "依申请公开"
    assert grid["有效性"] == "有效"
    assert "矿山救援队" in grid["责任科室"]
    article = html.select_one("article.disclosure")
    assert article.find(["table", "h1"]).name == "table"
    body = html.select_one(".document-body")
    assert [h.get_text() for h in body.select("h3")][:2] == ["（一）指导思想。", "（二）基本原则。"]


def test_attachment_is_listed_and_served_with_a_safe_type(site_client):
    html = page(site_client.get("/disclosures/demo-2025-emergency-supplies"))
    link = html.select_one(".attachments a")
    assert link.get_text() == "附件：2025年度市级应急物资储备清单"
    assert "CSV" in html.select_one(".attachments .file-meta").get_text()
    response = site_client.get(link["href"])
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "折叠床" in response.get_data(as_text=True)


def test_unknown_slug_and_unknown_attachment_are_404(site_client):
    for url in ("/disclosures/no-such-thing", "/disclosures/2020-integrity-plan/files/x.pdf",
                "/departments/nowhere", "/disclosures/%3Cscript%3E"):
        response = site_client.get(url)
        assert response.status_code == 404
        assert page(response).h1.get_text() == "页面不存在"


def test_department_profile_lists_its_disclosures(site_client):
    html = page(site_client.get("/departments/mine-rescue-team"))
    assert html.h1.get_text() == "矿山救援队"
    assert "政府采购" in html.select_one(".prose").get_text()
    assert len(html.select(".doc-list .doc-row")) == 3


def test_home_shows_latest_disclosures_and_departments(site_client):
    html = page(site_client.get("/"))
    assert len(html.select(".doc-list .doc-row")) == 8  # the latest eight
    assert len(html.select("#departments-heading + ul a")) == 6


def test_hostile_markdown_in_content_comes_out_inert(app, tmp_path):
    body = ('<script>alert(1)</script>\n\n[点我](javascript:alert(2))\n\n<img src=x onerror="alert(3)">\n\n'
            '<a href="https://example.org" onclick="alert(4)">外链</a>\n')
    write_content(tmp_path, {"disclosures/a.md": front_matter().replace("正文第一段。", body)})
    with app.app_context():
        assert import_content(tmp_path, file_store()).problems == []
    html = page(app.test_client().get("/disclosures/sample-notice"))
    body_html = html.select_one(".document-body")
    assert body_html.find("script") is None and body_html.find("img") is None
    assert "alert(1)" not in str(body_html)
    assert all(not a.get("href", "").startswith("javascript") for a in body_html.find_all("a"))
    assert all(not any(attr.startswith("on") for attr in tag.attrs) for tag in body_html.find_all(True))
    assert body_html.find("a", string="外链")["href"] == "https://example.org"


def test_the_disclosure_guide_names_the_channels_deadlines_fees_and_remedies(site_client):
    page = site_client.get("/disclosures/guide").get_data(as_text=True)
    for words in ("政府信息公开指南", "依申请公开", "20 个工作日", "补正", "信息处理费", "行政复议", "12345"):
        assert words in page, words
    assert '/disclosures/guide"' in site_client.get("/disclosures/").get_data(as_text=True)


def test_the_site_map_links_every_section_and_every_link_answers(site_client):
    import re

    page = site_client.get("/site-map").get_data(as_text=True)
    main = page[page.index("<main"):page.index("</main>")]
    links = set(re.findall(r'href="(/[^"#]*)"', main))
    for expected in ("/report/follow-up", "/report/statistics", "/ratings/editions", "/ratings/2024/",
                     "/disclosures/guide", "/honor-roll/"):
        assert expected in links, expected
    for link in links:
        status = site_client.get(link.replace("&amp;", "&")).status_code
        assert status in (200, 302), (link, status)


def test_the_footer_shows_the_site_identifiers_demo_ones_marked(make_app):
    page = make_app().test_client().get("/privacy").get_data(as_text=True)
    assert "网站标识码" in page and "ICP备" in page and "公网安备" in page and "示例" in page
    configured = make_app(site_code="4414000001", icp_record="粤ICP备12345678号", site_sponsor="梅州市应急管理局")
    page = configured.test_client().get("/privacy").get_data(as_text=True)
    assert "网站标识码：4414000001" in page and "粤ICP备12345678号" in page and "演示用标识" not in page


def test_the_print_out_names_the_site_and_the_pages_canonical_address(site_client):
    page = site_client.get("/disclosures/2020-integrity-plan", headers={"Host": "127.0.0.1"}).get_data(as_text=True)
    assert 'class="print-only print-header">梅州市应急管理局政务诚信公开平台　http://localhost/disclosures/2020-integrity-plan' in page


def test_topic_counts_follow_the_other_filters(site_client):
    import re

    page = site_client.get("/disclosures/?department=office&year=2025").get_data(as_text=True)
    shown = int(re.search(r"共 (\d+) 条", page).group(1))
    counts = {topic: int(n) for topic, n in re.findall(r'<option value="([^"]+)"[^>]*>[^<（]+（(\d+)）</option>', page)}
    assert counts and sum(counts.values()) == shown
    for topic, count in counts.items():
        listed = site_client.get("/disclosures/", query_string={"department": "office", "year": 2025, "topic": topic})
        assert int(re.search(r"共 (\d+) 条", listed.get_data(as_text=True)).group(1)) == count, topic
