"""The rating method is versioned: a new formula applies to what is published after it, and
every past edition keeps the results, the page and the checksum it was published with."""
from __future__ import annotations

import dataclasses
import shutil
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.files import file_store
from portal.publication.content import import_content
from portal.ratings import scoring, services
from tests.conftest import CONTENT_DIR


def _figures(app, slug: str) -> list[tuple[str, Decimal, str, int]]:
    with app.app_context():
        version = services.get_version(slug)
        return [(r.department.slug, r.total, r.grade, r.rank) for r in services.results(version)]


@pytest.fixture
def a_new_method(monkeypatch):
    """A formula that ignores the weights: the mean of the scores as a share of their maxima."""

    def unweighted(scores, indicators):
        shares = [Decimal(scores[i.code]) / Decimal(i.maximum) * 100 for i in indicators]
        return (sum(shares, Decimal(0)) / len(shares)).quantize(scoring.CENT)

    new = dataclasses.replace(scoring.WEIGHTED_SUM_V1, code="unweighted_mean_v1", total=unweighted,
                              description="总分 = 各指标得分率的算术平均 × 100。")
    monkeypatch.setitem(scoring.METHODS, new.code, new)
    monkeypatch.setattr(scoring, "CURRENT_METHOD", new.code)
    return new


def test_a_new_method_leaves_published_editions_as_they_were(published_app, a_new_method, tmp_path):
    before = {slug: _figures(published_app, slug) for slug in ("2024", "2025")}
    client = published_app.test_client()
    page_before = client.get("/ratings/2025/").get_data(as_text=True)

    # A new edition published after the change of method: the 2025 delivery under another name.
    content = tmp_path / "content"
    (content / "ratings").mkdir(parents=True)
    edition = (CONTENT_DIR / "ratings" / "2025.yaml").read_text(encoding="utf-8")
    edition = (edition.replace('slug: "2025"', 'slug: "2026"').replace("2025-01-01", "2026-01-01")
               .replace("2025-12-31", "2026-12-31"))
    (content / "ratings" / "2026.yaml").write_text(edition, encoding="utf-8")
    shutil.copyfile(CONTENT_DIR / "ratings" / "2025.csv", content / "ratings" / "2026.csv")
    with published_app.app_context():
        report = import_content(content, file_store())
        assert not report.problems, [str(p) for p in report.problems]

    # Past editions: the same totals, grades and ranks, the checksum still matches, the page the same.
    assert {slug: _figures(published_app, slug) for slug in ("2024", "2025")} == before
    with published_app.app_context():
        for slug in ("2024", "2025"):
            version = services.get_version(slug)
            assert version.method == "weighted_sum_v1"
            assert services.integrity(version) == "ok"
            assert services.sha256(services.csv_bytes(version)) == version.checksum
    page_after = client.get("/ratings/2025/").get_data(as_text=True)
    assert "校验值不一致" not in page_after and "weighted_sum_v1" in page_after
    assert page_after.count("Σ") == page_before.count("Σ") == 1

    # The new edition was computed with the new method, and its page says which.
    new_figures = _figures(published_app, "2026")
    old_figures = dict((slug, total) for slug, total, _, _ in before["2025"])
    assert any(total != old_figures[slug] for slug, total, _, _ in new_figures)
    with published_app.app_context():
        assert services.get_version("2026").method == "unweighted_mean_v1"
    new_page = client.get("/ratings/2026/").get_data(as_text=True)
    assert "各指标得分率的算术平均" in new_page and "unweighted_mean_v1" in new_page
    assert client.get("/ratings/2026.json").get_json()["method"] == "unweighted_mean_v1"


def test_a_version_recorded_with_an_unknown_method_is_refused_not_guessed(published_app):
    with published_app.app_context():
        version = services.get_version("2025")
        with pytest.raises(scoring.UnknownMethod):
            scoring.compute_results("no_such_method", version.indicators, version.bands, {})
        db.session.rollback()
