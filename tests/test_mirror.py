"""The static mirror: every public page, feed, download and log tile as a file with its content
type; search and the forms say they are temporarily unavailable; every internal link resolves."""
from __future__ import annotations

import json

from portal import mirror


def test_the_mirror_holds_the_site_and_every_link_resolves(published_app, tmp_path):
    app = published_app
    assert app.test_cli_runner().invoke(args=["log", "init-key"]).exit_code == 0
    result = app.test_cli_runner().invoke(args=["mirror", "build", str(tmp_path / "mirror")])
    assert result.exit_code == 0, result.output
    root = tmp_path / "mirror"
    assert mirror.broken_links(root, "http://localhost") == []
    client = app.test_client()
    for path, query in [("/", ""), ("/disclosures/2020-integrity-plan", ""), ("/ratings/2025.csv", ""),
                        ("/api/v1/disclosures", ""), ("/disclosures.atom", ""), ("/sitemap.xml", ""),
                        ("/log/checkpoint", ""), ("/log/tile/0/000.p/" + str(_size(app)), "")]:
        stored = mirror.resolve(root, path, query)
        assert stored is not None, path
        live = client.get(path, query_string=query)
        assert stored.read_bytes() == live.data, path
        assert mirror.EXTENSIONS[live.mimetype] == stored.suffix.lstrip("."), path
    # Every page the sitemap lists is in the mirror.
    for loc in client.get("/sitemap.xml").get_data(as_text=True).split("<loc>")[1:]:
        assert mirror.resolve(root, loc.split("</loc>")[0].replace("http://localhost", "")) is not None, loc
    # Search (whatever the query) and the forms: the "temporarily unavailable" page with other channels.
    for path, query in [("/search", "q=诚信"), ("/report/", ""), ("/apply/", ""), ("/apply/status", "")]:
        page = mirror.resolve(root, path, query).read_text(encoding="utf-8")
        assert "暂时不可用" in page and "12345" in page, path
    assert mirror.resolve(root, "/admin/login") is None  # the back office is never mirrored
    index = json.loads((root / mirror.INDEX).read_text(encoding="utf-8"))
    assert len(index["files"]) > 50


def test_a_broken_link_is_reported(published_app, tmp_path):
    root = tmp_path / "mirror"
    mirror.build(published_app, root)
    mirror.resolve(root, "/privacy").unlink()
    broken = mirror.broken_links(root, "http://localhost")
    assert broken and [line for line in broken if not line.endswith("→ /privacy")] == []


def _size(app) -> int:
    from portal.publication import log

    with app.app_context():
        return log.latest_checkpoint().size
