"""/search and /api/v1/search as visitors and machines use them, including hostile input."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

PLAN_URL = "/disclosures/2020-integrity-plan"


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_results_show_title_kind_department_date_and_a_highlighted_snippet(search_client):
    html = soup(search_client.get("/search?q=52号&kind=disclosure"))
    (hit,) = html.select(".hit")
    assert hit.select_one(".hit-title")["href"] == PLAN_URL
    meta = hit.select_one(".hit-meta").get_text(" ", strip=True)
    assert "政府信息公开" in meta and "2020-08-07" in meta and "矿山救援队" in meta and "梅市应急〔2020〕52号" in meta
    assert html.select_one("#results-heading").get_text() == "找到 1 条结果"


def test_snippet_marks_the_matched_words(search_client):
    html = soup(search_client.get("/search?q=回执码"))
    marks = [m.get_text() for m in html.select(".hit-snippet mark")]
    assert marks and set(marks) == {"回执码"}


def test_facets_count_and_narrow(search_client):
    html = soup(search_client.get("/search?q=诚信"))
    total = int(html.select_one("#results-heading").get_text().split()[1])
    years = {a.get_text(): a["href"] for a in html.select(".facets section:nth-of-type(3) a")}
    link_2025 = next(href for label, href in years.items() if label.startswith("2025"))
    count_2025 = int(next(label for label in years if label.startswith("2025"))[5:-1])
    narrowed = soup(search_client.get(link_2025))
    assert int(narrowed.select_one("#results-heading").get_text().split()[1]) == count_2025 < total
    assert all("2025-" in t.get_text() for t in narrowed.select(".hit-meta time"))
    assert narrowed.select_one(".facets strong[aria-current]").get_text().startswith("2025")


def test_sort_by_date_puts_newest_first(search_client):
    html = soup(search_client.get("/search?q=诚信&sort=date"))
    dates = [t.get_text() for t in html.select(".hit-meta time")]
    assert len(dates) > 2 and dates == sorted(dates, reverse=True)


def test_pagination_keeps_the_query(search_client):
    first = soup(search_client.get("/search?q=的"))  # in 11 of the 12 items: two pages
    next_link = first.select_one(".pagination a[rel=next]")
    assert next_link is not None and "q=" in next_link["href"]
    second = soup(search_client.get(next_link["href"]))
    first_titles = {a.get_text() for a in first.select(".hit-title")}
    second_titles = {a.get_text() for a in second.select(".hit-title")}
    assert second_titles and not first_titles & second_titles


def test_a_typo_gets_a_suggestion(search_client):
    # 诚心建设: nothing has both words, so the page shows partial matches, says so and suggests.
    html = soup(search_client.get("/search?q=诚心建设"))
    notice = html.select_one("p.notice-demo")
    assert "未找到同时包含" in notice.get_text()
    assert [a.get_text() for a in notice.select("a")] == ["诚信建设"]
    html = soup(search_client.get("/search?q=qwertzuiopx"))
    assert "没有找到" in html.select_one(".no-results").get_text()


def test_the_json_mirror(search_client):
    data = search_client.get("/api/v1/search?q=守信践诺&year=2025&kind=disclosure").get_json()
    assert data["total"] == 2
    assert data["facets"]["year"] == {"2025": 2}
    first = data["results"][0]
    assert first["url"] == "http://localhost/disclosures/demo-2025-honor-roll"
    assert "<mark>守信践诺</mark>" in first["title_html"]
    assert first["date"] == "2025-02-28"


def test_search_box_is_on_every_page(search_client):
    for url in ("/", "/disclosures/", PLAN_URL):
        form = soup(search_client.get(url)).select_one("form.site-search")
        assert form["action"] == "/search" and form.select_one("input[name=q]")


HOSTILE_QUERIES = [
    "",
    " ",
    "AND OR NOT * ? ( ) \" : ~ ^ [ ] { } \\ /",
    '"未闭合的引号',
    '""',
    '"""',
    "title:诚信 body:*",
    "诚信^100",
    "\x00\x01\x1f诚信\x7f",
    "😀🔥 诚信 🚒",
    "Emergency 应急 Управление מוקד",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "%00%2e%2e/%2e%2e/etc/passwd",
    "\u202e诚信\u200b",
    "政" * 200,
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_get_a_page_never_a_500_or_an_unescaped_echo(search_client, query):
    response = search_client.get("/search", query_string={"q": query})
    # A NUL byte is refused at the door for every page (tests/web/test_nul_bytes.py).
    assert response.status_code == (400 if "\x00" in query else 200)
    html = soup(response)
    # The scripts of every page are the site's own files; no other script appears.
    assert [script.get("src") for script in html.find_all("script")] == ["/static/js/print-date.js",
                                                                          "/static/js/proof-of-work.js"]
    assert html.find("img") is None
    assert not any(name.startswith("on") for tag in html.find_all(True) for name in tag.attrs)
    api = search_client.get("/api/v1/search", query_string={"q": query})
    assert api.status_code in (200, 400)
    assert api.is_json


@pytest.mark.parametrize("args, status", [
    ({"q": "诚信" * 5000}, 400),
    ({"q": "诚信", "page": "-1"}, 400),
    ({"q": "诚信", "page": "0"}, 400),
    ({"q": "诚信", "page": "99999999"}, 400),
    ({"q": "诚信", "page": "abc"}, 400),
    ({"q": "诚信", "year": "二〇二〇"}, 400),
    ({"q": "诚信", "kind": "x" * 500}, 400),
    ({"q": "诚信", "page": "900"}, 200),
    ({"q": "诚信", "kind": "nonsense"}, 200),
    ({"q": "诚信", "department": "<b>nobody</b>"}, 200),
    ({"q": "诚信", "year": "1999"}, 200),
    ({"q": "诚信", "sort": "sideways"}, 200),
])
def test_bad_parameters_get_a_clear_answer(search_client, args, status):
    response = search_client.get("/search", query_string=args)
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert "<b>nobody</b>" not in text
    if status == 400:
        assert soup(response).h1.get_text() == "请求有误"


@pytest.mark.parametrize("query, page", [
    ("举报电话", "/report/"), ("怎么举报", "/report/"), ("如何投诉", "/report/"), ("舉報", "/report/"),
    ("诚信评价排名", "/ratings/"), ("红榜", "/honor-roll/"), ("如何申请公开", "/disclosures/guide"),
])
def test_service_shortcuts_point_where_people_meant_to_go(search_client, query, page):
    data = search_client.get("/api/v1/search", query_string={"q": query}).get_json()
    assert page in [item["url"] for item in data["shortcuts"]], data["shortcuts"]
    html = search_client.get("/search", query_string={"q": query}).get_data(as_text=True)
    assert 'aria-label="服务直达"' in html and f'href="{page}"' in html


def test_no_shortcut_for_an_ordinary_query_and_no_sort_links_without_results(search_client):
    assert search_client.get("/api/v1/search?q=应急物资").get_json()["shortcuts"] == []
    html = search_client.get("/search?q=qwertzuiopx").get_data(as_text=True)
    assert "没有找到" in html and "按日期" not in html


def test_a_wrong_character_in_a_body_word_gets_a_suggestion(search_client):
    # 惩诫 for 惩戒: 失信惩戒 is in the plan's text, not in any title.
    data = search_client.get("/api/v1/search?q=失信惩诫").get_json()
    assert data["suggestions"] == ["失信惩戒"], data["suggestions"]
