"""Chinese text analysis for search: normalisation, segmentation with positions, synonyms, highlights.

Nothing here imports whoosh; engine.py wraps `segment()` in a Whoosh tokenizer.

Why not the common jieba + Whoosh recipe: it numbers every token of jieba's search mode in turn,
so the sub-words of a long word (政务 and 诚信 inside 政务诚信) push the following words away and
quoted phrases stop matching. Here a sub-word takes the position of the word it lies in, the way
a synonym does, and records whether it starts the word, ends it or lies inside: the engine uses
that to let "诚信建设" match 政务诚信建设 (诚信 ends the word before 建设) but not 建设、政务诚信.
"""
from __future__ import annotations

import dataclasses
import functools
import threading
from pathlib import Path

import opencc
import rjieba
from markupsafe import Markup, escape

DATA_DIR = Path(__file__).parent / "data"
DICTIONARY_FILE = DATA_DIR / "dictionary.txt"
SYNONYMS_FILE = DATA_DIR / "synonyms.txt"


# Where a token lies: a whole word, or a sub-word at the start, end or inside of a word.
WORD, PREFIX, SUFFIX, INNER = "word", "prefix", "suffix", "inner"


# How a sub-word is written in the index, so that a phrase can demand true adjacency: its first
# word may end a longer word (诚信 in 政务诚信|建设), its last may start one, and the words
# between must stand whole. Marks never collide with words, which hold no punctuation.
_MARKS = {WORD: "{}", PREFIX: "<{}", SUFFIX: "{}>", INNER: "~{}"}


def index_term(text: str, role: str = WORD) -> str:
    return _MARKS[role].format(text)


@dataclasses.dataclass(frozen=True, slots=True)
class Token:
    text: str  # normalised: simplified characters, half-width, lowercase
    start: int  # character offsets into the original text
    end: int
    position: int  # word position; the sub-words of a word share its position
    role: str = WORD


# --- normalisation: one character in, one character out, so offsets stay true -------------

@functools.cache
def _translation_table() -> dict[int, str]:
    table: dict[int, str] = {}
    # Full-width ASCII (５２号, ＡＢＣ) and the ideographic space to their plain forms.
    for code in range(0xFF01, 0xFF5F):
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "
    # Traditional → simplified, character by character (OpenCC's table), so that a query in
    # traditional characters finds simplified text. Phrase conversions are left out on purpose:
    # they could change the length of the text and so every offset after them.
    chars = [chr(code) for code in range(0x3400, 0xA000)] + [chr(code) for code in range(0xF900, 0xFB00)]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) == len(chars):
        for char, simple in zip(chars, converted):
            if simple != char and len(simple) == 1:
                table[ord(char)] = simple
    return table


def normalise(text: str) -> str:
    """Simplified, half-width text of exactly the same length as `text`."""
    return text.translate(_translation_table())


# --- segmentation ------------------------------------------------------------------------

class Segmenter:
    """rjieba with the portal's domain dictionary; one per process, shared by all threads."""

    def __init__(self, dictionary: Path = DICTIONARY_FILE):
        self._jieba = rjieba.Jieba()
        for word in _read_word_list(dictionary):
            self._jieba.add_word(normalise(word), None, None)

    def _tokens(self, text: str) -> list[tuple[str, int, int, int, str]]:
        """(text, start, end, position, role) of every word and sub-word of `text`.

        jieba's search mode yields each long word's dictionary sub-words just before the word
        itself (政务, 诚信, 政务诚信). Walking backwards, a token inside the span of the word
        after it is a sub-word: it shares that word's position and says where in the word it
        lies. Punctuation, spaces and symbols are dropped without taking a position, so
        〔2020〕52号 and (2020)52号 are the same phrase. (Tuples, not Token objects: this runs
        for every word of every document indexed.)
        """
        raw = self._jieba.tokenize(normalise(text), mode="search")
        roles = [WORD] * len(raw)
        span_start, span_end = -1, -1
        for index in range(len(raw) - 1, -1, -1):
            _, start, end = raw[index]
            if span_start <= start and end <= span_end:
                roles[index] = PREFIX if start == span_start else SUFFIX if end == span_end else INNER
            else:
                span_start, span_end = start, end
        tokens = []
        position = 0
        for (word, start, end), role in zip(raw, roles):
            if not (word.isalnum() or any(char.isalnum() for char in word)):
                continue
            tokens.append((word.lower(), start, end, position, role))
            if role is WORD:
                position += 1
        return tokens

    def segment(self, text: str) -> list[Token]:
        """Words and sub-words of `text`, with character offsets, word positions and roles."""
        return [Token(*token) for token in self._tokens(text)]

    def index_positions(self, text: str) -> dict[str, list[int]]:
        """Each index term of `text` (see index_term) with the positions it occurs at."""
        positions: dict[str, list[int]] = {}
        for word, _, _, position, role in self._tokens(text):
            term = word if role is WORD else _MARKS[role].format(word)
            places = positions.get(term)
            if places is None:
                positions[term] = [position]
            else:
                places.append(position)
        return positions

    def parts(self, word: str) -> list[str]:
        """The sub-words that tile `word` end to end (政务诚信 → 政务, 诚信), longest first, single
        characters where no sub-word fits; empty for a word of one part. A query word can then
        also match text that jieba cut differently (…政务诚信|建设… has 诚信 next to 建设)."""
        sub_words = {(t.start, t.end): t.text for t in self.segment(word) if (t.start, t.end) != (0, len(word))}
        parts, offset = [], 0
        while offset < len(word):
            ends = [end for (start, end) in sub_words if start == offset]
            end = max(ends, default=offset + 1)  # no sub-word here: one character on its own
            parts.append(sub_words.get((offset, end), word[offset:end]))
            offset = end
        return parts if len(parts) > 1 and any(len(part) > 1 for part in parts) else []

    def words(self, text: str) -> list[str]:
        """The query words of `text`: whole words only, no sub-words, in order."""
        return [token.text for token in self.segment(text) if token.role is WORD]


def _read_word_list(path: Path) -> list[str]:
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line.split()[0])
    return words


_segmenter: Segmenter | None = None
_segmenter_lock = threading.Lock()


def segmenter() -> Segmenter:
    global _segmenter
    if _segmenter is None:
        with _segmenter_lock:
            if _segmenter is None:
                _segmenter = Segmenter()
    return _segmenter


# --- synonyms ----------------------------------------------------------------------------

@functools.cache
def synonym_groups() -> dict[str, tuple[str, ...]]:
    """Each word of synonyms.txt → the other words of its line (normalised)."""
    groups: dict[str, tuple[str, ...]] = {}
    for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = [normalise(word.strip()).lower() for word in line.replace("，", ",").split(",") if word.strip()]
        for word in words:
            groups[word] = tuple(dict.fromkeys(groups.get(word, ()) + tuple(w for w in words if w != word)))
    return groups


def synonyms(word: str) -> tuple[str, ...]:
    return synonym_groups().get(word, ())


# --- highlighting ------------------------------------------------------------------------

def highlight(text: str, terms: set[str], width: int | None = 120) -> Markup:
    """`text` escaped, with <mark> around the words in `terms`; with a `width`, only an excerpt
    of that many characters around the densest run of matches.

    Offsets come from the same segmentation as the index, so a mark always covers exactly the
    characters of the word that matched.
    """
    spans = _merge([(t.start, t.end) for t in segmenter().segment(text) if t.text in terms])
    if width is None or width >= len(text):
        window_start, window_end = 0, len(text)
    elif not spans:
        return escape(text[:width]) + Markup("…")
    else:
        best_start, best_count = spans[0][0], 0
        for start, _ in spans:
            count = sum(1 for s, e in spans if start <= s and e <= start + width)
            if count > best_count:
                best_start, best_count = start, count
        window_start = max(0, best_start - width // 4)
        window_end = min(len(text), window_start + width)
    parts: list[str] = ["…"] if window_start > 0 else []
    cursor = window_start
    for start, end in spans:
        if start < window_start or end > window_end:
            continue
        parts.append(escape(text[cursor:start]))
        parts.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        cursor = end
    parts.append(escape(text[cursor:window_end]))
    if window_end < len(text):
        parts.append("…")
    return Markup("").join(parts)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans (a word and its sub-words) become one mark."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
