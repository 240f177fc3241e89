"""Published pages are served from the cache until something is published, and revalidate
with ETag / Last-Modified."""
from __future__ import annotations

from sqlalchemy import update

from portal.disclosures.models import Disclosure
from portal.extensions import db
from portal.publication.version import bump_content_version

SLUG = "2020-integrity-plan"


def change_title_behind_the_portals_back(app, title: str) -> None:
    with app.app_context():
        db.session.execute(update(Disclosure).where(Disclosure.slug == SLUG).values(title=title))
        db.session.commit()


def test_a_page_is_served_from_the_cache_until_a_publication(published_app):
    client = published_app.test_client()
    first = client.get(f"/disclosures/{SLUG}").get_data(as_text=True)
    change_title_behind_the_portals_back(published_app, "悄悄改过的标题")
    assert client.get(f"/disclosures/{SLUG}").get_data(as_text=True) == first  # from the cache
    with published_app.app_context():
        bump_content_version()
    assert "悄悄改过的标题" in client.get(f"/disclosures/{SLUG}").get_data(as_text=True)


def test_every_worker_sees_a_publication_at_once(published_app):
    """Two app instances on one database stand for two gunicorn workers."""
    from portal import create_app

    other_worker = create_app(published_app.extensions["portal.settings"])
    reader = other_worker.test_client()
    reader.get(f"/disclosures/{SLUG}")
    change_title_behind_the_portals_back(published_app, "另一个进程发布的标题")
    with published_app.app_context():
        bump_content_version()
    assert "另一个进程发布的标题" in reader.get(f"/disclosures/{SLUG}").get_data(as_text=True)
    with other_worker.app_context():
        db.engine.dispose()


def test_conditional_get_answers_304(published_client):
    response = published_client.get("/disclosures/")
    assert response.headers["ETag"] and response.headers["Cache-Control"] == "no-cache"
    again = published_client.get("/disclosures/", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Content-Security-Policy"]  # headers of every page on a 304 too


def test_last_modified_is_the_last_publication(published_app):
    client = published_app.test_client()
    with published_app.app_context():
        bump_content_version()
    response = client.get("/")
    assert response.last_modified is not None
    since = client.get("/", headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304


def test_the_large_text_layout_is_cached_apart(published_app):
    client = published_app.test_client()
    normal = client.get("/").get_data(as_text=True)
    client.set_cookie("text_size", "large")
    large = client.get("/").get_data(as_text=True)
    assert 'class="large-text"' in large and 'class="large-text"' not in normal
    assert "Cookie" in client.get("/").headers["Vary"]


def test_errors_are_not_cached(published_app):
    client = published_app.test_client()
    assert client.get("/disclosures/not-yet").status_code == 404
    with published_app.app_context():
        db.session.execute(update(Disclosure).where(Disclosure.slug == SLUG).values(slug="not-yet"))
        db.session.commit()
    assert client.get("/disclosures/not-yet").status_code == 200


def test_the_cache_is_bounded_and_drops_the_least_recently_used(published_app):
    cache = published_app.extensions["portal.page_cache"]
    cache.max_bytes = 60_000
    client = published_app.test_client()
    for page in range(1, 30):
        client.get(f"/search?q=诚信&page={page}")
        client.get("/")  # kept warm: recently used
    assert cache.size <= 60_000
    assert ("/", b"", False) in cache.entries
    searches = [key for key in cache.entries if key[0] == "/search"]
    assert 0 < len(searches) < 29
    assert ("/search", "q=诚信&page=1".encode(), False) not in cache.entries  # the oldest went first
