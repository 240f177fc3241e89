"""The log a journalist can read: signed out of the box on a developer's machine, a key made by
another process shown at once, and a table of titles, links, full hashes and days (#26.4)."""
from __future__ import annotations

import secrets

import pytest
from bs4 import BeautifulSoup

from portal import create_app
from portal.config import Settings
from portal.extensions import db
from portal.files import file_store
from portal.publication import log
from portal.publication.content import import_content
from tests.conftest import CONTENT_DIR
from tests.publication.test_log import init_key


def test_a_developers_portal_signs_its_log_on_first_run_with_a_key_named_as_such(make_app, tmp_path):
    app = make_app(env="development", public_base_url="http://127.0.0.1:8123")
    for _ in range(2):  # what `make run` runs before the import, every time: a key is kept
        made = app.test_cli_runner().invoke(args=["log", "init-key", "--development"])
        assert made.exit_code == 0, made.output
    with app.app_context():
        key = log.signing_key()
        assert key is not None and key.development and key.name == "127.0.0.1:8123/log"
        import_content(CONTENT_DIR, file_store())
        assert log.latest_checkpoint() is not None  # the import's publications were signed
    client = app.test_client()
    page = client.get("/log/").get_data(as_text=True)
    assert "这是开发用密钥" in page and key.verifier in page
    assert client.get("/log/checkpoint").get_data(as_text=True).startswith("127.0.0.1:8123/log\n")


def test_production_refuses_to_start_with_the_development_key(make_app, tmp_path):
    from tests.test_config import SAFE_PRODUCTION

    key_file = tmp_path / "dev.key"
    log.create_key(key_file, "http://127.0.0.1:8000", development=True)
    with pytest.raises(log.DevelopmentKeyInProduction, match="flask --app wsgi log init-key"):
        create_app(Settings.from_env({**SAFE_PRODUCTION, "LOG_KEY_FILE": str(key_file)}))


def test_a_key_made_by_another_process_shows_on_log_and_checkpoint_at_once(published_app):
    client = published_app.test_client()
    assert "签名密钥尚未配置" in client.get("/log/").get_data(as_text=True)
    assert client.get("/log/checkpoint").status_code == 404
    # `flask log init-key` in another process: another app on the same database and key file.
    other = create_app(published_app.extensions["portal.settings"])
    result = other.test_cli_runner().invoke(args=["log", "init-key"])
    assert result.exit_code == 0, result.output
    with other.app_context():
        verifier = log.signing_key().verifier
        db.engine.dispose()
    page = client.get("/log/").get_data(as_text=True)
    assert verifier in page and "签名密钥尚未配置" not in page
    assert client.get("/log/checkpoint").status_code == 200


def test_the_table_names_each_entry_with_its_link_full_hash_and_the_day_it_was_signed(published_app):
    init_key(published_app)
    html = BeautifulSoup(published_app.test_client().get("/log/").get_data(as_text=True), "html.parser")
    rows = html.select("table.log-table tbody tr")
    assert rows
    with published_app.app_context():
        newest = log.entries(log.tree_size() - 1)[0]
        signed_at = log.latest_checkpoint().signed_at
    cells = rows[0].select("td")
    assert cells[0].get_text() == str(newest.seq)
    link = cells[1].select_one("a")
    assert link is not None and link["href"].startswith("/")
    assert cells[3].get_text() == newest.sha256 and len(newest.sha256) == 64  # the whole hash
    from portal import clock

    assert cells[2].get_text() == clock.in_bureau_time(signed_at).date().isoformat()
    assert "（北京时间）" in html.get_text()


def test_each_page_and_download_names_its_log_entry_and_links_its_proof(published_app):
    client = published_app.test_client()
    unsigned = client.get("/disclosures/2020-integrity-plan").get_data(as_text=True)
    assert "条（尚未签名）" in unsigned and "/log/proof/" not in unsigned  # no link to a proof that does not exist yet
    init_key(published_app)
    with published_app.app_context():
        disclosure = log.entry_for("disclosure", "2020-integrity-plan")
        rating = log.entry_for("rating", "2024")
    page = client.get("/disclosures/2020-integrity-plan").get_data(as_text=True)
    assert f'<a href="/log/proof/{disclosure.seq}">日志第 {disclosure.seq} 条</a>' in page and disclosure.sha256 in page
    for path in ("/ratings/2024/", "/ratings/2024/coordination"):
        text = client.get(path).get_data(as_text=True)
        assert f'与发布时一致 · <a href="/log/proof/{rating.seq}">日志第 {rating.seq} 条</a>' in text, path
    for path, entry in (("/ratings/2024.csv", rating), ("/disclosures/2020-integrity-plan/source.json", disclosure)):
        response = client.get(path)
        assert response.headers["X-Publication-Log-Entry"] == str(entry.seq), path
        assert response.headers["Link"] == f'</log/proof/{entry.seq}>; rel="describedby"'
    proof = client.get(f"/log/proof/{rating.seq}?size={rating.seq + 1}").get_json()
    assert proof["index"] == rating.seq
