"""A faster writer for Whoosh's standard (W3) index format. Reading is unchanged.

Writing a segment, Whoosh spends most of its time in one Python loop over every posting
(term × document): it asks a column reader for the document's field length once per posting
and checks the types of every value it is handed. Here the field lengths are read once per
field into a list, postings arrive grouped by term (pool.TermPool), and the per-posting path
does only what it must. The bytes written are those of whoosh.codec.whoosh3, so any Whoosh
reader opens the index.
"""
from __future__ import annotations

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3FieldWriter, W3PostingsWriter, _lenfield
from whoosh.util.numeric import byte_to_length

_BYTE_TO_LENGTH = [byte_to_length(byte) for byte in range(256)]


class FastPostingsWriter(W3PostingsWriter):
    def add_postings_list(self, postings: list, doc_lengths: list[int] | None) -> None:
        """add_posting for a whole term's [(docnum, weight, value)], a block at a time."""
        limit, start, total = self._blocklimit, 0, len(postings)
        while start < total:
            room = limit - len(self._ids)
            if room <= 0:
                self._write_block()
                room = limit
            chunk = postings[start:start + room]
            start += room
            ids = [posting[0] for posting in chunk]
            weights = [posting[1] for posting in chunk]
            self._ids.extend(ids)
            self._weights.extend(weights)
            self._maxweight = max(self._maxweight, max(weights))
            self._values.extend(posting[2] for posting in chunk if posting[2])
            if doc_lengths:
                lengths = [doc_lengths[docnum] for docnum in ids]
                present = [length for length in lengths if length]
                if present:
                    shortest = min(present)
                    if self._minlength is None or shortest < self._minlength:
                        self._minlength = shortest
                    self._maxlength = max(self._maxlength, max(lengths))

    def finish_postings(self):
        """W3PostingsWriter.finish_postings with its inlining repaired: it calls a method the
        term info does not have (set_inline, for set_inlined), so any inlinelimit above 1
        crashed. A term with fewer postings than the limit is kept inside its term info: no
        block of its own to pickle, compress and write (most terms are that rare)."""
        terminfo = self._terminfo
        if not self.written() and len(self) < self._inlinelimit:
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
        else:
            if self._ids:
                self._write_block(last=True)
            terminfo.set_extent(self._startoffset, self._postfile.tell() - self._startoffset)
        self._terminfo = None
        return terminfo


class FastFieldWriter(W3FieldWriter):
    def add_grouped_postings(self, schema, lengths, groups):
        """Like add_postings, from (fieldname, term, [(docnum, weight, value)]) in term order
        (pool.TermPool.grouped): each term's postings go to the postings writer in one call."""
        field_lengths: dict[str, list[int] | None] = {}
        last_field = None
        doc_lengths = None
        for fieldname, btext, postings in groups:
            if fieldname != last_field:
                if last_field is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                last_field = fieldname
                if fieldname not in field_lengths:
                    column = lengths._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if lengths else None
                    field_lengths[fieldname] = [_BYTE_TO_LENGTH[b] for b in column] if column is not None else None
                doc_lengths = field_lengths[fieldname]
            self.start_term(btext)
            self._postwriter.add_postings_list(postings, doc_lengths)
            self.finish_term()
        if last_field is not None:
            self.finish_field()


class FastCodec(W3Codec):
    def field_writer(self, storage, segment):
        return FastFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return FastPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                  compression=self._compression, inlinelimit=self._inlinelimit)

