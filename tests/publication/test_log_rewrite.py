"""A database writer cannot rewrite the log's history: the signer remembers what it signed
outside the database, refuses a tree that does not extend it, and the audit names the item (#26.1)."""
from __future__ import annotations

import json
import os
import stat

from sqlalchemy import func, select, text

from portal import publication
from portal.extensions import db
from portal.publication import log, tlog
from portal.publication.audit import verify_log
from tests.publication.test_log import correct as first_correction
from tests.publication.test_log import init_key, staff

TARGET = "demo-2025-safety-month"


def correct(app, slug: str, body: str) -> None:
    """A correction through the two-person review (the editor and reviewer made once)."""
    with app.app_context():
        known = staff(app, "editor") is not None
    if not known:
        return first_correction(app, slug, body)
    from portal.disclosures import publishing
    from portal.files import file_store

    with app.app_context():
        draft = publishing.start_correction(slug, staff(app, "editor"))
        form = publishing.draft_form_values(draft) | {"body": body, "correction_reason": "错字更正"}
        publishing.save_draft(draft.id, form, staff(app, "editor"), draft.version)
        draft = publishing.get_draft(draft.id)
        publishing.submit_draft(draft.id, staff(app, "editor"), draft.version)
        draft = publishing.get_draft(draft.id)
        publishing.approve_draft(draft.id, staff(app, "reviewer"), draft.version, file_store())


def _rewrite_latest_leaf(app, slug: str, tiles: bool = True) -> int:
    """The attack of issue #26: change a disclosure's body, rewrite its latest leaf to match (and
    the tiles of the tree), and delete every checkpoint signed after that leaf. Returns the leaf's
    position."""
    with app.app_context():
        db.session.execute(text("UPDATE disclosures SET body = body || '（改写的历史）' WHERE slug = :slug"), {"slug": slug})
        db.session.commit()
        entry = log.latest_entry("disclosure", slug)
        data = max((version, data) for item, version, data, _ in publication.kind("disclosure").published_bytes()
                   if item == slug)[1]
        leaf = json.loads(entry.leaf) | {"sha256": log.sha256_hex(data)}
        forged = log.canonical_json(leaf)
        db.session.execute(text("UPDATE publication_log SET sha256 = :sha, leaf = :leaf, leaf_hash = :hash WHERE seq = :seq"),
                           {"sha": leaf["sha256"], "leaf": forged.decode(), "hash": tlog.leaf_hash(forged).hex(),
                            "seq": entry.seq})
        if tiles:  # the tree is kept as tiles: a thorough forger recomputes them from the forged leaves
            db.session.expire_all()
            log.rebuild_tiles([bytes.fromhex(e.leaf_hash) for e in log.entries()])
        db.session.execute(text("DELETE FROM publication_log_checkpoints WHERE size > :seq"), {"seq": entry.seq})
        db.session.commit()
        return entry.seq


def _checkpoint_sizes(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(log.LogCheckpoint.size).order_by(log.LogCheckpoint.size)))


def test_the_signer_remembers_its_largest_checkpoint_beside_its_key_readable_by_it_alone(published_app):
    init_key(published_app)
    correct(published_app, TARGET, "更正后的正文。")
    with published_app.app_context():
        path = log.signed_state_file()
        remembered = log.remembered_checkpoint()
        assert path.parent == published_app.extensions["portal.settings"].log_key_file.parent
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert remembered.size == log.tree_size() == log.latest_checkpoint().size
        assert remembered.root.hex() == log.latest_checkpoint().root


def test_a_rewritten_leaf_with_later_checkpoints_deleted_is_named_by_the_audit_and_never_signed(published_app):
    init_key(published_app)
    correct(published_app, TARGET, "更正后的正文。")  # the target's latest leaf, then one more publication
    correct(published_app, "2020-integrity-plan", "另一次更正的正文。")
    seq = _rewrite_latest_leaf(published_app, TARGET)
    assert max(_checkpoint_sizes(published_app)) == seq  # what the database alone still shows is consistent

    with published_app.app_context():
        problems = [(p.kind, p.item, p.message) for p in verify_log().problems]
    assert any(kind == "disclosure" and item == TARGET and f"日志第 {seq} 条" in message
               for kind, item, message in problems), problems
    assert any(kind == "log" and "签名检查点" in message for kind, _, message in problems), problems
    # Items published before the rewritten leaf are not accused.
    assert not any(item == "demo-2025-emergency-supplies" for _, item, _ in problems), problems
    verified = published_app.test_cli_runner().invoke(args=["log", "verify"])
    assert verified.exit_code == 1 and f"disclosure/{TARGET}" in verified.output

    refused = published_app.test_cli_runner().invoke(args=["log", "sign"])
    assert refused.exit_code != 0 and "rewritten" in refused.output
    # The next publication is committed, and no checkpoint is signed over the forged tree.
    correct(published_app, "demo-2025-emergency-supplies", "再一次更正的正文。")
    assert max(_checkpoint_sizes(published_app)) == seq
    page = published_app.test_client().get(f"/disclosures/{TARGET}").get_data(as_text=True)
    assert f"日志第 {seq} 条与已签名的检查点不一致" in page  # the page itself warns its reader


def test_deleting_the_checkpoints_alone_is_found(published_app):
    init_key(published_app)
    correct(published_app, TARGET, "更正后的正文。")
    with published_app.app_context():
        remembered = log.remembered_checkpoint().size
        db.session.execute(text("DELETE FROM publication_log_checkpoints"))
        db.session.commit()
        messages = [p.message for p in verify_log().problems]
    assert any(f"第 {remembered} 号签名检查点已从数据库中删除" in m for m in messages), messages


def test_a_state_file_others_may_write_or_not_signed_by_the_key_stops_the_signer(published_app):
    init_key(published_app)
    with published_app.app_context():
        path = log.signed_state_file()
        os.chmod(path, 0o666)
        try:
            log.remembered_checkpoint()
        except log.LogInconsistent as exc:
            assert "chmod 600" in str(exc)
        else:
            raise AssertionError("a world-writable memory was trusted")
        os.chmod(path, 0o600)
        path.write_text(path.read_text().replace("\n\n", "\n\nforged\n", 1))
        refused = published_app.test_cli_runner().invoke(args=["log", "sign"])
        assert refused.exit_code != 0 and "not signed" in refused.output
        assert db.session.scalar(select(func.count()).select_from(log.LogCheckpoint)) == 1


def test_every_stored_checkpoint_is_checked_not_only_the_latest(published_app):
    init_key(published_app)
    correct(published_app, TARGET, "更正后的正文。")
    with published_app.app_context():
        oldest = min(_checkpoint_sizes(published_app))
        db.session.execute(text("UPDATE publication_log_checkpoints SET root = :r WHERE size = :s"), {"r": "ab" * 32, "s": oldest})
        db.session.commit()
        messages = [p.message for p in verify_log().problems]
    assert any(f"第 {oldest} 号" in m for m in messages), messages


def test_roots_at_every_size_in_one_pass_are_the_trees():
    hashes = [tlog.leaf_hash(str(n).encode()) for n in range(300)]
    assert tlog.roots_at(hashes, range(301)) == {n: tlog.root(hashes[:n]) for n in range(301)}


def test_a_query_string_on_a_tile_entry_or_checkpoint_address_is_sent_to_the_bare_address(published_app, monkeypatch):
    init_key(published_app)
    client = published_app.test_client()
    computed = []
    real = log.StoredTree.tile
    monkeypatch.setattr(log.StoredTree, "tile", lambda self, *a: computed.append(a) or real(self, *a))
    for path in ("/log/tile/0/000.p/1", "/log/tile/entries/000.p/1", "/log/checkpoint", "/log/verify_publication.py"):
        response = client.get(path + "?x=1")
        assert response.status_code == 301 and response.headers["Location"] == path, path
        assert client.get(path).status_code == 200, path
    assert len(computed) == 1  # only the bare tile address computed its hashes


def test_an_unknown_rating_method_is_a_finding_and_no_page_answers_500(published_app):
    init_key(published_app)
    with published_app.app_context():
        db.session.execute(text("UPDATE rating_edition_versions SET method = 'bogus_v9'"))
        db.session.commit()
    verified = published_app.test_cli_runner().invoke(args=["log", "verify"])
    assert verified.exit_code == 1 and "rating/2024" in verified.output and "bogus_v9" in verified.output
    client = published_app.test_client()
    home = client.get("/")
    assert home.status_code == 200 and "无法按发布时的方式读取" in home.get_data(as_text=True)
    for path in ("/ratings/", "/ratings/2024/", "/ratings/2024.csv", "/api/v1/ratings/2024", "/departments/office",
                 "/warnings/"):
        response = client.get(path)
        assert response.status_code in (200, 503), (path, response.status_code)
    page = client.get("/ratings/2024/")
    assert page.status_code == 503 and "可能在平台之外被改动" in page.get_data(as_text=True)


def test_an_attachment_replaced_in_the_file_store_is_not_served_and_the_audit_names_it(published_app):
    from urllib.parse import quote

    from portal.disclosures.models import Disclosure
    from portal.files import file_store

    slug = "demo-2025-emergency-supplies"
    init_key(published_app)
    with published_app.app_context():
        attachment = db.session.scalar(select(Disclosure).where(Disclosure.slug == slug)).attachments[0]
        digest, filename = attachment.sha256, attachment.filename
        store = file_store()
        if store.root is None:  # PostgreSQL: the bytes are a row
            db.session.execute(text("UPDATE stored_files SET data = :d WHERE sha256 = :s"), {"d": b"forged,1\n", "s": digest})
            db.session.commit()
        else:
            store.path(digest).write_bytes(b"forged,1\n")
    client = published_app.test_client()
    download = client.get(f"/disclosures/{slug}/files/{quote(filename)}")
    assert download.status_code == 503 and b"forged" not in download.get_data()
    assert "可能在平台之外被改动" in download.get_data(as_text=True)
    verified = published_app.test_cli_runner().invoke(args=["log", "verify"])
    assert verified.exit_code == 1 and f"disclosure/{slug}" in verified.output and "文件被替换" in verified.output
    assert "文件被替换" in client.get(f"/disclosures/{slug}").get_data(as_text=True)


def test_a_leaf_rewritten_without_its_tiles_is_named_and_the_signed_tree_stays_the_true_one(published_app):
    init_key(published_app)
    correct(published_app, TARGET, "更正后的正文。")
    with published_app.app_context():
        true_root = log.latest_checkpoint().root
    seq = _rewrite_latest_leaf(published_app, TARGET, tiles=False)
    with published_app.app_context():
        problems = [(p.kind, p.item, p.message) for p in verify_log().problems]
        signed_root = log.sign_checkpoint().root
    assert (("disclosure", TARGET, f"日志第 {seq} 条与日志的树不一致（记录在数据库中被改写）") in problems), problems
    assert signed_root == true_root  # the tiles still hold the true leaf: nothing forged is signed
    proof = published_app.test_client().get(f"/log/proof/{seq}").get_json()
    leaf_hash = tlog.leaf_hash(proof["leaf"].encode())
    assert not tlog.verify_inclusion(leaf_hash, seq, proof["size"], [bytes.fromhex(h) for h in proof["proof"]],
                                     bytes.fromhex(signed_root))  # a reader's verifier refuses the forged leaf
