"""What must come first for real queries over the shipped content (asserted on rank)."""
from __future__ import annotations

import pytest

from portal import search
from portal.search.engine import SearchRequest

PLAN = "2020-integrity-plan"

# query → the results that must come first, in this order
FIRST = [
    # document numbers (文号), whole and by their parts
    ("梅市应急〔2020〕52号", [PLAN]),
    ("52号", [PLAN]),
    ("〔2020〕52号", [PLAN]),
    ("[2020]52号", [PLAN]),
    ("（2020）52号", [PLAN]),
    ("示例〔2025〕3号", ["demo-2025-emergency-supplies"]),
    # quoted phrases
    ('"诚信建设"', [PLAN]),
    ('"安全生产月"活动', ["demo-2025-safety-month"]),
    ('"第三方机构"', [PLAN]),
    # titles and their words
    ("政务诚信建设实施方案", [PLAN]),
    ("安全生产月", ["demo-2025-safety-month"]),
    ("应急物资", ["demo-2025-emergency-supplies"]),
    ("年度报告", ["demo-2024-open-government-report"]),
    ("政府采购意向", ["demo-2025-procurement-intentions"]),
    ("行政审批", ["demo-2025-online-approval"]),
    ("网上全流程办理", ["demo-2025-online-approval"]),
    ("人大代表建议", ["demo-2024-proposals"]),
    ("政协委员提案", ["demo-2024-proposals"]),
    ("12345热线", ["demo-2025-hotline-report"]),
    ("失信问题专项治理", ["demo-2024-misconduct-campaign"]),
    ("服务承诺", ["demo-2025-service-commitments"]),
    ("守信践诺", ["demo-2025-honor-roll", "demo-2025-service-commitments"]),
    ("回执码", ["demo-2025-complaint-registration"]),
    ("矿山救援装备", ["demo-2025-procurement-intentions"]),
    ("第三方机构评估", [PLAN]),
    # traditional characters find simplified text
    ("政務誠信", [PLAN]),
    ("應急物資儲備", ["demo-2025-emergency-supplies"]),
    ("守信踐諾", ["demo-2025-honor-roll", "demo-2025-service-commitments"]),
    # synonyms from the dictionary
    ("光荣榜", ["demo-2025-honor-roll"]),
    ("红榜", ["demo-2025-honor-roll"]),
    ("年报", ["demo-2024-open-government-report"]),
    ("举报", ["demo-2025-complaint-registration"]),
]

# department names: every disclosure of the department, and nothing else, ahead of the rest
DEPARTMENTS = [
    ("矿山救援队", {PLAN, "demo-2025-honor-roll", "demo-2025-procurement-intentions"}),
    ("综合协调科", {PLAN, "demo-2025-safety-month", "demo-2024-proposals"}),
    ("科技和信息化科", {PLAN, "demo-2024-open-government-report", "demo-2025-online-approval"}),
]


def ranked(app, text, **filters):
    # This suite is about disclosures; ratings and commendations have their own tests.
    filters.setdefault("kind", "disclosure")
    with app.test_request_context():
        return [hit.key for hit in search.run_search(SearchRequest(text=text, per_page=20, **filters)).hits]


def test_there_are_at_least_thirty_relevance_queries():
    assert len(FIRST) + len(DEPARTMENTS) >= 30


@pytest.mark.parametrize("query, expected", FIRST, ids=[q for q, _ in FIRST])
def test_the_right_results_come_first(search_app, query, expected):
    assert ranked(search_app, query)[: len(expected)] == expected


@pytest.mark.parametrize("query, expected", DEPARTMENTS, ids=[q for q, _ in DEPARTMENTS])
def test_a_department_name_finds_its_disclosures_first(search_app, query, expected):
    assert set(ranked(search_app, query)[: len(expected)]) == expected


def test_a_quoted_phrase_matches_only_adjacent_words(search_app):
    loose = set(ranked(search_app, "诚信 建设"))
    phrase = set(ranked(search_app, '"诚信建设"'))
    assert phrase <= loose
    assert "demo-2024-proposals" in phrase  # 政务诚信建设: 诚信 and 建设 adjacent
    # the plan has 公务员诚信建设、政务诚信评价: 建设 then 诚信, but 诚信 ends 政务诚信, not adjacent
    assert ranked(search_app, '"建设诚信"') == []
    assert ranked(search_app, '"政务建设"') == []  # 政务 starts 政务诚信, it does not touch 建设


def test_facet_filters_narrow_the_results(search_app):
    assert ranked(search_app, "守信践诺", year="2020") == [PLAN]
    with search_app.test_request_context():
        everything = search.run_search(SearchRequest(text="诚信", per_page=50))
        narrowed = search.run_search(SearchRequest(text="诚信", department="personnel-education", per_page=50))
    assert 0 < narrowed.total < everything.total
    assert narrowed.total == everything.facets["department"]["personnel-education"]
    assert all("personnel-education" in hit.departments for hit in narrowed.hits)
    assert ranked(search_app, "投诉", kind="no-such-kind") == []


def test_a_broad_query_ranks_title_matches_first_then_the_newest(search_app, monkeypatch):
    from portal.search import engine

    monkeypatch.setattr(engine, "BROAD_MATCHES", 3)  # the shipped content is small; pretend
    with search_app.test_request_context():
        hits = search.run_search(SearchRequest(text="诚信", per_page=20)).hits
    in_title = [hit for hit in hits if "诚信" in hit.title]
    assert 0 < len(in_title) < len(hits)
    assert hits[: len(in_title)] == in_title
    rest = [hit.date for hit in hits[len(in_title):]]
    assert rest == sorted(rest, reverse=True)


# What citizens typed and found nothing with before (issue #14): each now finds what they meant.
HELPFUL = [
    # an unknown word whose parts stand apart in the document: 政协 … 提案 in 政协委员提案
    ("政协提案", "demo-2024-proposals"),
    # no document has every word: the documents with some of them, ranked, and the page says so
    ("怎么举报", "demo-2025-complaint-registration"),
    ("如何投诉", "demo-2025-complaint-registration"),
    # the 索引号 printed on every disclosure page
    ("MZYJ-2020-00052", PLAN),
]


@pytest.mark.parametrize("query, expected", HELPFUL, ids=[q for q, _ in HELPFUL])
def test_queries_that_found_nothing_now_find_what_was_meant(search_app, query, expected):
    found = ranked(search_app, query)
    assert expected in found[:3], found


def test_partial_matches_are_said_to_be_partial(search_client):
    data = search_client.get("/api/v1/search?q=怎么举报").get_json()
    assert data["partial"] is True and data["total"] > 0
    assert "未找到同时包含" in search_client.get("/search?q=怎么举报").get_data(as_text=True)
    assert search_client.get("/api/v1/search?q=举报").get_json()["partial"] is False
    # 举报电话 (no word 举报电话 in any text) finds the texts with both words, and the shortcut.
    data = search_client.get("/api/v1/search?q=举报电话").get_json()
    assert data["total"] > 0 and "/report/" in [item["url"] for item in data["shortcuts"]]


def test_scattered_parts_rank_below_adjacent_ones(search_app):
    # 政协委员提案 holds 政协 and 提案 apart; a title with the whole word would come first.
    assert ranked(search_app, "政协委员提案")[0] == "demo-2024-proposals"


def test_an_attachments_title_is_searchable(search_app):
    from portal.disclosures.models import Disclosure
    from portal.extensions import db

    with search_app.app_context():
        with_files = [d for d in db.session.query(Disclosure).all() if d.attachments]
        assert with_files, "the shipped content has a disclosure with an attachment"
        disclosure = with_files[0]
        title = disclosure.attachments[0].title
    assert disclosure.slug in ranked(search_app, f'"{title}"')
