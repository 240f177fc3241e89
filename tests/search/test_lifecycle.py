"""The index follows publication at once, and a broken index never takes the site down."""
from __future__ import annotations

import shutil

from bs4 import BeautifulSoup

from portal import search
from portal.publication.content import import_content
from portal.files import file_store
from portal.search import engine
from portal.search.engine import SearchRequest
from tests.content.helpers import front_matter, write_content


def titles(client, query):
    html = BeautifulSoup(client.get("/search", query_string={"q": query}).get_data(as_text=True), "html.parser")
    return [a.get_text() for a in html.select(".hit-title")]


def test_imported_items_are_searchable_at_once_and_corrections_replace_them(app, tmp_path):
    client = app.test_client()
    write_content(tmp_path, {"disclosures/a.md": front_matter(title="关于防汛物资调拨的通知")})
    with app.app_context():
        import_content(tmp_path, file_store())
    assert titles(client, "防汛物资") == ["关于防汛物资调拨的通知"]

    (tmp_path / "disclosures/a.md").write_text(front_matter(title="关于森林防火物资调拨的通知"), encoding="utf-8")
    with app.app_context():
        import_content(tmp_path, file_store())
    assert titles(client, '"防汛物资"') == [] and titles(client, "防汛") == []  # the old words are gone
    assert titles(client, "森林防火") == ["关于森林防火物资调拨的通知"]


def test_removed_items_leave_the_index(published_app):
    with published_app.test_request_context():
        assert search.run_search(SearchRequest(text="安全生产月")).total == 1
        assert search.remove_documents("disclosure", ["demo-2025-safety-month"])
        assert search.run_search(SearchRequest(text="安全生产月")).total == 0


def unavailable_but_site_up(client):
    response = client.get("/search?q=诚信")
    assert response.status_code == 503
    assert "搜索服务暂时不可用" in response.get_data(as_text=True)
    assert client.get("/api/v1/search?q=诚信").status_code == 503
    for url in ("/", "/disclosures/", "/disclosures/2020-integrity-plan", "/healthz"):
        assert client.get(url).status_code == 200, url


def test_a_missing_index_says_search_is_unavailable_and_rebuild_repairs_it(published_app):
    client = published_app.test_client()
    root = published_app.extensions["portal.settings"].search_index_dir
    shutil.rmtree(root)
    unavailable_but_site_up(client)
    result = published_app.test_cli_runner().invoke(args=["search", "rebuild"])
    # 12 disclosures, 2 editions with 6 department results each, 2 commendations
    assert result.exit_code == 0 and "28 documents" in result.output
    assert "梅州市应急管理局关于印发《梅州市应急管理局加强政务系统诚信建设实施方案》的通知" in titles(client, "52号")


def test_a_corrupt_index_says_search_is_unavailable_and_rebuild_repairs_it(published_app):
    client = published_app.test_client()
    root = published_app.extensions["portal.settings"].search_index_dir
    current = (root / "current").resolve()
    for path in current.iterdir():
        path.write_bytes(b"\x00garbage" * 100)
    engine.SearchIndex._searchers.clear()  # as a freshly started worker would be
    unavailable_but_site_up(client)
    assert published_app.test_cli_runner().invoke(args=["search", "rebuild"]).exit_code == 0
    assert len(titles(client, "诚信")) > 0


def test_one_writer_at_a_time_and_readers_are_never_blocked(published_app, monkeypatch):
    monkeypatch.setattr(engine, "WRITE_TIMEOUT_SECONDS", 0.3)
    client = published_app.test_client()
    with published_app.app_context():
        index = search.search_index()
        with index._write_lock():
            # a second writer gives up after the timeout and says so; the database write stands
            assert search.remove_documents("disclosure", ["demo-2025-safety-month"]) is False
            # readers go on while the lock is held
            assert titles(client, "安全生产月") == ["关于开展2025年“安全生产月”活动的通知"]


def test_rebuild_if_missing_leaves_a_good_index_alone(published_app):
    runner = published_app.test_cli_runner()
    result = runner.invoke(args=["search", "rebuild", "--if-missing"])
    assert "nothing to do" in result.output


def test_an_index_with_nothing_in_it_finds_nothing(app):
    """A new portal before anything is published: search answers, with no hits."""
    with app.test_request_context():
        assert search.rebuild() == 0
    response = app.test_client().get("/search?q=诚信")
    assert response.status_code == 200 and titles(app.test_client(), "诚信") == []
