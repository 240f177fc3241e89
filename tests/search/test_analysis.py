"""Segmentation keeps positions and offsets true; normalisation keeps lengths."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.content.helpers import read_content_dir
from portal.search.analysis import highlight, normalise, segmenter
from portal.search.query import parse_query
from tests.conftest import CONTENT_DIR


def segment(text):
    return [(t.text, t.position) for t in segmenter().segment(text)]


def test_sub_words_share_the_position_of_their_word():
    tokens = segment("加强政务诚信建设")
    assert ("政务诚信", 1) in tokens and ("政务", 1) in tokens and ("诚信", 1) in tokens
    assert ("加强", 0) in tokens and ("建设", 2) in tokens


def test_punctuation_takes_no_position():
    assert segment("梅市应急〔2020〕52号") == [("梅市", 0), ("应急", 1), ("2020", 2), ("52", 3), ("号", 4)]
    assert segment("梅市应急(2020)52号") == segment("梅市应急〔2020〕52号")


def test_domain_dictionary_keeps_words_whole():
    assert segmenter().words("严格守信践诺，实施失信惩戒") == ["严格", "守信践诺", "实施", "失信惩戒"]
    assert "矿山救援队" in segmenter().words("办公室、矿山救援队负责")


def test_latin_is_lowercased_and_full_width_is_folded():
    assert segmenter().words("Hello WORLD ＡＢＣ ５２号") == ["hello", "world", "abc", "52", "号"]


def test_traditional_characters_become_simplified_without_changing_length():
    text = "政務誠信建設與守信踐諾"
    assert normalise(text) == "政务诚信建设与守信践诺"
    assert len(normalise(text)) == len(text)


def test_offsets_point_at_the_characters_of_each_token_in_all_shipped_content():
    content = read_content_dir(CONTENT_DIR)
    checked = 0
    for _, record in content.disclosures:
        for text in (record.title, record.body, record.doc_no or ""):
            normal = normalise(text)
            for token in segmenter().segment(text):
                assert normal[token.start:token.end].lower() == token.text
                checked += 1
    assert checked > 3000


def test_a_word_splits_into_the_sub_words_that_tile_it():
    assert segmenter().parts("政务诚信") == ["政务", "诚信"]
    assert segmenter().parts("安全生产月") == ["安全", "生产", "月"]
    assert segmenter().parts("建设") == []


def test_query_parsing_reads_phrases_and_words_and_ignores_syntax():
    parsed = parse_query('"诚信建设" 矿山救援队 AND (x OR y)* title:abc')
    assert parsed.phrases == (("诚信", "建设"),)
    assert parsed.words == ("矿山救援队", "and", "x", "or", "y", "title", "abc")
    assert parse_query('“政务公开”').phrases == (("政务公开",),)
    assert parse_query('"未闭合的引号').words == ("未", "闭合", "的", "引号")
    assert parse_query('!!! *** ???').is_empty


def test_highlight_marks_exactly_the_matching_characters():
    html = str(highlight("为加强政务诚信建设，制定本方案。", {"诚信"}))
    assert html == "为加强政务<mark>诚信</mark>建设，制定本方案。"


def test_highlight_escapes_the_text_around_marks():
    html = str(highlight('<script>alert("诚信")</script> 诚信', {"诚信"}))
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None
    assert [m.get_text() for m in soup.find_all("mark")] == ["诚信", "诚信"]


@pytest.mark.parametrize("width", [20, 60])
def test_highlight_of_a_long_text_is_an_excerpt_around_the_match(width):
    text = "无关内容" * 50 + "关于守信践诺的规定" + "其他内容" * 50
    html = str(highlight(text, {"守信践诺"}, width=width))
    assert "<mark>守信践诺</mark>" in html
    assert html.startswith("…") and html.endswith("…")
    assert len(BeautifulSoup(html, "html.parser").get_text()) <= width + 2
