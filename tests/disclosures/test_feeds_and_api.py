"""The Atom feed, the JSON mirror, the sitemap: what machines and journalists read."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser


def test_atom_feed_is_valid_and_lists_every_disclosure(site_client):
    response = site_client.get("/disclosures.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title.startswith("梅州市应急管理局")
    assert len(feed.entries) == 12
    plan = next(e for e in feed.entries if "实施方案" in e.title)
    assert plan.link == "http://localhost/disclosures/2020-integrity-plan"
    assert plan.published.startswith("2020-08-07")
    assert "<h2>一、总体要求</h2>" in plan.content[0].value
    assert sum(e.title.startswith("[示例]") for e in feed.entries) == 11
    assert feed.entries[0].published >= feed.entries[-1].published


def test_api_list_mirrors_the_catalogue_with_filters(site_client):
    data = site_client.get("/api/v1/disclosures?topic=政务诚信").get_json()
    assert data["total"] == 3 and data["page"] == 1
    assert {item["topic"] for item in data["items"]} == {"政务诚信"}
    plan = next(item for item in data["items"] if item["slug"] == "2020-integrity-plan")
    assert plan["doc_no"] == "梅市应急〔2020〕52号"
    assert plan["disclosure_mode"] == "on_request" and plan["disclosure_mode_label"] == "依申请公开"
    assert [d["name"] for d in plan["departments"]][0] == "办公室"


def test_api_detail_has_body_and_attachments(site_client):
    data = site_client.get("/api/v1/disclosures/demo-2025-emergency-supplies").get_json()
    assert data["body_markdown"].startswith("为做好自然灾害")
    (attachment,) = data["attachments"]
    assert attachment["media_type"] == "text/csv" and len(attachment["sha256"]) == 64
    assert site_client.get(attachment["url"]).status_code == 200


def test_api_errors_are_json(site_client):
    response = site_client.get("/api/v1/disclosures/nope")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404
    response = site_client.get("/api/v1/disclosures?page=-1")
    assert response.status_code == 400
    assert "页码" in response.get_json()["error"]["message"]


def test_sitemap_lists_every_public_page(site_client):
    response = site_client.get("/sitemap.xml")
    root = ET.fromstring(response.get_data())
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in root.findall("s:url/s:loc", namespace)]
    assert "http://localhost/disclosures/2020-integrity-plan" in locations
    assert "http://localhost/departments/office" in locations
    assert "http://localhost/ratings/2025/coordination" in locations
    assert len(set(locations)) == len(locations)
    # 5 main pages, 12 disclosures, 2 rating editions with 6 department results each, 6 departments
    assert len(locations) == 5 + 12 + 2 * 7 + 6


def test_robots_points_at_the_sitemap_and_keeps_crawlers_out_of_private_areas(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in text
    assert "Disallow: /admin/" in text and "Disallow: /report/" in text


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    # No follower has run on this host: the search index's lag is unknown (requests write it).
    assert response.get_json() == {"status": "ok", "database": "ok", "search": {"position": None, "pending": None}}
