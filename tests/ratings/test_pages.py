"""The pages journalists check: tables, breakdowns, history, downloads, honor roll, warnings."""
from __future__ import annotations

import hashlib
import json
import re

import feedparser
from bs4 import BeautifulSoup


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def table_rows(html) -> list[list[str]]:
    table = html.select_one(".ratings-table")
    return [[cell.get_text(" ", strip=True) for cell in row.select("th, td")] for row in table.select("tbody tr")]


def test_the_latest_edition_with_grades_and_ranks(site_client):
    html = soup(site_client.get("/ratings/"))
    assert "2025年度政务诚信评价" in html.select_one("h1").get_text()
    assert "示例" in html.get_text()
    rows = table_rows(html)
    assert [row[1] for row in rows] == ["办公室", "矿山救援队", "执法监督科", "人事教育科", "科技和信息化科", "综合协调科"]
    assert [row[0] for row in rows] == ["1", "2", "3", "4", "5", "6"]
    office, coordination = rows[0], rows[-1]
    assert office[-2:] == ["92.10", "优秀"]  # 94×.25 + 92×.30 + 90×.20 + 93×.20 + 88×.05 = 23.5 + 27.6 + 18 + 18.6 + 4.4
    assert coordination[-2:] == ["56.50", "较差"]
    assert html.select_one("a[href='#method']") and html.select_one("#method")


def test_the_table_sorts_by_a_get_parameter(site_client):
    rows = table_rows(soup(site_client.get("/ratings/2025/?sort=A2&order=desc")))
    a2 = [float(row[3]) for row in rows]
    assert a2 == sorted(a2, reverse=True)
    by_name = table_rows(soup(site_client.get("/ratings/2025/?sort=department")))
    assert by_name[0][1] == "办公室" and by_name[-1][1] == "矿山救援队"
    assert table_rows(soup(site_client.get("/ratings/2025/?sort=<script>")))[0][1] == "办公室"


def test_the_csv_download_matches_the_checksum_on_the_page(site_client):
    html = soup(site_client.get("/ratings/2025/"))
    printed = [code.get_text() for code in html.select("#data code.checksum")]
    csv_link = html.select_one("#data a[href$='.csv']")["href"]
    json_link = html.select_one("#data a[href$='.json']")["href"]
    csv_data = site_client.get(csv_link).data
    assert hashlib.sha256(csv_data).hexdigest() == printed[0]
    assert hashlib.sha256(site_client.get(json_link).data).hexdigest() == printed[1]
    assert hashlib.sha256(site_client.get("/ratings/2025.csv").data).hexdigest() == printed[0]
    lines = csv_data.decode("utf-8-sig").splitlines()
    assert lines[0] == "department_slug,department,A1,A2,A3,A4,A5,total,grade,rank"
    assert lines[1] == "office,办公室,94.00,92.00,90.00,93.00,88.00,92.10,优秀,1"
    assert "数据字典" in html.get_text()


def test_the_json_download_and_its_api_mirror(site_client):
    data = json.loads(site_client.get("/ratings/2025.json").data)
    assert data == site_client.get("/api/v1/ratings/2025").get_json()
    assert data["results"][0] == {
        "department": "office", "department_name": "办公室", "grade": "优秀", "rank": 1, "response": None,
        "scores": {"A1": "94.00", "A2": "92.00", "A3": "90.00", "A4": "93.00", "A5": "88.00"}, "total": "92.10",
    }
    editions = site_client.get("/api/v1/ratings").get_json()["editions"]
    assert [e["edition"] for e in editions] == ["2025", "2024"]


def test_a_department_breakdown_shows_its_response_beside_its_score(site_client):
    html = soup(site_client.get("/ratings/2025/coordination"))
    text = html.get_text(" ", strip=True)
    assert "56.50" in text and "较差" in text and "排名第 6" in text
    assert "2026年一季度前完成投诉举报积压件清理" in html.select_one(".response").get_text()
    assert "部门回应" in text
    assert "该部门未就本期结果作出回应" in soup(site_client.get("/ratings/2025/office")).get_text()


def test_unknown_editions_and_departments_are_404(site_client):
    for path in ("/ratings/1999/", "/ratings/2025/no-such-dept", "/ratings/1999.csv", "/ratings/2025/v9/",
                 "/api/v1/ratings/1999", "/ratings/2025/v9.json"):
        assert site_client.get(path).status_code == 404, path


def test_comparability_notes_when_the_method_changed(site_client):
    text = soup(site_client.get("/ratings/2025/")).get_text(" ", strip=True)
    assert "与上期的可比性" in text
    assert "“投诉举报办理”的权重由 15 调整为 20" in text  # names, not codes
    assert "与上期的可比性" not in soup(site_client.get("/ratings/2024/")).get_text()


def test_a_departments_history_is_a_chart_and_a_table_with_the_same_figures(site_client):
    html = soup(site_client.get("/departments/coordination"))
    chart = html.select_one("svg.chart")
    assert chart["role"] == "img" and chart.select_one("title").get_text() == "历次评价总分"
    chart_values = [text.get_text() for text in chart.select("text.value")]
    table_values = [row.select("td")[0].get_text() for row in html.select("section[aria-labelledby=dept-ratings] tbody tr")]
    assert chart_values == ["76.20", "56.50"] and sorted(table_values) == sorted(chart_values)
    assert "总分大幅下降" in html.get_text() and "评价等级处于最低档" in html.get_text()


def test_the_honor_roll_links_each_commendation_to_its_source(site_client):
    html = soup(site_client.get("/honor-roll/"))
    entries = html.select(".honor")
    assert len(entries) == 2
    person = next(entry for entry in entries if "张明" in entry.get_text())
    assert person.select_one("a")["href"] == "/disclosures/demo-2025-honor-roll"
    assert "2025-02-28" in person.get_text() and "梅州市应急管理局" in person.get_text()
    source = site_client.get("/disclosures/demo-2025-honor-roll").get_data(as_text=True)
    assert "张明" in source  # the name is published as the source document published it
    assert len(soup(site_client.get("/honor-roll/?year=2024")).select(".honor")) == 0
    assert site_client.get("/honor-roll/?year=20x5").status_code == 400
    feed = feedparser.parse(site_client.get("/honor-roll.atom").data)
    assert len(feed.entries) == 2 and all(entry.title.startswith("[示例]") for entry in feed.entries)
    api = site_client.get("/api/v1/honor-roll").get_json()["commendations"]
    assert {c["slug"] for c in api} == {"demo-2024-mine-rescue-team", "demo-2024-zhang-ming"}


def test_warnings_say_which_rule_fired_on_what_figures(site_client):
    data = site_client.get("/api/v1/warnings").get_json()
    fired = sorted((w["department"], w["edition"], w["rule"]) for w in data["warnings"])
    assert fired == [
        ("coordination", "2025", "drop"),
        ("coordination", "2025", "lowest_band"),
        ("science-technology-informatization", "2025", "drop"),
    ]
    text = soup(site_client.get("/warnings/")).get_text(" ", strip=True)
    assert "总分由 85.20（2024年度政务诚信评价（示例））降至 70.05，下降 15.15 分，超过 10.00 分" in text
    assert "总分 56.50，等级“较差”（低于 60.00 分）" in text
    assert "预警规则" in text


def test_ratings_and_commendations_are_searchable(site_client):
    results = site_client.get("/api/v1/search?q=综合协调科 较差&kind=rating").get_json()["results"]
    assert results[0]["url"].endswith("/ratings/2025/coordination")
    honors = site_client.get("/api/v1/search?q=张明&kind=commendation").get_json()["results"]
    assert honors and honors[0]["url"].endswith("/honor-roll/#demo-2024-zhang-ming")
    assert re.search(r"评价", site_client.get("/search?q=政务诚信评价").get_data(as_text=True))


def test_the_navigation_links_to_ratings_honor_roll_and_warnings(site_client):
    nav = soup(site_client.get("/")).select_one("nav.main-nav")
    labels = [a.get_text() for a in nav.select("a")]
    assert labels[:5] == ["首页", "政府信息公开", "诚信评价", "红榜", "风险预警"]


def test_a_journalist_finds_every_edition_and_moves_between_them(site_client):
    listing = soup(site_client.get("/ratings/editions"))
    text = listing.get_text(" ", strip=True)
    assert "2025年度政务诚信评价" in text and "2024年度政务诚信评价" in text
    assert len(listing.select("code.checksum")) == 2 and all(len(c.get_text()) == 64 for c in listing.select("code.checksum"))
    current = soup(site_client.get("/ratings/2025/"))
    nav = current.select_one("nav.edition-nav").get_text(" ", strip=True)
    assert "上一期" in nav and "2024" in nav and "历次评价一览" in nav
    older = soup(site_client.get("/ratings/2024/")).select_one("nav.edition-nav").get_text(" ", strip=True)
    assert "最新一期" in older and "2025" in older
    # The corrections section is always there, and says when there is none.
    assert "本期无更正" in current.get_text()
    assert current.select_one('a[href="#corrections"]') is not None


def test_the_first_click_on_a_score_column_puts_the_best_first(site_client):
    page = soup(site_client.get("/ratings/2025/"))
    total = next(a for a in page.select("thead a") if a.get_text() == "总分")
    assert "order=desc" in total["href"]
    rows = soup(site_client.get("/ratings/2025/" + total["href"])).select("tbody tr td.num strong")
    totals = [float(cell.get_text()) for cell in rows]
    assert totals == sorted(totals, reverse=True)
    again = next(a for a in soup(site_client.get("/ratings/2025/" + total["href"])).select("thead a")
                 if a.get_text() == "总分")
    assert "order=asc" in again["href"]


def test_warnings_speak_plain_chinese(site_client):
    text = site_client.get("/warnings/").get_data(as_text=True)
    assert "lowest_band" not in text and ">drop<" not in text and "评价等级处于最低档" in text


def test_an_editions_publication_date_comes_from_its_file_not_the_import(site_client):
    editions = {e["edition"]: e["published_on"] for e in site_client.get("/api/v1/ratings").get_json()["editions"]}
    assert editions == {"2025": "2026-01-22", "2024": "2025-01-20"}
    assert "2026-01-22" in site_client.get("/ratings/2025/").get_data(as_text=True)
    years = site_client.get("/api/v1/search?q=诚信评价").get_json()["facets"]["year"]
    assert years.get("2025", 0) >= 1 and years.get("2026", 0) >= 1
    found = site_client.get("/api/v1/search?q=诚信评价&year=2025&kind=rating").get_json()["results"]
    assert any(r["url"].endswith("/ratings/2024/") for r in found)
