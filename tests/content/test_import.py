"""`content import` is idempotent, one transaction per file, and round-trips through export."""
from __future__ import annotations

import dataclasses

from sqlalchemy import select

from portal.publication.content import export_content, import_content
from portal.departments.services import department_record, list_departments
from portal.disclosures.models import Attachment, Disclosure
from portal.disclosures.services import all_disclosures, disclosure_record
from portal.extensions import db
from portal.files import file_store
from tests.conftest import CONTENT_DIR
from tests.content.helpers import front_matter, write_content


def snapshot() -> dict:
    """Every stored record, in a form that compares by value (attachments by their bytes' hash)."""
    store = file_store()
    disclosures = []
    for disclosure in all_disclosures():
        stored = disclosure_record(disclosure, store)
        record = dataclasses.asdict(dataclasses.replace(stored, attachments=()))
        record["attachments"] = [(a.title, a.filename, a.source.read_bytes()) for a in stored.attachments]
        disclosures.append(record)
    rows = db.session.execute(select(Disclosure.id, Disclosure.slug)).all()
    attachment_rows = db.session.execute(select(Attachment.id, Attachment.sha256)).all()
    return {
        "departments": [department_record(d) for d in list_departments()],
        "disclosures": sorted(disclosures, key=lambda r: r["slug"]),
        "row_ids": sorted(rows) + sorted(attachment_rows),
    }


def test_import_twice_gives_the_same_database(app):
    with app.app_context():
        first = import_content(CONTENT_DIR, file_store())
        before = snapshot()
        second = import_content(CONTENT_DIR, file_store())
        after = snapshot()
    # departments.yaml, 12 disclosures, 2 rating editions, honor-roll.yaml
    assert (first.created, first.updated, first.problems) == (16, 0, [])
    assert (second.created, second.updated, second.unchanged) == (0, 0, 16)
    assert before == after
    assert len(before["disclosures"]) == 12


def test_export_then_import_into_an_empty_database_gives_the_same_records(make_app, tmp_path):
    source = make_app(files_dir=tmp_path / "files-a")
    with source.app_context():
        import_content(CONTENT_DIR, file_store())
        original = snapshot()
        export_content(tmp_path / "exported", file_store())
    target = make_app(files_dir=tmp_path / "files-b")
    with target.app_context():
        assert all_disclosures() == []
        report = import_content(tmp_path / "exported", file_store())
        assert report.problems == []
        copy = snapshot()
    del original["row_ids"], copy["row_ids"]
    assert copy == original


def test_a_broken_file_is_skipped_and_the_others_are_imported(app, tmp_path):
    write_content(tmp_path, {
        "disclosures/good.md": front_matter(slug="good", index_no="T-1"),
        "disclosures/broken.md": front_matter(slug="broken", index_no="T-2", published_on="2024-13-01"),
    })
    with app.app_context():
        report = import_content(tmp_path, file_store())
        slugs = [d.slug for d in all_disclosures()]
    assert slugs == ["good"]
    assert report.skipped_files == 1
    assert str(report.problems[0]).startswith(f"{tmp_path}/disclosures/broken.md:8:")


def test_a_file_broken_later_keeps_what_was_imported_before(app, tmp_path):
    write_content(tmp_path, {"disclosures/a.md": front_matter(title="第一版标题")})
    with app.app_context():
        import_content(tmp_path, file_store())
        (tmp_path / "disclosures/a.md").write_text(front_matter(title="第二版标题", topic="[未闭合"), encoding="utf-8")
        report = import_content(tmp_path, file_store())
        (disclosure,) = all_disclosures()
        assert disclosure.title == "第一版标题"
    assert report.skipped_files == 1


def test_a_changed_file_updates_the_record(app, tmp_path):
    write_content(tmp_path, {"disclosures/a.md": front_matter(title="第一版标题")})
    with app.app_context():
        import_content(tmp_path, file_store())
        (tmp_path / "disclosures/a.md").write_text(
            front_matter(title="更正后的标题", departments="[personnel-education]"), encoding="utf-8"
        )
        report = import_content(tmp_path, file_store())
        (disclosure,) = all_disclosures()
        assert disclosure.title == "更正后的标题"
        assert [d.slug for d in disclosure.departments] == ["personnel-education"]
    assert (report.created, report.updated) == (0, 1)


def test_an_index_no_taken_by_another_record_is_skipped_and_the_first_kept(app, tmp_path):
    write_content(tmp_path, {"disclosures/a.md": front_matter(slug="first", index_no="SAME-1")})
    other = tmp_path / "other"
    other.mkdir()
    write_content(other, {"disclosures/b.md": front_matter(slug="second", index_no="SAME-1")})
    with app.app_context():
        import_content(tmp_path, file_store())
        report = import_content(other, file_store())
        assert [d.slug for d in all_disclosures()] == ["first"]
    (problem,) = report.problems
    assert str(problem).startswith(f"{other}/disclosures/b.md:1: 未导入 (not imported)")


def test_import_command_reports_and_exits_1_on_a_broken_file(runner, tmp_path):
    write_content(tmp_path, {
        "disclosures/good.md": front_matter(slug="good", index_no="T-1"),
        "disclosures/broken.md": "not front matter\n",
    })
    result = runner.invoke(args=["content", "import", str(tmp_path)])
    assert result.exit_code == 1
    assert "broken.md:1:" in result.output
    # departments.yaml and good.md went in; broken.md did not
    assert "files created 2, updated 0, unchanged 0, skipped 1" in result.output


def test_export_command_writes_files_that_check_accepts(runner, published_app, tmp_path):
    result = runner.invoke(args=["content", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out/disclosures/2020-integrity-plan.md").exists()
    assert (tmp_path / "out/attachments/demo-2025-emergency-supplies/应急物资储备清单.csv").exists()
    check = runner.invoke(args=["content", "check", str(tmp_path / "out")])
    assert check.exit_code == 0, check.output
