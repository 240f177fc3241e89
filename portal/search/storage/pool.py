"""Postings gathered by term, for writing a segment without Whoosh's external sort.

Whoosh's SegmentWriter puts every posting (field, term, document, weight, positions) into a
sorting pool that pickles each one to a run file and merges the runs with a heap: at ~400
postings per document that was about half of the indexing time. Postings arrive in document
order, so grouping them by term keeps each term's list sorted for free; only the distinct terms
need sorting. When the pool is large it spills runs of whole terms to disk (marshal, one
record per term), and the final merge is over terms, not postings.
"""
from __future__ import annotations

import heapq
import marshal
import multiprocessing
import os
import queue
import tempfile
from collections.abc import Iterable, Iterator

from whoosh.writing import SegmentWriter

# Python objects per posting held in memory, as measured (a writer with a 256 MB pool peaked at
# ~490 MB with 120 assumed here): the pool spills before it outgrows its limitmb.
_BYTES_PER_POSTING = 160


class TermPool:
    def __init__(self, limitmb: int = 256, directory: str | None = None):
        self.directory = directory  # where runs are spilled: beside the index, not in a RAM /tmp
        self.terms: dict[tuple[str, bytes], list] = {}
        self.size = 0
        self.limit = limitmb * 1024 * 1024 // _BYTES_PER_POSTING
        self.runs: list[str] = []
        self.unsorted: set[tuple[str, bytes]] = set()

    def add(self, item) -> None:
        """Whoosh's pool interface: item = (fieldname, term bytes, docnum, weight, value bytes)."""
        fieldname, term, docnum, weight, value = item
        key = (fieldname, term)
        postings = self.terms.get(key)
        if postings is None:
            self.terms[key] = postings = []
        elif docnum < postings[-1][0]:
            self.unsorted.add(key)  # never from add_document; kept safe for other callers
        postings.append((docnum, weight, value or b""))
        self.size += 1
        if self.size > self.limit:
            self.save()

    def add_field(self, fieldname: str, docnum: int, items, scorable: bool) -> int:
        """All postings of one field of a new document (the next docnum, so every list stays in
        order); returns the field's length. Field.index() items: (term, freq, weight, value)."""
        terms, count, length = self.terms, 0, 0
        for term, freq, weight, value in items:
            key = (fieldname, term)
            postings = terms.get(key)
            if postings is None:
                terms[key] = [(docnum, weight, value)]
            else:
                postings.append((docnum, weight, value))
            count += 1
            length += freq
        self.size += count
        if self.size > self.limit:
            self.save()
        return length if scorable else 0

    def save(self) -> None:
        """Spill the pool as one run: its terms in order, each with its postings."""
        if not self.terms:
            return
        self._sort_unsorted()
        fd, path = tempfile.mkstemp(prefix=".terms-", suffix=".run", dir=self.directory)
        with os.fdopen(fd, "wb") as handle:
            for key in sorted(self.terms):
                marshal.dump((key, self.terms[key]), handle)
        self.runs.append(path)
        self.terms, self.size = {}, 0

    def _sort_unsorted(self) -> None:
        for key in self.unsorted:
            self.terms[key].sort(key=lambda posting: posting[0])
        self.unsorted = set()

    @staticmethod
    def _read_run(path: str, order: int) -> Iterator[tuple]:
        with open(path, "rb") as handle:
            while True:
                try:
                    # A run this process wrote a moment ago, never outside input.
                    key, postings = marshal.load(handle)  # nosec B302
                except EOFError:
                    return
                yield key, order, postings

    def grouped(self) -> Iterator[tuple[str, bytes, list]]:
        """(fieldname, term, postings in document order) for every term, in term order."""
        self._sort_unsorted()
        if not self.runs:
            for key in sorted(self.terms):
                yield key[0], key[1], self.terms[key]
            return
        self.save()
        # Runs hold consecutive documents: a term's postings from an earlier run come first.
        merged = heapq.merge(*(self._read_run(path, order) for order, path in enumerate(self.runs)))
        current, gathered = None, []
        for key, _order, postings in merged:
            if key != current:
                if current is not None:
                    yield current[0], current[1], gathered
                current, gathered = key, []
            gathered.extend(postings)
        if current is not None:
            yield current[0], current[1], gathered

    def cleanup(self) -> None:
        for path in self.runs:
            try:
                os.remove(path)
            except OSError:
                pass
        self.runs, self.terms = [], {}


class TermPoolSegmentWriter(SegmentWriter):
    """Whoosh's SegmentWriter with the term pool, and postings handed to the field writer
    grouped by term (FastFieldWriter.add_grouped_postings)."""

    def __init__(self, ix, limitmb: int = 256, **kwargs):
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = TermPool(limitmb, directory=getattr(ix.storage, "folder", None))
        # The lean add_document below covers schemas without term vectors or separate
        # spelling fields (the portal's); anything else takes Whoosh's own path.
        self._lean = not any(field.vector or field.separate_spelling() for _, field in self.schema.items())

    def add_document(self, **fields):
        """SegmentWriter.add_document, with each field's postings handed to the pool in one call
        (no per-posting tuple and call). Boosts (`_boost`) and custom stored values take
        Whoosh's path."""
        if not self._lean or any(name.startswith("_") for name in fields):
            return super().add_document(**fields)
        self._check_state()
        schema, perdocwriter, docnum, pool = self.schema, self.perdocwriter, self.docnum, self.pool
        names = sorted(fields)
        self._check_fields(schema, names)
        perdocwriter.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = pool.add_field(name, docnum, field.index(value), field.scorable) if field.indexed else 0
                perdocwriter.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    perdocwriter.add_column_value(name, field.column_type, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self):
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        self.fieldwriter.add_grouped_postings(self.schema, lengths, self.pool.grouped())
        self.fieldwriter.close()
        if lengths:
            lengths.close()


# --- building an index with one writer process per core ----------------------------------------

BATCH = 256  # documents per message to a writer process
_RESULT_WAIT_SECONDS = 5.0


def build_in_parallel(ix, documents: Iterable[dict], processes: int, limitmb: int, **options) -> int:
    """Add `documents` (field dicts) to the empty index `ix` with `processes` writer processes,
    each writing one segment, and commit them together. Returns how many documents.

    Like Whoosh's MpWriter(multisegment=True), with the term pool in each writer. A writer that
    fails makes the whole build fail (nothing is committed)."""
    context = multiprocessing.get_context("fork")
    jobs = context.Queue(processes * 4)
    results = context.Queue()
    workers = [context.Process(target=_write_segment, args=(ix, jobs, results, limitmb, options), daemon=True)
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    count, segments = 0, []
    try:
        batch: list[dict] = []
        for fields in documents:
            batch.append(fields)
            count += 1
            if len(batch) == BATCH:
                _put(jobs, batch, workers)
                batch = []
        if batch:
            _put(jobs, batch, workers)
        for _ in workers:
            _put(jobs, None, workers)
        for _ in workers:
            segments.append(_result(results, workers))
    except BaseException:
        for worker in workers:
            worker.kill()
        raise
    finally:
        for worker in workers:
            worker.join()
    # The parent writes no documents: it only commits the table of contents naming the segments.
    parent = SegmentWriter(ix, **options)
    parent._close_segment()
    parent._commit_toc([segment for segment in segments if segment is not None])
    parent._finish()
    return count


def _put(jobs, item, workers) -> None:
    while True:
        try:
            jobs.put(item, timeout=_RESULT_WAIT_SECONDS)
            return
        except queue.Full:
            if not all(worker.is_alive() for worker in workers):
                raise RuntimeError("a search index writer process died") from None


def _result(results, workers):
    while True:
        try:
            status, value = results.get(timeout=_RESULT_WAIT_SECONDS)
        except queue.Empty:
            if not any(worker.is_alive() for worker in workers):
                raise RuntimeError("a search index writer process died") from None
            continue
        if status != "ok":
            raise RuntimeError(f"a search index writer failed: {value}")
        return value


def _write_segment(ix, jobs, results, limitmb: int, options: dict) -> None:
    """A writer process: documents from `jobs` into one new segment, sent back on `results`."""
    try:
        writer = TermPoolSegmentWriter(ix, limitmb=limitmb, _lk=False, **options)
        added = False
        while (batch := jobs.get()) is not None:
            for fields in batch:
                writer.add_document(**fields)
            added = True
        if added:
            results.put(("ok", writer._finalize_segment()))
        else:
            writer._close_segment()
            results.put(("ok", None))
    except BaseException as exc:  # reported to the parent, which fails the build
        results.put(("error", repr(exc)))
