"""The publication log: one leaf per publication event in the publication's own transaction, a
signed checkpoint after each, the tiles and proofs served at /log/, the self-audit that names
each item changed behind the portal's back, and the offline verifier a journalist runs."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import func, select, text

from portal import create_app
from portal.disclosures import publishing
from portal.extensions import db
from portal.files import file_store
from portal.publication import log, tlog
from portal.publication.audit import verify_log
from portal.staff.models import Role, StaffUser
from tests.admin.conftest import make_staff
from tests.conftest import CONTENT_DIR, PROJECT_ROOT

LEAF_KEYS = {"action", "id", "kind", "published_at", "seq", "sha256", "supersedes", "version"}


def leaves(app) -> list[dict]:
    with app.app_context():
        return [json.loads(entry.leaf) for entry in log.entries()]


def init_key(app) -> str:
    result = app.test_cli_runner().invoke(args=["log", "init-key"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        return log.signing_key().verifier


def staff(app, username: str) -> StaffUser:
    return db.session.scalar(select(StaffUser).where(StaffUser.username == username))


def correct(app, slug: str, body: str, redaction: bool = False) -> None:
    """A correction through the two-person review, as the back office makes one."""
    make_staff(app, "editor", Role.EDITOR)
    make_staff(app, "reviewer", Role.REVIEWER)
    with app.app_context():
        draft = publishing.start_correction(slug, staff(app, "editor"))
        form = publishing.draft_form_values(draft) | {"body": body, "correction_reason": "错字更正"}
        if redaction:
            form["redaction"] = "1"
        publishing.save_draft(draft.id, form, staff(app, "editor"), draft.version)
        draft = publishing.get_draft(draft.id)
        publishing.submit_draft(draft.id, staff(app, "editor"), draft.version)
        draft = publishing.get_draft(draft.id)
        publishing.approve_draft(draft.id, staff(app, "reviewer"), draft.version, file_store())


def test_each_published_item_has_one_leaf_of_hashes_and_ids_and_a_second_import_adds_none(published_app):
    first = leaves(published_app)
    with published_app.app_context():
        disclosures = db.session.scalar(text("SELECT count(*) FROM disclosures"))
        versions = db.session.scalar(text("SELECT count(*) FROM rating_edition_versions WHERE state = 'published'"))
        commendations = db.session.scalar(text("SELECT count(*) FROM commendations"))
    rules = [leaf for leaf in first if leaf["kind"] == "warning_rules"]
    assert len(first) == disclosures + versions + commendations + len(rules)
    # The warning rules in force, logged with the first rating published under them.
    assert [leaf["version"] for leaf in rules] == [1]
    with published_app.app_context():
        from portal.ratings.warnings import rules_bytes

        assert rules[-1]["sha256"] == hashlib.sha256(rules_bytes()).hexdigest()
    assert [leaf["seq"] for leaf in first] == list(range(len(first)))
    assert all(set(leaf) == LEAF_KEYS for leaf in first)  # hashes and ids only, never a name or a text
    with published_app.app_context():
        from portal.publication.content import import_content

        import_content(CONTENT_DIR, file_store())
    assert leaves(published_app) == first


def test_init_key_writes_a_private_key_others_cannot_read_and_signs_the_tree(published_app):
    verifier = init_key(published_app)
    key_file = published_app.extensions["portal.settings"].log_key_file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert verifier.startswith("localhost/log+")
    client = published_app.test_client()
    note = client.get("/log/checkpoint")
    assert note.status_code == 200 and note.headers["Cache-Control"] == "public, max-age=5"
    origin, size, tree_root, _ = tlog.parse_checkpoint(tlog.verify_note(note.get_data(as_text=True), verifier))
    with published_app.app_context():
        assert (origin, size) == ("localhost/log", log.tree_size())
        assert tree_root == tlog.root(log.leaf_hashes())
    page = client.get("/log/").get_data(as_text=True)
    assert verifier in page and "公开记录日志" in page
    again = published_app.test_cli_runner().invoke(args=["log", "init-key"])
    assert again.exit_code != 0 and "keeps its key" in again.output


def test_a_signing_key_others_may_read_stops_the_portal(published_app):
    init_key(published_app)
    settings = published_app.extensions["portal.settings"]
    settings.log_key_file.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        create_app(settings)


def test_a_correction_and_a_withdrawal_each_append_a_leaf_and_every_checkpoint_extends_the_last(published_app, tmp_path,
                                                                                                 capsys):
    verifier = init_key(published_app)
    client = published_app.test_client()
    old = client.get("/log/checkpoint").get_data(as_text=True)
    correct(published_app, "demo-2025-safety-month", "更正后的正文。\n")
    with published_app.app_context():
        publishing.withdraw_disclosure("demo-2024-misconduct-campaign", staff(published_app, "reviewer"), "已过时")
    tail = leaves(published_app)[-2:]
    assert [(leaf["id"], leaf["action"], leaf["version"]) for leaf in tail] == [
        ("demo-2025-safety-month", "corrected", 2), ("demo-2024-misconduct-campaign", "withdrawn", 2)]
    assert tail[0]["supersedes"] is not None
    new = client.get("/log/checkpoint").get_data(as_text=True)
    _, old_size, old_root, _ = tlog.parse_checkpoint(tlog.verify_note(old, verifier))
    _, new_size, new_root, _ = tlog.parse_checkpoint(tlog.verify_note(new, verifier))
    assert new_size == old_size + 2
    proof = client.get(f"/log/consistency?old={old_size}&new={new_size}").get_json()
    assert tlog.verify_consistency(old_size, new_size, old_root, new_root, [bytes.fromhex(h) for h in proof["proof"]])
    # The journalist's verifier, offline from saved files: consistent; and a rewritten history is a fork.
    saved = {"old.txt": old, "new.txt": new, "proof.json": json.dumps(proof)}
    for name, data in saved.items():
        (tmp_path / name).write_text(data, encoding="utf-8")
    arguments = ["consistency", "--key", verifier, "--old", str(tmp_path / "old.txt"), "--new", str(tmp_path / "new.txt"),
                 "--proof", str(tmp_path / "proof.json")]
    assert tlog.main(arguments) == 0 and "consistent: the tree of" in capsys.readouterr().out
    with published_app.app_context():  # the operator rewrites an old leaf and re-signs with the site's key
        key = log.signing_key()
        hashes = log.leaf_hashes()
        hashes[0] = tlog.leaf_hash(b"rewritten")
        rewritten = tlog.sign_note(tlog.checkpoint_body(key.name, new_size, tlog.root(hashes)), key.name, key.seed)
    (tmp_path / "new.txt").write_text(rewritten, encoding="utf-8")
    assert tlog.main(arguments) == 1 and "FORK" in capsys.readouterr().err
    # The withdrawn item's record is what its leaf names.
    source = client.get("/disclosures/demo-2024-misconduct-campaign/source.json").data
    assert hashlib.sha256(source).hexdigest() == tail[1]["sha256"]


def test_tiles_and_entry_bundles_are_the_trees(published_app):
    init_key(published_app)
    client = published_app.test_client()
    with published_app.app_context():
        hashes, size = log.leaf_hashes(), log.tree_size()
    tile = client.get(f"/log/tile/0/000.p/{size}")
    assert tile.status_code == 200 and tile.headers["Cache-Control"].endswith("immutable")
    assert tile.data == b"".join(hashes)
    bundle = client.get(f"/log/tile/entries/000.p/{size}")
    assert [tlog.leaf_hash(entry) for entry in tlog.parse_entry_bundle(bundle.data)] == hashes
    for missing in ("/log/tile/0/000", f"/log/tile/0/000.p/{size + 1}", "/log/tile/0/x000/000", "/log/tile/0/000.p/0",
                    "/log/tile/0/000.p/256", "/log/tile/1/000.p/1", "/log/tile/entries/../000", "/log/proof/999"):
        assert client.get(missing).status_code == 404, missing


def test_the_offline_verifier_places_a_saved_item_and_refuses_a_changed_one(published_app, tmp_path, capsys):
    verifier = init_key(published_app)
    client = published_app.test_client()
    files = {
        "checkpoint.txt": client.get("/log/checkpoint").data,
        "item.json": client.get("/disclosures/2020-integrity-plan/source.json").data,
        "ratings.csv": client.get("/ratings/2025.csv").data,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    for item in ("item.json", "ratings.csv"):
        digest = hashlib.sha256(files[item]).hexdigest()
        seq = client.get(f"/log/lookup?sha256={digest}").get_json()["entries"][-1]["seq"]
        (tmp_path / f"{item}.proof").write_bytes(client.get(f"/log/proof/{seq}").data)
        # Offline, from the saved files alone.
        assert tlog.main(["inclusion", "--key", verifier, "--checkpoint", str(tmp_path / "checkpoint.txt"),
                          "--proof", str(tmp_path / f"{item}.proof"), str(tmp_path / item)]) == 0
        assert f"included: entry {seq}" in capsys.readouterr().out
    # One changed character, or a checkpoint signed by another key: refused, and it says why.
    (tmp_path / "changed.json").write_bytes(files["item.json"].replace("梅州".encode(), "梅洲".encode(), 1))
    assert tlog.main(["inclusion", "--key", verifier, "--checkpoint", str(tmp_path / "checkpoint.txt"),
                      "--proof", str(tmp_path / "item.json.proof"), str(tmp_path / "changed.json")]) == 1
    assert "not the published content" in capsys.readouterr().err
    forged = tlog.sign_note(tlog.verify_note(files["checkpoint.txt"].decode(), verifier), "localhost/log", b"\x01" * 32)
    (tmp_path / "forged.txt").write_text(forged, encoding="utf-8")
    assert tlog.main(["inclusion", "--key", verifier, "--checkpoint", str(tmp_path / "forged.txt"),
                      "--proof", str(tmp_path / "item.json.proof"), str(tmp_path / "item.json")]) == 1
    assert "no signature by localhost/log" in capsys.readouterr().err


def test_the_verifier_downloaded_from_log_is_the_one_tested_here(published_app):
    response = published_app.test_client().get("/log/verify_publication.py")
    assert response.data == (PROJECT_ROOT / "portal" / "publication" / "tlog.py").read_bytes()
    assert "attachment" in response.headers["Content-Disposition"]


def test_the_self_audit_names_every_item_changed_outside_the_portal(published_app):
    init_key(published_app)
    with published_app.app_context():
        assert verify_log().problems == []
        db.session.execute(text("UPDATE disclosures SET body = body || '（篡改）' WHERE slug = 'demo-2025-safety-month'"))
        db.session.execute(text("UPDATE rating_scores SET value = 100 WHERE indicator_code = 'A1' AND version_id = "
                                "(SELECT min(id) FROM rating_edition_versions)"))
        db.session.execute(text("UPDATE commendations SET reason = '改写的理由' WHERE id = (SELECT min(id) FROM commendations)"))
        db.session.commit()
        problems = {(p.kind, p.item): p.message for p in verify_log().problems}
    assert set(problems) >= {("disclosure", "demo-2025-safety-month"), ("rating", "2024")}
    assert any(kind == "commendation" for kind, _ in problems)
    assert "在平台之外被改动" in problems[("disclosure", "demo-2025-safety-month")]
    client = published_app.test_client()
    assert "与公开记录日志不一致" in client.get("/disclosures/demo-2025-safety-month").get_data(as_text=True)
    assert "与公开记录日志不一致" in client.get("/ratings/2024/").get_data(as_text=True)
    assert "与公开记录日志不一致" in client.get("/honor-roll/").get_data(as_text=True)
    assert "与公开记录日志不一致" not in client.get("/disclosures/2020-integrity-plan").get_data(as_text=True)
    result = published_app.test_cli_runner().invoke(args=["log", "verify"])
    assert result.exit_code == 1 and "disclosure/demo-2025-safety-month" in result.output


def test_a_deleted_edition_version_or_leaf_is_found_and_no_checkpoint_is_signed_over_it(published_app):
    init_key(published_app)
    with published_app.app_context():
        size_before, root_before = log.latest_checkpoint().size, log.latest_checkpoint().root
        version_id = db.session.scalar(text("SELECT min(id) FROM rating_edition_versions"))
        for table in ("rating_scores", "rating_indicators", "rating_grade_bands", "rating_responses"):
            db.session.execute(text(f"DELETE FROM {table} WHERE version_id = :id"), {"id": version_id})
        db.session.execute(text("DELETE FROM rating_edition_versions WHERE id = :id"), {"id": version_id})
        db.session.execute(text("DELETE FROM publication_log WHERE seq = 1"))
        db.session.commit()
        messages = [f"{p.kind}/{p.item}: {p.message}" for p in verify_log().problems]
        assert any("rating/2024" in m and "删除" in m for m in messages), messages
        assert any("缺失" in m for m in messages), messages
    with published_app.app_context():  # the tree is kept as tiles: a deleted leaf changes nothing signed
        signed = log.sign_checkpoint()
        assert (signed.size, signed.root) == (size_before, root_before)
    with published_app.app_context():
        db.session.execute(text("UPDATE publication_log SET leaf_hash = :h WHERE seq = 0"), {"h": "00" * 32})
        db.session.execute(text("UPDATE publication_log_head SET size = size + 1"))
        db.session.commit()
        with pytest.raises(log.LogInconsistent):
            log.sign_checkpoint()


SUBPROCESS = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    settings = json.loads(os.environ["SETTINGS"])
    for key in ("files_dir", "search_index_dir", "log_key_file", "content_dir"):
        settings[key] = Path(settings[key])
    from portal import create_app, publication
    from portal.files import file_store
    from portal.publication.content import import_content
    from sqlalchemy.orm import Session

    if sys.argv[1] == "before-commit":  # the leaf and the disclosure are written, not committed
        Session.commit = lambda self: os._exit(9)
    else:  # committed, then the process dies before telling anyone
        publication.announce = lambda *args, **kwargs: os._exit(9)
    app = create_app(settings)
    with app.app_context():
        import_content(Path(sys.argv[2]), file_store())
""")


@pytest.mark.parametrize("killed", ["before-commit", "after-commit"])
def test_a_killed_publication_leaves_both_the_item_and_its_leaf_or_neither(published_app, tmp_path, killed):
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    plan = (content / "disclosures" / "2020-integrity-plan.md").read_text(encoding="utf-8")
    new = plan.replace("slug: 2020-integrity-plan", "slug: killed-notice").replace("MZYJ-2020-00052", "KILL-1")
    (content / "disclosures" / "killed-notice.md").write_text(new, encoding="utf-8")
    settings = published_app.extensions["portal.settings"]
    values = {key: str(getattr(settings, key)) for key in (
        "database_url", "files_dir", "search_index_dir", "log_key_file", "content_dir", "secret_key",
        "receipt_pepper", "public_base_url")} | {"env": "testing"}
    with published_app.app_context():
        size_before = log.tree_size()
    finished = subprocess.run(
        [sys.executable, "-c", SUBPROCESS.format(root=str(PROJECT_ROOT)), killed, str(content)],
        env={**os.environ, "SETTINGS": json.dumps(values)}, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 9, finished.stderr
    with published_app.app_context():
        db.session.remove()
        published = db.session.scalar(select(func.count()).select_from(text("disclosures"))
                                      .where(text("slug = 'killed-notice'")))
        logged = [entry for entry in log.entries() if entry.item == "killed-notice"]
        assert (published, len(logged)) == ((0, 0) if killed == "before-commit" else (1, 1))
        assert log.tree_size() == size_before + len(logged)
        assert verify_log(store=False).problems == []


def test_witness_cosignatures_are_accepted_from_configured_witnesses_and_served(make_app, tmp_path):
    from nacl.signing import SigningKey as Ed25519Key

    seed = b"\x05" * 32
    witness = tlog.verifier_key("witness.example/w1", bytes(Ed25519Key(seed).verify_key), tlog.COSIGNATURE_V1)
    app = make_app(log_witnesses=(witness,))
    with app.app_context():
        from portal.publication.content import import_content

        import_content(CONTENT_DIR, file_store())
    verifier = init_key(app)
    client = app.test_client()
    note = client.get("/log/checkpoint").get_data(as_text=True)
    body = tlog.verify_note(note, verifier)
    cosigned = note + tlog.cosign(body, "witness.example/w1", seed, 1_800_000_000) + "\n"
    stranger = note + tlog.cosign(body, "witness.example/w1", b"\x06" * 32, 1_800_000_000) + "\n"
    runner = app.test_cli_runner()
    (tmp_path / "stranger.txt").write_text(stranger, encoding="utf-8")
    assert runner.invoke(args=["log", "add-cosignature", str(tmp_path / "stranger.txt")]).exit_code == 1
    (tmp_path / "cosigned.txt").write_text(cosigned, encoding="utf-8")
    result = runner.invoke(args=["log", "add-cosignature", str(tmp_path / "cosigned.txt")])
    assert result.exit_code == 0 and "1 new" in result.output
    served = client.get("/log/checkpoint").get_data(as_text=True)
    text_part, signatures = tlog.split_note(served)
    assert tlog.verify_note(served, verifier) == body  # the log's own signature still verifies
    (name, identifier, rest), = [s for s in signatures if s[0] == "witness.example/w1"]
    assert tlog.verify_cosignature(body, name, identifier + rest, witness) == 1_800_000_000
    # A cosigned tree this log never signed (the same size with another root: a fork) is refused.
    _, size, _, _ = tlog.parse_checkpoint(body)
    fork = tlog.checkpoint_body("localhost/log", size, bytes(32))
    forged = fork + "\n" + tlog.cosign(fork, "witness.example/w1", seed, 1_800_000_001) + "\n"
    (tmp_path / "forged.txt").write_text(forged, encoding="utf-8")
    refused = runner.invoke(args=["log", "add-cosignature", str(tmp_path / "forged.txt")])
    assert refused.exit_code != 0 and "not a checkpoint this log signed" in refused.output
    assert "witness.example/w1" in client.get("/log/").get_data(as_text=True)


def test_a_new_release_of_the_warning_rules_is_logged_by_the_audit_not_reported_as_an_edit(published_app, monkeypatch):
    init_key(published_app)
    from portal.ratings import warnings

    monkeypatch.setitem(warnings.RULES, "overdue", ("整改逾期", "部门未在期限内完成整改。"))
    with published_app.app_context():
        assert verify_log().problems == []
        latest = log.latest_entry("warning_rules", "rules")
        assert latest.action == "corrected" and latest.sha256 == hashlib.sha256(warnings.rules_bytes()).hexdigest()
        assert log.latest_checkpoint().size == log.tree_size()


def test_a_portal_that_published_before_its_log_existed_starts_its_log_at_init_key(published_app):
    with published_app.app_context():  # as after migration 0009 on a portal with content
        expected = log.tree_size()
        for table in ("publication_log", "publication_log_head", "publication_log_tiles"):
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()
        assert any("未记入公开记录日志" in p.message for p in verify_log(store=False).problems)
    result = published_app.test_cli_runner().invoke(args=["log", "init-key"])
    assert result.exit_code == 0 and f"logged {expected} item(s)" in result.output
    with published_app.app_context():
        assert verify_log().problems == []
        assert log.latest_checkpoint().size == log.tree_size() == expected
