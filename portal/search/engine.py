"""The Whoosh index: schema, writing, rebuilding and querying. The only module that imports whoosh.

Layout of SEARCH_INDEX_DIR:

    current -> build-20261126T180000-1234    a symlink, replaced atomically by a rebuild
    build-.../                                Whoosh index files
    write.lock                                held by whoever writes (one writer at a time)

Readers open `current` and never take a lock; a rebuild writes a new directory and then swaps
the symlink, so searches go on against the old index until the new one is complete.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import functools
import heapq
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.analysis import Token as WhooshToken
from whoosh.analysis import Tokenizer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Positions
from whoosh.searching import Searcher
from whoosh.system import pack_uint

from portal.search.analysis import INNER, PREFIX, SUFFIX, WORD, index_term, segmenter, synonyms
from portal.search.codec import FastCodec
from portal.search.docsets import FacetTable, QueryReader
from portal.search.documents import SearchDocument

log = logging.getLogger(__name__)

WRITE_TIMEOUT_SECONDS = 10.0
# Field weights: a document number or title that matches says more than a word in the body.
WORD_FIELDS = {"doc_no": 6.0, "title": 4.0, "departments": 2.0, "body": 1.0}
PHRASE_FIELDS = {"doc_no": 6.0, "title": 4.0, "body": 1.0}
HEAD_FIELDS = {"doc_no": 6.0, "title": 4.0, "departments": 2.0}
# compound=False: Whoosh copies a compound segment file whole into memory when it opens it
# (200 MB at 20,000 documents); separate files are read on demand. FastCodec: codec.py.
# No zlib on posting blocks: reading a common word decompressed ~500 blocks per query (17 ms
# at 100,000 documents) and writing spent a fifth of its time compressing; the index is ~1.5x larger.
WRITER_OPTIONS = {"compound": False, "codec": FastCodec(compression=0)}
# Above this many matches a query is "broad": see SearchIndex._rank.
BROAD_MATCHES = 2_000
SYNONYM_WEIGHT = 0.7


class SearchUnavailable(RuntimeError):
    """The index is missing, locked, or unreadable; `flask search rebuild` repairs it."""


class SearchIndexMissing(SearchUnavailable):
    """There is no index yet: a rebuild creates one."""


class ChineseTokenizer(Tokenizer):
    """Whoosh adapter over analysis.Segmenter: positions and character offsets from it."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for item in segmenter().segment(value):
            token.text = index_term(item.text, item.role)
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = item.text
            if positions:
                token.pos = start_pos + item.position
            if chars:
                token.startchar = start_char + item.start
                token.endchar = start_char + item.end
            yield token


def _any_role(word: str) -> list[str]:
    return [index_term(word, role) for role in (WORD, PREFIX, SUFFIX, INNER)]


class ChineseText(TEXT):
    """A TEXT field whose indexing goes straight from the segmenter to Whoosh's postings.

    Whoosh's generic path builds a Token object per word and runs it through a generator
    chain; for Chinese text that was a third of the indexing time. This produces the same
    postings (term, frequency, weight, encoded positions), with the same analyzer used for
    queries and highlights.
    """

    def __init__(self, **kwargs):
        super().__init__(analyzer=ChineseTokenizer(), **kwargs)

    def index(self, value, **kwargs):
        boost = self.format.field_boost
        encode = self.format.encode if isinstance(self.format, Positions) else None
        for term, places in segmenter().index_positions(value).items():
            value_bytes = encode(places) if encode else pack_uint(len(places))
            yield term.encode("utf-8"), len(places), len(places) * boost, value_bytes


def build_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        key=STORED(),
        title=ChineseText(stored=True, phrase=True),
        doc_no=ChineseText(stored=True, phrase=True),
        departments=ChineseText(phrase=False),
        department=KEYWORD(stored=True, commas=True),  # for filtering: one term per department
        department_list=ID(sortable=True),  # the same as one column value, for facet counts
        kind_column=ID(sortable=True),
        year=ID(stored=True, sortable=True),
        date=ID(stored=True, sortable=True),
        body=ChineseText(stored=True, phrase=True),
    )


def _fields(document: SearchDocument) -> dict:
    return {
        "id": document.id,
        "kind": document.kind,
        "key": document.key,
        "title": document.title,
        "doc_no": document.doc_no or "",
        "departments": " ".join(name for _, name in document.departments),
        "department": ",".join(slug for slug, _ in document.departments),
        "department_list": ",".join(slug for slug, _ in document.departments),
        "kind_column": document.kind,
        "year": str(document.date.year),
        "date": document.date.isoformat(),
        "body": document.body,
    }


# --- queries -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ParsedQuery:
    """What a visitor typed: quoted phrases and loose words, as normalised index terms."""

    phrases: tuple[tuple[str, ...], ...]
    words: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.phrases and not self.words

    def highlight_terms(self) -> set[str]:
        terms = set(self.words) | {word for phrase in self.phrases for word in phrase}
        for word in self.words:
            for synonym in synonyms(word):
                terms.update(segmenter().words(synonym))
        return terms


QUOTES = {'"': '"', "“": "”", "「": "」", "『": "』"}


def parse_query(text: str) -> ParsedQuery:
    """Split a query into quoted phrases and words. Every other character is plain text: the
    visitor cannot write query syntax (AND, *, field:), and nothing they type can break it."""
    phrases: list[tuple[str, ...]] = []
    loose: list[str] = []
    rest = text
    while rest:
        opening = min((i for i in (rest.find(q) for q in QUOTES) if i >= 0), default=-1)
        if opening < 0:
            loose.append(rest)
            break
        closing = rest.find(QUOTES[rest[opening]], opening + 1)
        loose.append(rest[:opening])
        if closing < 0:  # an unbalanced quote: read the rest as words
            loose.append(rest[opening + 1:])
            break
        words = tuple(segmenter().words(rest[opening + 1:closing]))
        if words:
            phrases.append(words)
        rest = rest[closing + 1:]
    words = tuple(dict.fromkeys(w for part in loose for w in segmenter().words(part)))
    return ParsedQuery(phrases=tuple(dict.fromkeys(phrases)), words=words)


def _phrase(fields: dict[str, float], words: tuple[str, ...], weight: float = 1.0) -> Q.Query:
    """Documents where `words` stand together, in any of `fields`."""
    if len(words) == 1:
        return Q.Or([Q.Term(f, term, boost=b * weight) for f, b in fields.items() for term in _any_role(words[0])])
    if len(words) == 0:
        return Q.NullQuery
    firsts = [index_term(words[0]), index_term(words[0], SUFFIX)]
    lasts = [index_term(words[-1]), index_term(words[-1], PREFIX)]
    middle = list(words[1:-1])
    return Q.Or([
        Q.Phrase(f, [first, *middle, last], boost=b * weight)
        for f, b in fields.items() if f in PHRASE_FIELDS
        for first in firsts for last in lasts
    ])


def _word(word: str, fields: dict[str, float], indexed: Callable[[str], bool]) -> Q.Query:
    alternatives = [_phrase(fields, (word,))]
    if not indexed(word):
        # Not a word of the index: perhaps the documents were cut differently around it, so
        # also look for its parts side by side. Only then: the parts of a common word are
        # common too, and checking their positions everywhere would be slow for nothing.
        parts = segmenter().parts(word)
        if parts:
            alternatives.append(_phrase(fields, tuple(parts)))
    for synonym in synonyms(word):
        alternatives.append(_phrase(fields, tuple(segmenter().words(synonym)), SYNONYM_WEIGHT))
    return alternatives[0] if len(alternatives) == 1 else Q.Or(alternatives)


def build_query(parsed: ParsedQuery, fields: dict[str, float] = WORD_FIELDS,
                indexed: Callable[[str], bool] = lambda word: True) -> Q.Query:
    """Every word and phrase must match (in some of `fields`); words that also stand together
    as typed rank higher, so 诚信建设 puts 政务诚信建设 above a text with 诚信 and 建设 apart."""
    phrase_fields = {f: b for f, b in fields.items() if f in PHRASE_FIELDS}
    clauses = [_phrase(fields, phrase) for phrase in parsed.phrases]
    clauses += [_word(word, fields, indexed) for word in parsed.words]
    required = clauses[0] if len(clauses) == 1 else Q.And(clauses)
    if len(parsed.words) > 1:
        return Q.AndMaybe(required, _phrase(phrase_fields, parsed.words, 2.0))
    return required


# --- results -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SearchRequest:
    text: str
    kind: str | None = None
    department: str | None = None
    year: str | None = None
    sort: str = "relevance"  # or "date"
    page: int = 1
    per_page: int = 10


@dataclasses.dataclass(frozen=True)
class Hit:
    kind: str
    key: str
    title: str
    doc_no: str
    date: dt.date
    departments: tuple[str, ...]  # slugs
    body: str


@dataclasses.dataclass(frozen=True)
class SearchResults:
    parsed: ParsedQuery
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]]
    suggestions: list[str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --- the index ---------------------------------------------------------------------------

class SearchIndex:
    """One Whoosh index below `root`. Safe to create per request: searchers are cached per process."""

    _searchers: dict[str, tuple[str, Searcher]] = {}
    _facet_tables: dict[str, tuple[Searcher, FacetTable]] = {}
    _searchers_lock = threading.Lock()

    def __init__(self, root: Path):
        self.root = Path(root)
        self.current = self.root / "current"

    # reading

    def exists(self) -> bool:
        return self.current.exists() and whoosh_index.exists_in(str(self.current))

    def _searcher(self) -> Searcher:
        """A cached searcher, reopened when the index changed or a rebuild swapped it."""
        try:
            target = os.readlink(self.current)
        except OSError as exc:
            raise SearchIndexMissing("search index missing") from exc
        key = str(self.root.resolve())
        with self._searchers_lock:
            cached = self._searchers.get(key)
            try:
                if cached and cached[0] == target and cached[1].up_to_date():
                    searcher = cached[1]
                else:
                    # A new searcher, not Searcher.refresh(): refresh reuses the reader of a
                    # segment whose deletions changed and keeps showing the deleted documents.
                    if cached:
                        cached[1].close()
                    searcher = whoosh_index.open_dir(str(self.current)).searcher()
            except Exception as exc:  # whoosh raises many kinds on a damaged index
                self._searchers.pop(key, None)
                raise SearchUnavailable(f"search index unreadable: {exc!r}") from exc
            self._searchers[key] = (target, searcher)
            return searcher

    def search(self, request: SearchRequest) -> SearchResults:
        parsed = parse_query(request.text)
        searcher = self._searcher()
        if parsed.is_empty:
            return SearchResults(parsed, [], 0, request.page, request.per_page, {}, [])
        try:
            return self._run(searcher, parsed, request)
        except SearchUnavailable:
            raise
        except Exception as exc:  # a corrupt segment shows up only when it is read
            raise SearchUnavailable(f"search failed: {exc!r}") from exc

    def _run(self, searcher: Searcher, parsed: ParsedQuery, request: SearchRequest) -> SearchResults:
        indexed = functools.partial(self._indexed, searcher)
        query = build_query(parsed, indexed=indexed)
        table = self._facet_table(searcher)
        reader = QueryReader(searcher)
        matched = reader.docs(query)
        broad = len(matched) > BROAD_MATCHES
        # Facet counts describe the current result set: each filter narrows the others' counts.
        matched, facet_counts = table.narrow(matched, request.kind, request.year, request.department)
        wanted = request.page * request.per_page
        ranked = self._rank(reader, parsed, query, matched, table, request, wanted, indexed, broad)
        hits = [self._hit(searcher.stored_fields(docnum)) for docnum in ranked[wanted - request.per_page:wanted]]
        suggestions = self._suggest(searcher, parsed) if not matched else []
        return SearchResults(parsed, hits, len(matched), request.page, request.per_page, facet_counts, suggestions)

    @staticmethod
    def _rank(reader, parsed, query, matched, table, request, wanted, indexed, broad) -> list[int]:
        """The first `wanted` matches in the order asked for.

        By date: the newest. By relevance: BM25F over all fields (docsets.top_by_relevance).
        For a broad query (more than BROAD_MATCHES documents before filters, e.g. 应急 on
        100,000 notices) scoring every body would take too long in Python, so the order is:
        documents whose title, 文号 or departments match, by BM25F over those fields, then the
        others, newest first.
        """
        if not matched:
            return []
        newest = table.recency.__getitem__
        if request.sort == "date":
            return heapq.nlargest(wanted, matched, key=newest)
        if not broad:
            return reader.top_by_relevance(table, query, matched, wanted)
        head_query = build_query(parsed, fields=HEAD_FIELDS, indexed=indexed)
        head_docs = matched & reader.docs(head_query)
        head = reader.top_by_relevance(table, head_query, head_docs, wanted)
        if len(head) < wanted:
            rest = matched - head_docs
            head += heapq.nlargest(wanted - len(head), rest, key=newest)
        return head

    @staticmethod
    def _indexed(searcher: Searcher, word: str) -> bool:
        return any(searcher.doc_frequency(field, term) for field in WORD_FIELDS for term in _any_role(word))

    @staticmethod
    def _hit(fields: dict) -> Hit:
        return Hit(kind=fields["kind"], key=fields["key"], title=fields["title"], doc_no=fields.get("doc_no", ""),
                   date=dt.date.fromisoformat(fields["date"]),
                   departments=tuple(s for s in fields.get("department", "").split(",") if s),
                   body=fields.get("body", ""))

    def _facet_table(self, searcher: Searcher) -> FacetTable:
        """The facet columns of this searcher's documents, read once per opened searcher."""
        key = str(self.root.resolve())
        with self._searchers_lock:
            cached = self._facet_tables.get(key)
            if cached is None or cached[0] is not searcher:
                cached = self._facet_tables[key] = (searcher, FacetTable.read(searcher, WORD_FIELDS))
        return cached[1]

    def _suggest(self, searcher: Searcher, parsed: ParsedQuery) -> list[str]:
        """Words of the index one edit away from a query word that matched nothing."""
        corrected, changed = [], False
        for word in parsed.words:
            if searcher.doc_frequency("body", word) or searcher.doc_frequency("title", word):
                corrected.append(word)
                continue
            # Corrections come from the words of titles: a vocabulary a fraction of the body's,
            # so the edit-distance walk over it stays fast, and titles hold the words people seek.
            candidates = searcher.corrector("title").suggest(word, limit=5, maxdist=1) if len(word) > 1 else []
            candidates = [c for c in candidates if c.isalnum()]  # whole words, not marked sub-words
            corrected.append(candidates[0] if candidates else word)
            changed |= bool(candidates)
        return ["".join(corrected) if all(_is_cjk(w) for w in corrected) else " ".join(corrected)] if changed else []

    # writing

    @contextlib.contextmanager
    def _write_lock(self, timeout: float = WRITE_TIMEOUT_SECONDS) -> Iterator[None]:
        """One writer at a time across processes; give up after `timeout` seconds."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "write.lock", "a") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise SearchUnavailable("another process is writing the search index") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def update(self, documents: Iterable[SearchDocument] = (), removed_ids: Iterable[str] = ()) -> None:
        """Add or replace `documents` and delete `removed_ids`, in one commit."""
        documents, removed_ids = list(documents), list(removed_ids)
        if not documents and not removed_ids:
            return
        with self._write_lock():
            if not self.exists():
                raise SearchIndexMissing("search index missing")
            ix = whoosh_index.open_dir(str(self.current))
            writer = ix.writer(**WRITER_OPTIONS)
            try:
                for doc_id in removed_ids + [d.id for d in documents]:
                    writer.delete_by_term("id", doc_id)
                for document in documents:
                    writer.add_document(**_fields(document))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

    def rebuild(self, documents: Iterable[SearchDocument], processes: int = 1) -> int:
        """Index `documents` into a new directory, then swap it in; return how many.

        With processes > 1, Whoosh's multiprocessing writer analyses and writes one segment per
        process in parallel (for the command line; a web worker rebuilds in one process).
        """
        with self._write_lock():
            build = self.root / f"build-{dt.datetime.now():%Y%m%dT%H%M%S%f}-{os.getpid()}"
            build.mkdir(parents=True)
            try:
                ix = whoosh_index.create_in(str(build), build_schema())
                if processes > 1:
                    writer = ix.writer(procs=processes, multisegment=True, limitmb=128, batchsize=256, **WRITER_OPTIONS)
                else:
                    writer = ix.writer(limitmb=256, **WRITER_OPTIONS)
                count = 0
                for document in documents:
                    writer.add_document(**_fields(document))
                    count += 1
                writer.commit()
            except BaseException:
                shutil.rmtree(build, ignore_errors=True)
                raise
            link = self.root / f".current-{os.getpid()}"
            link.unlink(missing_ok=True)
            link.symlink_to(build.name)
            os.replace(link, self.current)  # atomic: readers see the old index or the new one
            self._remove_old_builds(keep={build.name})
        return count

    def _remove_old_builds(self, keep: set[str]) -> None:
        # The build just replaced stays one generation, for processes still reading it.
        builds = sorted((p for p in self.root.glob("build-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
        for old in [p for p in builds if p.name not in keep][:-1]:
            shutil.rmtree(old, ignore_errors=True)

    def document_count(self) -> int:
        return self._searcher().doc_count()


def _is_cjk(word: str) -> bool:
    return all("\u3400" <= char <= "\u9fff" for char in word)
