"""Writing the index: the term pool, its spills and the parallel build produce the same postings
as each other, read back through Whoosh's own reader; a failing writer process fails the build."""
from __future__ import annotations

import dataclasses
import itertools

import pytest
from whoosh import index as whoosh_index

from portal import search
from portal.search.engine import SearchIndex


def _documents(app) -> list:
    with app.app_context():
        return list(itertools.chain.from_iterable(kind.documents() for kind in search.searchable_kinds().values()))


def _postings(root) -> set[tuple]:
    """Every (field, term, document id, positions or weight) of the index, by Whoosh's reader."""
    ix = whoosh_index.open_dir(str(root / "current"))
    found = set()
    with ix.searcher() as searcher:
        reader = searcher.reader()
        ids = {docnum: fields["id"] for docnum, fields in enumerate(reader.all_stored_fields())}
        for field, term in reader.all_terms():
            matcher = reader.postings(field, term)
            kind = "positions" if reader.schema[field].format.supports("positions") else "weight"
            for docnum, value in matcher.items_as(kind):
                found.add((field, term, ids[docnum], tuple(value) if kind == "positions" else value))
        lengths = {(ids[d], f, reader.doc_field_length(d, f)) for d in ids for f in ("title", "body")}
    return found | lengths


def test_every_way_of_writing_gives_the_same_postings(search_app, tmp_path, monkeypatch):
    documents = _documents(search_app)
    assert len(documents) > 20
    SearchIndex(tmp_path / "one").rebuild(documents)
    SearchIndex(tmp_path / "parallel").rebuild(documents, processes=2)
    # A pool of 256 postings spills about ten runs, merged back term by term.
    from portal.search.storage import pool

    monkeypatch.setattr(pool, "_BYTES_PER_POSTING", 2**20)
    runs = []
    real_save = pool.TermPool.save
    monkeypatch.setattr(pool.TermPool, "save", lambda self: (runs.append(1), real_save(self)))
    SearchIndex(tmp_path / "spilled").rebuild(documents)
    assert len(runs) >= 5
    one = _postings(tmp_path / "one")
    assert len(one) > 2_000
    assert _postings(tmp_path / "parallel") == one
    assert _postings(tmp_path / "spilled") == one


def test_a_failing_writer_process_fails_the_build_and_keeps_the_current_index(search_app, tmp_path):
    documents = _documents(search_app)
    index = SearchIndex(tmp_path / "ix")
    index.rebuild(documents[:5])
    broken = documents[:300] + [dataclasses.replace(documents[0], title=12345)] + documents[300:]
    with pytest.raises(RuntimeError, match="writer failed"):
        index.rebuild(broken, processes=2)
    assert index.document_count() == 5
    assert len(list((tmp_path / "ix").glob("build-*"))) == 1
