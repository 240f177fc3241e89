"""The tree kept as tiles (#26.3): each append adds its leaf to its tile and every tile it fills
gives its root to the tile above; roots, proofs and served tiles computed from the stored tiles
equal the ones computed from every leaf."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, update

from portal.extensions import db
from portal.publication import log, tlog


def _bulk_leaves(count: int) -> None:
    """`count` synthetic leaves as record() would write them, inserted at once (a large log)."""
    rows = []
    for seq in range(count):
        leaf = log.canonical_json({"seq": seq, "kind": "bench", "id": f"item-{seq}", "version": 1, "action": "published",
                                   "sha256": f"{seq:064x}", "published_at": "2026-01-01", "supersedes": None})
        rows.append({"seq": seq, "kind": "bench", "item": f"item-{seq}", "version": 1, "action": "published",
                     "sha256": f"{seq:064x}", "published_on": dt.date(2026, 1, 1), "supersedes": None,
                     "leaf": leaf.decode(), "leaf_hash": tlog.leaf_hash(leaf).hex()})
    db.session.execute(insert(log.LogEntry), rows)
    db.session.add(log.LogHead(id=1, size=count))


def _all_hashes() -> list[bytes]:
    return [bytes.fromhex(entry.leaf_hash) for entry in log.entries()]


def test_appending_stores_each_full_tile_and_the_stored_tree_gives_the_leaves_tree(app):
    with app.app_context():
        for n in range(600):
            log.record("bench", f"item-{n}", f"bytes {n}".encode(), dt.date(2026, 1, 1))
        db.session.commit()
        hashes = _all_hashes()
        stored = {(t.level, t.index): t.hashes for t in db.session.scalars(db.select(log.LogTile))}
        # Two full leaf tiles, the third partial (88 leaves), and above them the two complete roots.
        assert set(stored) == {(0, 0), (0, 1), (0, 2), (1, 0)} and stored == log.tiles_of(hashes)
        assert len(stored[(0, 2)]) == 88 * 32 and len(stored[(1, 0)]) == 2 * 32
        pick = random.Random(26)
        for size in [1, 2, 255, 256, 257, 511, 512, 513, 600] + pick.sample(range(1, 601), 20):
            tree = log.StoredTree(size)
            assert tree.root() == tlog.root(hashes[:size])
            for index in pick.sample(range(size), min(size, 5)):
                assert tree.inclusion_proof(index) == tlog.inclusion_proof(hashes[:size], index)
            for old in pick.sample(range(1, size + 1), min(size, 5)):
                assert tree.consistency_proof(old) == tlog.consistency_proof(hashes[:size], old)
        for index, width in ((0, 256), (1, 256), (2, 88), (0, 17)):
            assert log.StoredTree(600).tile(0, index, width) == tlog.tile_hashes(hashes, 0, index, 600)[:width]


def test_a_second_level_tile_is_completed_by_the_append_that_fills_it(app):
    with app.app_context():
        _bulk_leaves(65_530)
        assert log.rebuild_tiles(_all_hashes()) == 257  # 255 full leaf tiles, a partial one, and the level above
        db.session.commit()
        for n in range(10):  # across 65,536 = 256 × 256
            log.record("bench", f"new-{n}", f"new bytes {n}".encode(), dt.date(2026, 1, 2))
        db.session.commit()
        hashes = _all_hashes()
        stored = {(t.level, t.index): t.hashes for t in db.session.scalars(db.select(log.LogTile))}
        assert len(stored[(1, 0)]) == 256 * 32 and (2, 0) in stored and stored == log.tiles_of(hashes)
        tree = log.StoredTree(len(hashes))
        assert tree.root() == tlog.root(hashes)
        assert tree.inclusion_proof(65_535) == tlog.inclusion_proof(hashes, 65_535)
        assert tree.consistency_proof(40_000) == tlog.consistency_proof(hashes, 40_000)
        assert tree.tile(1, 0, 256) == tlog.tile_hashes(hashes, 1, 0, len(hashes))


def test_a_changed_tile_is_found_by_the_audit(app):
    from portal.publication.audit import verify_log

    with app.app_context():
        for n in range(300):
            log.record("bench", f"item-{n}", f"bytes {n}".encode(), dt.date(2026, 1, 1))
        db.session.commit()
        db.session.execute(update(log.LogTile).values(hashes=bytes(32 * 256)))
        db.session.commit()
        messages = [p.message for p in verify_log(store=False).problems]
    assert any("哈希块与记录不一致" in m for m in messages), messages
