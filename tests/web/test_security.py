"""Headers on every response, error pages that reveal nothing, limits that answer clearly."""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

SAMPLE_VALUES = {"slug": "2020-integrity-plan", "filename": "x.pdf", "edition": "2025", "department": "office",
                 "number": "1", "version_id": "1", "draft_id": "1", "user_id": "1", "attachment_id": "1"}


def every_get_url(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {arg: SAMPLE_VALUES.get(arg, "office") for arg in rule.arguments}
        if rule.endpoint == "static":
            values = {"filename": "css/portal.css"}
        urls.append(re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values[m.group(1)], rule.rule))
    return urls


def test_every_route_sends_the_security_headers_and_no_traceback(published_app):
    client = published_app.test_client()
    urls = every_get_url(published_app)
    assert len(urls) >= 14
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp, url
        assert "'unsafe-inline'" not in csp, url
        assert headers["X-Content-Type-Options"] == "nosniff", url
        assert headers["Referrer-Policy"] == "no-referrer", url
        assert "Traceback" not in response.get_data(as_text=True), url


def test_pages_have_no_inline_script_and_load_nothing_from_elsewhere(published_client):
    for url in ("/", "/disclosures/", "/disclosures/2020-integrity-plan", "/departments/office"):
        html = BeautifulSoup(published_client.get(url).get_data(as_text=True), "html.parser")
        # Scripts only from this site's own files (the print date), never inline.
        assert all(script.get("src", "").startswith("/static/js/") and not script.string
                   for script in html.find_all("script"))
        for tag in html.find_all(["link", "img", "script", "iframe"]):
            source = tag.get("href") or tag.get("src") or ""
            assert not source.startswith(("http:", "https:", "//")), source
        assert html.find(attrs={"style": True}) is None


def test_an_unexpected_error_shows_a_chinese_page_without_details(make_app):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret database password in a stack trace")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "服务器暂时出错" in text
    assert "secret database password" not in text and "Traceback" not in text
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_body_over_the_limit_gets_a_clear_413_page(make_app):
    app = make_app(max_content_length=1024)
    app.config["WTF_CSRF_ENABLED"] = False

    @app.post("/echo-form")
    def echo_form():  # stands for any form handler: the limit applies before the view reads
        from flask import request

        return str(len(request.form))

    response = app.test_client().post("/echo-form", data={"x": "y" * 5000})
    assert response.status_code == 413
    assert "提交内容过大" in response.get_data(as_text=True)


def test_wrong_method_gets_a_405_page(client):
    response = client.post("/disclosures/")
    assert response.status_code in (400, 405)  # CSRF refuses a POST before routing can
    assert "<h1>" in response.get_data(as_text=True)


def test_large_text_switch_sets_a_cookie_and_returns_to_the_page(client):
    response = client.get("/display?size=large&next=/disclosures/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/disclosures/"
    assert "text_size=large" in response.headers["Set-Cookie"]
    html = client.get("/disclosures/").get_data(as_text=True)
    assert '<html lang="zh-CN" class="large-text">' in html
    assert "标准字号" in html


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_large_text_switch_is_not_an_open_redirect(client, target):
    response = client.get("/display", query_string={"size": "large", "next": target})
    assert response.headers["Location"] == "/"
