"""A faster writer for Whoosh's standard (W3) index format. Reading is unchanged.

Writing a segment, Whoosh spends most of its time in one Python loop over every posting
(term × document): it asks a column reader for the document's field length once per posting
and checks the types of every value it is handed. Here the field lengths are read once per
field into a list, and the per-posting path does only what it must. The bytes written are
those of whoosh.codec.whoosh3, so any Whoosh reader opens the index.
"""
from __future__ import annotations

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3FieldWriter, W3PostingsWriter, _lenfield
from whoosh.util.numeric import byte_to_length

_BYTE_TO_LENGTH = [byte_to_length(byte) for byte in range(256)]


class FastPostingsWriter(W3PostingsWriter):
    def add_posting(self, id_, weight, vbytes, length=None):
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length


class FastFieldWriter(W3FieldWriter):
    def add_postings(self, schema, lengths, items):
        """base.FieldWriter.add_postings, with the lengths of each field read once."""
        field_lengths: dict[str, list[int] | None] = {}

        def lengths_of(fieldname: str) -> list[int] | None:
            if fieldname not in field_lengths:
                column = lengths._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if lengths else None
                field_lengths[fieldname] = [_BYTE_TO_LENGTH[b] for b in column] if column is not None else None
            return field_lengths[fieldname]

        last_field = last_text = None
        doc_lengths = None
        for fieldname, btext, docnum, weight, value in items:
            if docnum == -1:  # a spelling-only entry; Whoosh 2.7 ignores these too
                continue
            if fieldname != last_field:
                if last_text is not None:
                    self.finish_term()
                if last_field is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                last_field, last_text = fieldname, None
                doc_lengths = lengths_of(fieldname)
                add = None
            if btext != last_text:
                if last_text is not None:
                    self.finish_term()
                self.start_term(btext)
                last_text = btext
                add = self._postwriter.add_posting
            add(docnum, weight, value or b"", doc_lengths[docnum] if doc_lengths else 0)
        if last_text is not None:
            self.finish_term()
        if last_field is not None:
            self.finish_field()


class FastCodec(W3Codec):
    def field_writer(self, storage, segment):
        return FastFieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return FastPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                  compression=self._compression, inlinelimit=self._inlinelimit)

