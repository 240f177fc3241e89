"""From what a visitor typed to a Whoosh query: phrases, words, sub-word roles, synonyms."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

from whoosh import query as Q

from portal.search.analysis import INNER, PREFIX, SUFFIX, WORD, index_term, segmenter, synonyms

# Field weights: a document number or title that matches says more than a word in the body.
WORD_FIELDS = {"doc_no": 6.0, "title": 4.0, "departments": 2.0, "body": 1.0}
PHRASE_FIELDS = {"doc_no": 6.0, "title": 4.0, "body": 1.0}
HEAD_FIELDS = {"doc_no": 6.0, "title": 4.0, "departments": 2.0}
SYNONYM_WEIGHT = 0.7
# An unknown word's parts found apart (政协 … 提案 for 政协提案 in "政协委员提案") count, below
# the parts side by side.
SCATTERED_PARTS_WEIGHT = 0.5


def any_role(word: str) -> list[str]:
    return [index_term(word, role) for role in (WORD, PREFIX, SUFFIX, INNER)]


@dataclasses.dataclass(frozen=True)
class ParsedQuery:
    """What a visitor typed: quoted phrases and loose words, as normalised index terms."""

    phrases: tuple[tuple[str, ...], ...]
    words: tuple[str, ...]
    # Words left out by `first_words` (a query's work grows with its words: SEARCH_MAX_WORDS).
    dropped: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.phrases and not self.words

    def first_words(self, limit: int) -> "ParsedQuery":
        """At most `limit` words in all, a phrase's words counted one by one: quoted phrases
        first (they were asked for deliberately), then the loose words in the order typed."""
        budget, phrases = limit, []
        for phrase in self.phrases:
            if budget <= 0:
                break
            phrases.append(phrase[:budget])
            budget -= len(phrases[-1])
        words = self.words[:max(0, budget)]
        total = sum(map(len, self.phrases)) + len(self.words)
        kept = sum(map(len, phrases)) + len(words)
        return ParsedQuery(tuple(phrases), words, dropped=total - kept)

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
        return Q.Or([Q.Term(f, term, boost=b * weight) for f, b in fields.items() for term in any_role(words[0])])
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
            if len(parts) > 1:
                alternatives.append(Q.And([_phrase(fields, (part,), SCATTERED_PARTS_WEIGHT) for part in parts]))
    for synonym in synonyms(word):
        alternatives.append(_phrase(fields, tuple(segmenter().words(synonym)), SYNONYM_WEIGHT))
    return alternatives[0] if len(alternatives) == 1 else Q.Or(alternatives)


def build_query(parsed: ParsedQuery, fields: dict[str, float] = WORD_FIELDS,
                indexed: Callable[[str], bool] = lambda word: True, any_word: bool = False) -> Q.Query:
    """Every word and phrase must match (in some of `fields`); words that also stand together
    as typed rank higher, so 诚信建设 puts 政务诚信建设 above a text with 诚信 and 建设 apart.
    With `any_word` (when all of them together found nothing), any one of them is enough and
    documents with more of them rank higher."""
    phrase_fields = {f: b for f, b in fields.items() if f in PHRASE_FIELDS}
    clauses = [_phrase(fields, phrase) for phrase in parsed.phrases]
    clauses += [_word(word, fields, indexed) for word in parsed.words]
    required = clauses[0] if len(clauses) == 1 else (Q.Or(clauses) if any_word else Q.And(clauses))
    if len(parsed.words) > 1:
        return Q.AndMaybe(required, _phrase(phrase_fields, parsed.words, 2.0))
    return required
