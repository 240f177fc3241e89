"""The portal's search against stock Whoosh, the oracle: portal/search/storage/ reaches into
Whoosh's internals for speed, so these tests show it still means what Whoosh means.

- Writing: the stock writer (`ix.writer()`, Whoosh's own codec and sorting pool) and the
  portal's writer give identical postings, positions and field lengths, read back through
  Whoosh's own reader — on the shipped content and on a generated corpus of 600 notices.
- Matching and ranking: for the relevance queries (tests/search/test_relevance.py's and the
  benchmark's kinds), the documents the portal matches are the documents Whoosh's own searcher
  matches, and the portal's top ten by BM25F are Whoosh's top ten, with Whoosh's own BM25F
  defaults. Documented exceptions, where only the matched set is compared: a query with a phrase
  — a quoted one, or the optional bonus (AndMaybe) a query of several words carries — because
  the portal scores a phrase as the sum of its words' BM25F where they stand together (and the
  bonus only when its candidates are few), while Whoosh scores it with its span matcher's own
  weighting. A broad query (over engine.BROAD_MATCHES documents) is ranked by
  its title, 文号 and department matches first by design, and is not compared either.
- The version guard: any Whoosh but the checked one refuses to load the storage modules.
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
import random

import pytest
import rjieba
from whoosh import index as whoosh_index
from whoosh import query as Q

from bench.search.corpus import generate
from portal import search
from portal.search import storage
from portal.search.documents import SearchDocument
from portal.search.engine import SearchIndex
from portal.search.query import WORD_FIELDS, build_query, parse_query
from portal.search.schema import build_schema, document_fields
from portal.search.storage.docsets import FacetTable, QueryReader
from tests.search.test_writing import _postings

RELEVANCE_QUERIES = [
    "诚信", "政务诚信", "应急物资", "安全生产", "信用", "承诺", "举报", "失信", "培训", "公开",
    "诚信 承诺", "应急 预案", "\"政务诚信建设\"", "梅市应急", "守信践诺", "风险预警", "物资储备",
]


def _shipped(app) -> list[SearchDocument]:
    with app.app_context():
        return list(itertools.chain.from_iterable(kind.documents() for kind in search.searchable_kinds().values()))


def _generated(count: int) -> list[SearchDocument]:
    documents = []
    for item in generate(count):
        documents.append(SearchDocument(
            kind=item["kind"], key=item["key"], title=item["title"], body=item["body"],
            date=dt.date.fromisoformat(item["date"]), doc_no=item["doc_no"],
            departments=tuple(tuple(d) for d in item["departments"])))
    return documents


def _stock_index(root, documents) -> None:
    """The index as Whoosh alone writes it: its own codec, writer and sorting pool."""
    (root / "current").mkdir(parents=True)
    ix = whoosh_index.create_in(str(root / "current"), build_schema())
    writer = ix.writer()
    for item in documents:
        writer.add_document(**document_fields(item))
    writer.commit()


@pytest.mark.parametrize("corpus", ["shipped", "generated"])
def test_the_stock_writer_and_the_portals_write_the_same_postings(search_app, tmp_path, corpus):
    documents = _shipped(search_app) if corpus == "shipped" else _generated(600)
    _stock_index(tmp_path / "stock", documents)
    SearchIndex(tmp_path / "portal").rebuild(documents)
    stock = _postings(tmp_path / "stock")
    assert len(stock) > (2_000 if corpus == "shipped" else 50_000)
    assert _postings(tmp_path / "portal") == stock


def _compare_ranking(index_root, queries) -> dict[str, str]:
    """For each query: "ranked" (matched sets and top ten agree), "matched" (sets agree; the
    ranking is a documented exception) — any disagreement fails the test."""
    outcome = {}
    ix = whoosh_index.open_dir(str(index_root / "current"))
    with ix.searcher() as searcher:  # Whoosh's default weighting: BM25F(B=0.75, K1=1.2)
        table, reader = FacetTable.read(searcher, WORD_FIELDS), QueryReader(searcher)
        for text in queries:
            parsed = parse_query(text)
            query = build_query(parsed, indexed=lambda word: True)
            ours = reader.docs(query)
            theirs = searcher.search(query, limit=None)
            assert ours == {hit.docnum for hit in theirs}, text
            if not ours:
                outcome[text] = "nothing"
                continue
            if _has_phrase(query) or len(ours) > 2_000:
                outcome[text] = "matched"
                continue
            top = reader.top_by_relevance(table, query, ours, 10)
            stock_top = searcher.search(query, limit=10)
            scores = {hit.docnum: hit.score for hit in theirs}
            # The same documents in the same order, ties (equal scores) in either order.
            assert [round(scores[d], 6) for d in top] == [round(hit.score, 6) for hit in stock_top], text
            assert all(math.isclose(scores[d], s, rel_tol=1e-9) for d, s in zip(top, sorted(
                (scores[d] for d in top), reverse=True))), text
            outcome[text] = "ranked"
    return outcome


def _has_phrase(query: Q.Query) -> bool:
    return isinstance(query, Q.Phrase) or any(_has_phrase(child) for child in query.children())


def test_the_portals_matches_and_ranking_agree_with_whooshs_searcher(search_app, tmp_path):
    SearchIndex(tmp_path / "shipped").rebuild(_shipped(search_app))
    outcome = _compare_ranking(tmp_path / "shipped", RELEVANCE_QUERIES)
    assert list(outcome.values()).count("ranked") >= 8, outcome


def test_on_a_generated_corpus_too(tmp_path):
    documents = _generated(600)
    SearchIndex(tmp_path / "generated").rebuild(documents)
    rng = random.Random(3)
    words = sorted({word for item in documents[:80] for word in rjieba.cut(item.title) if 2 <= len(word) <= 4})
    queries = RELEVANCE_QUERIES + rng.sample(words, 40)
    outcome = _compare_ranking(tmp_path / "generated", queries)
    assert list(outcome.values()).count("ranked") >= 40, outcome


def test_any_other_whoosh_refuses_to_load_the_storage_modules():
    storage.check_whoosh_version()  # the installed one is the checked one
    with pytest.raises(RuntimeError, match="checked only against 2.7.5"):
        storage.check_whoosh_version("2.8.0")
