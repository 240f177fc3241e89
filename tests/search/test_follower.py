"""Several hosts, one database: a publication made through one host reaches every host's search
index through the publication log (portal.search.follower), in order, after a rebuild when the
index's format changed, woken by PostgreSQL's NOTIFY."""
from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from portal import create_app
from portal.extensions import db
from portal.files import file_store
from portal.publication.content import import_content
from portal.search import follower
from portal.search.engine import SearchRequest
from tests.content.helpers import front_matter, write_content


@pytest.fixture
def hosts(make_app, tmp_path):
    """Host A and host B: one database, each its own search index, both in follower mode."""
    a = make_app(search_follower=True, search_index_dir=tmp_path / "index-a")
    b = create_app(dataclasses.replace(a.extensions["portal.settings"], search_index_dir=tmp_path / "index-b"))
    yield a, b
    with b.app_context():
        db.session.remove()
        db.engine.dispose()


def _publish(app, folder, **fields) -> None:
    folder.mkdir(exist_ok=True)
    write_content(folder, {"disclosures/a.md": front_matter(**fields)})
    with app.app_context():
        report = import_content(folder, file_store())
        assert not report.problems


def _titles(app, text: str) -> list[str]:
    from portal import search

    with app.test_request_context():
        return [hit.title for hit in search.run_search(SearchRequest(text=text)).hits]


def test_a_publication_through_one_host_is_found_through_the_other(hosts, tmp_path):
    a, b = hosts
    _publish(a, tmp_path / "content", title="关于防汛物资调拨的通知")
    with a.app_context():  # host A's request did not write an index: its follower does
        assert not (tmp_path / "index-a" / "current").exists()
    with b.app_context():
        assert follower.lag() == {"position": None, "pending": None}
        done = follower.step()
        assert done.rebuilt and follower.lag()["pending"] == 0
    assert _titles(b, "防汛物资") == ["关于防汛物资调拨的通知"]

    _publish(a, tmp_path / "content", title="关于森林防火物资调拨的通知")  # a correction
    with b.app_context():
        assert follower.lag()["pending"] == 1
        assert b.test_client().get("/healthz").get_json()["search"]["pending"] == 1
        done = follower.step()
        assert (done.applied, done.rebuilt) == (1, False)
    assert _titles(b, "森林防火") == ["关于森林防火物资调拨的通知"] and _titles(b, "防汛") == []


def test_a_withdrawal_leaves_every_index(hosts, tmp_path):
    from portal.disclosures import publishing
    from portal.staff import accounts
    from portal.staff.models import Role
    from tests.admin.conftest import make_staff

    a, b = hosts
    _publish(a, tmp_path / "content", title="关于防汛物资调拨的通知")
    with b.app_context():
        follower.step()
    make_staff(a, "reviewer", Role.REVIEWER)
    with a.app_context():
        publishing.withdraw_disclosure("sample-notice", accounts.find_user("reviewer"), "内容已过时。")
    with b.app_context():
        assert follower.step().applied == 1
    assert _titles(b, "防汛物资") == []


def test_a_new_index_format_means_a_rebuild(hosts, tmp_path, monkeypatch):
    a, b = hosts
    _publish(a, tmp_path / "content", title="关于防汛物资调拨的通知")
    with b.app_context():
        follower.step()
        assert not follower.step().rebuilt
        monkeypatch.setattr(follower, "index_format", lambda: "analyzer-v2")
        assert follower.step().rebuilt and follower.read_position()["format"] == "analyzer-v2"
    assert _titles(b, "防汛物资") == ["关于防汛物资调拨的通知"]


def test_the_follower_wakes_on_a_publication(hosts, tmp_path, database_url):
    a, b = hosts
    # On PostgreSQL a notification wakes it (the poll is far longer than the test waits);
    # SQLite has none, so there the poll is short.
    poll = 60.0 if database_url.startswith("postgresql") else 0.2
    stop = threading.Event()

    def run():
        with b.app_context():
            follower.follow(poll_seconds=poll, stop=stop.is_set)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "index-b" / follower.POSITION_FILE).exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # the first step (a rebuild of the empty site) is done
        time.sleep(0.3)  # and it is waiting
        published = time.monotonic()
        _publish(a, tmp_path / "content", title="关于防汛物资调拨的通知")
        while _titles(b, "防汛物资") == [] and time.monotonic() < published + 5:
            time.sleep(0.05)
        assert _titles(b, "防汛物资") == ["关于防汛物资调拨的通知"]
    finally:
        stop.set()
        with b.app_context():  # wake it so that it sees the stop
            _publish(a, tmp_path / "content", title="关于防汛物资调拨的通知（更正）")
        thread.join(timeout=poll + 5)


def test_a_search_page_cached_before_the_index_caught_up_is_not_served_after(hosts, tmp_path):
    a, b = hosts
    with b.app_context():
        follower.step()
    _publish(a, tmp_path / "content", title="关于防汛物资调拨的通知")
    from bs4 import BeautifulSoup

    def page_titles() -> list[str]:
        page = b.test_client().get("/search?q=防汛物资").get_data(as_text=True)
        return [a.get_text() for a in BeautifulSoup(page, "html.parser").select(".hit-title")]

    assert page_titles() == []  # b has not applied it yet: rendered (and cached) without it
    with b.app_context():
        assert follower.step().applied == 1
    assert page_titles() == ["关于防汛物资调拨的通知"]
