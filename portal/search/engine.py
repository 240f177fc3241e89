"""The Whoosh index: opening, writing, rebuilding and searching it.

Layout of SEARCH_INDEX_DIR:

    current -> build-20261126T180000-1234    a symlink, replaced atomically by a rebuild
    build-.../                                Whoosh index files
    write.lock                                held by whoever writes (one writer at a time)

Readers open `current` and never take a lock; a rebuild writes a new directory and then swaps
the symlink, so searches go on against the old index until the new one is complete.
"""
from __future__ import annotations

import array
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
from collections.abc import Iterable, Iterator
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.searching import Searcher

from portal.search.storage.codec import FastCodec
from portal.search.storage.docsets import FacetTable, QueryReader
from portal.search.storage.pool import TermPoolSegmentWriter, build_in_parallel
from portal.search.documents import SearchDocument
from portal.search.query import HEAD_FIELDS, WORD_FIELDS, ParsedQuery, any_role, build_query, parse_query
from portal.search.schema import build_schema, document_fields

log = logging.getLogger(__name__)

WRITE_TIMEOUT_SECONDS = 10.0
# compound=False: Whoosh copies a compound segment file whole into memory when it opens it
# (200 MB at 20,000 documents); separate files are read on demand. FastCodec: codec.py.
# zlib level 1: as small as the default level 3 on these small posting blocks, and faster to
# write. (Level 0 saved ~5 ms on a common word's query at 100,000 documents but doubled the
# index to 2 GB and slowed the rebuild by a fifth, its files being twice as large to write.)
# Terms with fewer postings than this in a segment are stored inside their term info
# (codec.FastPostingsWriter.finish_postings).
INLINE_LIMIT = 4
WRITER_OPTIONS = {"compound": False, "codec": FastCodec(compression=1, inlinelimit=INLINE_LIMIT)}
# Above this many matches a query is "broad": see SearchIndex._rank.
BROAD_MATCHES = 2_000


class SearchUnavailable(RuntimeError):
    """The index is missing, locked, or unreadable; `flask search rebuild` repairs it."""


class SearchIndexMissing(SearchUnavailable):
    """There is no index yet: a rebuild creates one."""


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
    max_words: int = 12  # SEARCH_MAX_WORDS: the words after these are left out, and the page says so


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
    # True when no document had every word, and these are the documents with some of them.
    partial: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# --- the index ---------------------------------------------------------------------------

class SearchIndex:
    """One Whoosh index below `root`. Safe to create per request: searchers are cached per process."""

    _searchers: dict[str, tuple[str, Searcher]] = {}
    _facet_tables: dict[str, tuple[Searcher, FacetTable]] = {}
    _vocabularies: dict[str, tuple[Searcher, "Vocabulary"]] = {}
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
                    # The old one is not closed here: another thread may still be reading it;
                    # its files close when the last reference goes.
                    searcher = whoosh_index.open_dir(str(self.current)).searcher()
            except Exception as exc:  # whoosh raises many kinds on a damaged index
                self._searchers.pop(key, None)
                raise SearchUnavailable(f"search index unreadable: {exc!r}") from exc
            self._searchers[key] = (target, searcher)
            return searcher

    def search(self, request: SearchRequest) -> SearchResults:
        parsed = parse_query(request.text).first_words(request.max_words)
        searcher = self._searcher()
        # An index with no documents (a new portal, before anything is published) has no
        # segment to read columns from: nothing matches.
        if parsed.is_empty or searcher.doc_count_all() == 0:
            return SearchResults(parsed, [], 0, request.page, request.per_page, {}, [])
        try:
            return self._run(searcher, parsed, request)
        except SearchUnavailable:
            raise
        except Exception as exc:  # a corrupt segment shows up only when it is read
            raise SearchUnavailable(f"search failed: {exc!r}") from exc

    def _run(self, searcher: Searcher, parsed: ParsedQuery, request: SearchRequest) -> SearchResults:
        # Asked for every word by each query built below (all words, then any word, then the
        # head fields): each word's 16 term lookups are made once.
        indexed = functools.lru_cache(maxsize=None)(functools.partial(self._indexed, searcher))
        query = build_query(parsed, indexed=indexed)
        table = self._facet_table(searcher)
        reader = QueryReader(searcher)
        matched = reader.docs(query)
        partial = False
        if not matched and len(parsed.words) + len(parsed.phrases) > 1:
            # Nothing has every word (举报电话, 怎么举报): show what has some of them, and say so.
            query = build_query(parsed, indexed=indexed, any_word=True)
            matched, partial = reader.docs(query), True
        broad = len(matched) > BROAD_MATCHES
        # Facet counts describe the current result set: each filter narrows the others' counts.
        matched, facet_counts = table.narrow(matched, request.kind, request.year, request.department)
        wanted = request.page * request.per_page
        ranked = self._rank(reader, parsed, query, matched, table, request, wanted, indexed, broad, partial)
        hits = [self._hit(searcher.stored_fields(docnum)) for docnum in ranked[wanted - request.per_page:wanted]]
        suggestions = self._suggest(searcher, parsed) if not matched or partial else []
        return SearchResults(parsed, hits, len(matched), request.page, request.per_page, facet_counts, suggestions,
                             partial=partial and bool(matched))

    @staticmethod
    def _rank(reader, parsed, query, matched, table, request, wanted, indexed, broad, partial=False) -> list[int]:
        """The first `wanted` matches in the order asked for.

        By date: the newest. By relevance: BM25F over all fields (QueryReader.top_by_relevance).
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
        head_query = build_query(parsed, fields=HEAD_FIELDS, indexed=indexed, any_word=partial)
        head_docs = matched & reader.docs(head_query)
        head = reader.top_by_relevance(table, head_query, head_docs, wanted)
        if len(head) < wanted:
            rest = matched - head_docs
            head += heapq.nlargest(wanted - len(head), rest, key=newest)
        return head

    @staticmethod
    def _indexed(searcher: Searcher, word: str) -> bool:
        return any(searcher.doc_frequency(field, term) for field in WORD_FIELDS for term in any_role(word))

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

    def _vocabulary(self, searcher: Searcher, field: str) -> "Vocabulary":
        key = f"{self.root.resolve()}:{field}"
        with self._searchers_lock:
            cached = self._vocabularies.get(key)
            if cached is None or cached[0] is not searcher:
                cached = self._vocabularies[key] = (searcher, Vocabulary.read(searcher, field))
        return cached[1]

    # Suggestions are looked up for this many unknown words of a query at most: each costs a
    # walk of the titles' terms (Whoosh's corrector), and a query of dozens of unknown words
    # cost 13 times a normal one. The words after them are kept as typed.
    SUGGESTED_WORDS = 3

    def _suggest(self, searcher: Searcher, parsed: ParsedQuery) -> list[str]:
        """Words of the index one edit away from a query word that matched nothing."""
        corrected, changed, looked_up = [], False, 0
        for word in parsed.words:
            if looked_up >= self.SUGGESTED_WORDS or any(
                    searcher.doc_frequency(field, term) for field in ("body", "title") for term in any_role(word)):
                corrected.append(word)
                continue
            looked_up += 1
            # First the words of titles (the words people seek), then the body's most frequent
            # words, for a wrong character in a body word (失信惩诫). A Chinese typo is nearly
            # always one wrong character (a homophone, a look-alike): looked up in the
            # vocabularies' blanked patterns. Other words (Latin letters, digits) get Whoosh's
            # edit-distance corrector over the titles.
            if _is_cjk(word):
                candidates = (self._vocabulary(searcher, "title").one_character_away(word)
                              or self._vocabulary(searcher, "body").one_character_away(word))
            else:
                candidates = searcher.corrector("title").suggest(word, limit=5, maxdist=1) if len(word) > 1 else []
                candidates = [c for c in candidates if c.isalnum()]  # whole words, not marked sub-words
            corrected.append(candidates[0] if candidates else word)
            changed |= bool(candidates)
        return ["".join(corrected) if all(_is_cjk(w) for w in corrected) else " ".join(corrected)] if changed else []

    # writing

    @contextlib.contextmanager
    def _write_lock(self, timeout: float | None = None) -> Iterator[None]:
        """One writer at a time across processes; give up after `timeout` seconds (by default
        WRITE_TIMEOUT_SECONDS, read when called so that a test may shorten it)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "write.lock", "a") as handle:
            deadline = time.monotonic() + (WRITE_TIMEOUT_SECONDS if timeout is None else timeout)
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
            writer = TermPoolSegmentWriter(ix, **WRITER_OPTIONS)
            try:
                for doc_id in removed_ids + [d.id for d in documents]:
                    writer.delete_by_term("id", doc_id)
                for document in documents:
                    writer.add_document(**document_fields(document))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

    def rebuild(self, documents: Iterable[SearchDocument], processes: int = 1) -> int:
        """Index `documents` into a new directory, then swap it in; return how many.

        With processes > 1, one writer process per core analyses and writes a segment each
        (pool.build_in_parallel; for the command line, a web worker rebuilds in one process).
        """
        with self._write_lock():
            build = self.root / f"build-{dt.datetime.now():%Y%m%dT%H%M%S%f}-{os.getpid()}"
            build.mkdir(parents=True)
            try:
                ix = whoosh_index.create_in(str(build), build_schema())
                fields = (document_fields(document) for document in documents)
                if processes > 1:
                    count = build_in_parallel(ix, fields, processes, limitmb=256, **WRITER_OPTIONS)
                else:
                    writer = TermPoolSegmentWriter(ix, limitmb=256, **WRITER_OPTIONS)
                    count = 0
                    for values in fields:
                        writer.add_document(**values)
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


class Vocabulary:
    """A field's most frequent Chinese words (whole words and the sub-words inside longer ones),
    for suggestions: a Chinese typo is nearly always one wrong character (a homophone or a
    look-alike), so a candidate is a word of the same length differing in one place. Read once
    per opened searcher and bounded (MAX_WORDS), so the search process's memory stays within
    its budget however large the index grows.

    A word one character away from a typed word of two or more characters shares its first or
    its second character with it, so the words are filed by (length, place, character) for
    those two places, and a lookup compares only the words under the typed word's two files
    (a few hundred), not every word of its length (thousands, for each word of each query)."""

    MAX_WORDS = 30_000

    def __init__(self, words: list[tuple[str, int]]):
        self.words = [word for word, _ in words]
        self.counts = [count for _, count in words]
        self.files: dict[tuple[int, int, str], array.array] = {}
        for number, word in enumerate(self.words):
            for place in (0, 1):
                self.files.setdefault((len(word), place, word[place]), array.array("I")).append(number)

    @classmethod
    def read(cls, searcher: Searcher, field: str = "body") -> "Vocabulary":
        frequency: dict[str, int] = {}
        for term, info in searcher.reader().iter_field(field):
            word = (term.decode("utf-8") if isinstance(term, bytes) else term).strip("<>~")
            if 2 <= len(word) <= 6 and _is_cjk(word):
                frequency[word] = frequency.get(word, 0) + info.doc_frequency()
        return cls(heapq.nlargest(cls.MAX_WORDS, frequency.items(), key=lambda item: item[1]))

    def one_character_away(self, word: str, limit: int = 3) -> list[str]:
        """The most frequent words that differ from `word` in exactly one character."""
        if len(word) < 2:
            return []
        numbers = set(self.files.get((len(word), 0, word[0]), ())) | set(self.files.get((len(word), 1, word[1]), ()))
        found = [(self.counts[n], self.words[n]) for n in numbers
                 if sum(a != b for a, b in zip(word, self.words[n])) == 1]
        return [other for _, other in sorted(found, reverse=True)[:limit]]
