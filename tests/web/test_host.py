"""A forged Host header changes nothing anyone else receives (SECURITY.md, "Every page").

Absolute URLs come from PUBLIC_BASE_URL; a request naming another host is refused before any
view runs, so nothing rendered for it can enter the page cache.
"""
from __future__ import annotations

from tests.web.test_security import every_get_url

ATTACKER = "evil.example"
FORGED_HEADERS = [
    {"Host": ATTACKER},
    {"Host": f"{ATTACKER}:80"},
    {"Host": "localhost", "X-Forwarded-Host": ATTACKER, "X-Forwarded-Proto": "https", "X-Forwarded-Prefix": "/x"},
    {"Host": "localhost", "Forwarded": f"host={ATTACKER};proto=https"},
]


def test_a_forged_host_poisons_no_cached_page(published_app):
    attacker = published_app.test_client()
    urls = every_get_url(published_app)
    for url in urls:
        for headers in FORGED_HEADERS:
            response = attacker.get(url, headers=headers)
            if headers["Host"] != "localhost":
                assert response.status_code == 400, (url, headers)
            assert ATTACKER not in response.get_data(as_text=True), (url, headers)
    visitor = published_app.test_client()
    for url in urls:
        body = visitor.get(url).get_data(as_text=True)
        assert ATTACKER not in body and "https://localhost" not in body, url


def test_absolute_urls_come_from_the_public_base_url(make_app):
    from portal.publication.content import import_content
    from portal.files import file_store
    from tests.conftest import CONTENT_DIR

    app = make_app(public_base_url="https://yjj.example.gov.cn/portal")
    with app.app_context():
        import_content(CONTENT_DIR, file_store())
    client = app.test_client()
    assert "Sitemap: https://yjj.example.gov.cn/portal/sitemap.xml" in client.get("/robots.txt").get_data(as_text=True)
    feed = client.get("/disclosures.atom").get_data(as_text=True)
    assert 'href="https://yjj.example.gov.cn/portal/disclosures.atom"' in feed
    api = client.get("/api/v1/disclosures").get_json()
    assert all(item["url"].startswith("https://yjj.example.gov.cn/portal/disclosures/") for item in api["items"])
    assert client.get("/robots.txt", headers={"Host": "yjj.example.gov.cn"}).status_code == 200
    assert client.get("/robots.txt", headers={"Host": "yjj.example.gov.cn.evil.example"}).status_code == 400
