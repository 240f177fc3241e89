"""Matching documents, their scores and facet tables, read from Whoosh's storage.

Whoosh finds "every document that matches" (for totals and facet counts) by stepping matchers
one document at a time in Python; its facet categorisers re-read every posting of the facet
field on every query; its phrase matcher steps span matchers through every document holding all
the words. On 100,000 documents that cost from a tenth of a second to a second a query. Here a
term's postings are read a whole block (128 documents) at a time, once per query; compound
queries are combined as Python sets; phrases are checked on positions decoded only for the
candidate documents; BM25F is computed for the matched documents only; and facets come from
columns read once per opened searcher. The index format and the statistics are Whoosh's.
"""
from __future__ import annotations

import dataclasses
import heapq
import math
import sys
from collections import Counter
from collections.abc import Iterable
from itertools import accumulate

from whoosh import query as Q
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from portal.search.storage.codec import _BYTE_TO_LENGTH

B, K1 = 0.75, 1.2  # Whoosh's BM25F defaults
# An optional phrase bonus is checked only when this few documents hold all its words.
PHRASE_CANDIDATES_LIMIT = 2_000


@dataclasses.dataclass
class _Postings:
    ids: list[int]  # global document numbers, live documents only
    weights: list[float]
    values: list[bytes]  # encoded positions, decoded on demand
    docs: set[int]


class QueryReader:
    """Reads for one query: each term's postings are read once and kept until it is answered."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self._postings: dict[tuple[str, str], _Postings] = {}

    def postings(self, fieldname: str, text: str) -> _Postings:
        key = (fieldname, text)
        if key not in self._postings:
            self._postings[key] = self._read(fieldname, text)
        return self._postings[key]

    def _read(self, fieldname: str, text: str) -> _Postings:
        ids: list[int] = []
        weights: list[float] = []
        values: list[bytes] = []
        for leaf, offset in self.searcher.leaf_searchers():
            reader = leaf.reader()
            try:
                btext = reader._text_to_bytes(fieldname, text)
                matcher = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
            except (TermNotFound, KeyError):
                continue
            leaf_ids: list[int] = []
            if isinstance(matcher, W3LeafMatcher):
                while matcher.is_active():
                    matcher._read_data()  # one unpickling of the block's (ids, weights, values)
                    count = len(leaf_ids)
                    leaf_ids.extend(accumulate(matcher._data[0]))  # ids are stored as deltas
                    matcher._read_weights()
                    matcher._read_values()
                    weights.extend(matcher._weights)
                    values.extend(matcher._values or [b""] * (len(leaf_ids) - count))
                    matcher._next_block()
            else:  # postings inlined in the term info
                while matcher.is_active():
                    leaf_ids.append(matcher.id())
                    weights.append(matcher.weight())
                    values.append(matcher.value() or b"")
                    matcher.next()
            deleted = reader.deleted_docs_set
            start = len(ids)
            ids.extend(docnum + offset for docnum in leaf_ids)
            if deleted:
                keep = [i for i, docnum in enumerate(leaf_ids, start) if docnum not in deleted]
                ids[start:] = [ids[i] for i in keep]
                weights[start:] = [weights[i] for i in keep]
                values[start:] = [values[i] for i in keep]
        return _Postings(ids, weights, values, set(ids))

    # matching

    def docs(self, query: Q.Query) -> set[int]:
        """Every document matching `query`, for the query shapes engine.build_query makes."""
        if isinstance(query, Q.Term):
            return self.postings(query.fieldname, query.text).docs
        if isinstance(query, Q.Or):
            found: set[int] = set()
            for sub in query.subqueries:
                found |= self.docs(sub)
            return found
        if isinstance(query, Q.And):
            result: set[int] | None = None
            for sub in query.subqueries:
                docs = self.docs(sub)
                result = set(docs) if result is None else result & docs
                if not result:
                    return set()
            return result or set()
        if isinstance(query, Q.AndMaybe):
            return self.docs(query.a)
        if isinstance(query, Q.Phrase):
            return self.phrase_docs(query.fieldname, query.words, self._all_words(query.fieldname, query.words))
        if isinstance(query, Q.NullQuery.__class__):
            return set()
        return set(self.searcher.docs_for_query(query))

    def _all_words(self, fieldname: str, words: list[str], within: set[int] | None = None) -> set[int]:
        candidates = within
        for word in words:
            docs = self.postings(fieldname, word).docs
            candidates = set(docs) if candidates is None else candidates & docs
            if not candidates:
                return set()
        return candidates or set()

    def phrase_docs(self, fieldname: str, words: list[str], candidates: set[int]) -> set[int]:
        """The candidates where `words` stand at consecutive positions."""
        if not candidates:
            return set()
        field_format = self.searcher.schema[fieldname].format
        positions = []
        for word in words:
            postings = self.postings(fieldname, word)
            positions.append({docnum: value for docnum, value in zip(postings.ids, postings.values)
                              if docnum in candidates})
        together = set()
        for docnum in candidates:
            starts = set(field_format.decode_positions(positions[0][docnum]))
            for offset, word_positions in enumerate(positions[1:], start=1):
                starts &= {p - offset for p in field_format.decode_positions(word_positions[docnum])}
                if not starts:
                    break
            if starts:
                together.add(docnum)
        return together

    # ranking

    def top_by_relevance(self, table: FacetTable, query: Q.Query, matched: set[int], limit: int) -> list[int]:
        """The `limit` best of `matched` by BM25F, computed for the matched documents only.

        A required phrase scores as its words do; an optional phrase (words typed together)
        adds its words' scores again where they stand together, when that is cheap to check.
        """
        scores: dict[int, float] = dict.fromkeys(matched, 0.0)
        total_docs = self.searcher.doc_count_all()

        def add(fieldname: str, text: str, boost: float, only: set[int]) -> None:
            postings = self.postings(fieldname, text)
            if not postings.ids:
                return
            idf = math.log(total_docs / (len(postings.ids) + 1)) + 1
            lengths = table.lengths.get(fieldname)
            average = table.average_lengths.get(fieldname, 1.0)
            norm = K1 * (1 - B)
            scale = K1 * B / average
            for docnum, tf in zip(postings.ids, postings.weights):
                if docnum in only:
                    length = lengths[docnum] if lengths else average
                    scores[docnum] += boost * idf * (tf * (K1 + 1)) / (tf + norm + scale * length)

        for kind, item in _leaves(query):
            if kind == "term":
                add(*item, only=matched)
            elif kind == "phrase":
                phrase, boost = item
                for word in dict.fromkeys(phrase.words):
                    add(phrase.fieldname, word, boost, only=matched)
            else:  # "bonus"
                phrase, boost = item
                candidates = self._all_words(phrase.fieldname, phrase.words, within=set(matched))
                if candidates and len(candidates) <= PHRASE_CANDIDATES_LIMIT:
                    together = self.phrase_docs(phrase.fieldname, phrase.words, candidates)
                    for word in dict.fromkeys(phrase.words):
                        add(phrase.fieldname, word, boost, only=together)
        return heapq.nlargest(limit, scores, key=lambda docnum: (scores[docnum], -docnum))


def _leaves(query: Q.Query, boost: float = 1.0):
    """(fieldname, text, boost) of the terms a document is scored on; and the phrase clauses."""
    if isinstance(query, Q.Term):
        yield "term", (query.fieldname, query.text, boost * query.boost)
    elif isinstance(query, Q.Phrase):
        yield "phrase", (query, boost * query.boost)
    elif isinstance(query, Q.AndMaybe):
        yield from _leaves(query.a, boost)
        for kind, item in _leaves(query.b, boost):
            yield ("bonus", item) if kind == "phrase" else (kind, item)
    elif isinstance(query, Q.CompoundQuery):
        for sub in query.subqueries:
            yield from _leaves(sub, boost * query.boost)



@dataclasses.dataclass
class FacetTable:
    """Per document number: kind, year, date, departments and field lengths, read once per
    opened searcher from columns."""

    kinds: list[str]
    years: list[str]
    dates: list[str]
    departments: list[tuple[str, ...]]
    recency: list[int]  # per document: its rank by (date, document number), newest highest
    lengths: dict[str, list[int]]
    average_lengths: dict[str, float]
    groups: list[int]  # per document: the id of its (kind, year, departments) combination
    group_values: list[tuple[str, str, tuple[str, ...]]]

    @classmethod
    def read(cls, searcher: Searcher, scored_fields: Iterable[str]) -> FacetTable:
        reader = searcher.reader()
        interned: dict = {}

        def column(name: str) -> list[str]:
            values = reader.column_reader(name, translate=True)
            return [sys.intern(value) if isinstance(value, str) else value for value in values]

        departments = []
        for value in column("department_list"):
            key = value or ""
            if key not in interned:
                interned[key] = tuple(part for part in key.split(",") if part)
            departments.append(interned[key])
        lengths = {field: _field_lengths(searcher, field) for field in scored_fields}
        average = {field: (searcher.avg_field_length(field) or 1.0) for field in scored_fields}
        kinds, years = column("kind_column"), column("year")
        group_ids: dict[tuple, int] = {}
        groups = [group_ids.setdefault(key, len(group_ids)) for key in zip(kinds, years, departments)]
        dates = column("date")
        recency = [0] * len(dates)
        for rank, docnum in enumerate(sorted(range(len(dates)), key=lambda d: (dates[d], d))):
            recency[docnum] = rank
        return cls(kinds=kinds, years=years, dates=dates, departments=departments, recency=recency,
                   lengths=lengths, average_lengths=average, groups=groups, group_values=list(group_ids))

    def narrow(self, matched: set[int], kind: str | None, year: str | None,
               department: str | None) -> tuple[set[int], dict[str, dict[str, int]]]:
        """Apply the facet filters to `matched`; count kinds, years and departments in what is left.

        Documents are tallied by their (kind, year, departments) group in one pass, and the
        few hundred groups are then added up: three Counters over 50,000 documents cost 20 ms.
        """
        wanted = {
            group for group, (group_kind, group_year, group_departments) in enumerate(self.group_values)
            if (not kind or group_kind == kind) and (not year or group_year == year)
            and (not department or department in group_departments)
        }
        if len(wanted) < len(self.group_values):
            groups = self.groups
            matched = {docnum for docnum in matched if groups[docnum] in wanted}
        counts: dict[str, dict[str, int]] = {"kind": {}, "year": {}, "department": {}}
        for group, number in Counter(map(self.groups.__getitem__, matched)).items():
            group_kind, group_year, group_departments = self.group_values[group]
            counts["kind"][group_kind] = counts["kind"].get(group_kind, 0) + number
            counts["year"][group_year] = counts["year"].get(group_year, 0) + number
            for slug in group_departments:
                counts["department"][slug] = counts["department"].get(slug, 0) + number
        return matched, counts


def _field_lengths(searcher: Searcher, fieldname: str) -> list[int]:
    """Each document's length in `fieldname`, as Whoosh's scorer sees it (one byte, decoded)."""
    lengths: list[int] = []
    for leaf, _ in searcher.leaf_searchers():
        reader = leaf.reader()
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:  # a field no document of this segment has
            lengths.extend([0] * reader.doc_count_all())
        else:
            lengths.extend(_BYTE_TO_LENGTH[byte] for byte in column)
    return lengths
