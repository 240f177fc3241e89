"""A query's work is bounded: words per query, suggestions per query, searches per client (#25.8)."""
from __future__ import annotations

import random
import secrets

from portal.search.analysis import segmenter
from portal.search.engine import Vocabulary
from portal.search.query import ParsedQuery, parse_query

CHARACTERS = [chr(code) for code in range(0x4E00, 0x9FA5)]


def _query_of_death(count: int = 66, seed: int = 1) -> str:
    """The attack: dozens of two-character words that no document contains, new each time
    (random pairs of characters that the segmenter keeps whole)."""
    pick, words = random.Random(seed), []
    while len(words) < count:
        word = pick.choice(CHARACTERS) + pick.choice(CHARACTERS)
        if segmenter().words(word) == [word] and word not in words:
            words.append(word)
    return " ".join(words)


def test_a_query_uses_its_first_twelve_words_and_the_page_says_so(search_client):
    text = _query_of_death()
    typed = len(parse_query(text).words)
    response = search_client.get("/search", query_string={"q": text})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"只按前 12 个词语检索，其余 {typed - 12} 个未使用" in page
    api = search_client.get("/api/v1/search", query_string={"q": text}).get_json()
    assert api["words_left_out"] == typed - 12 and api["query"]["max_words"] == 12


def test_an_ordinary_query_says_nothing_about_words_left_out(search_client):
    page = search_client.get("/search", query_string={"q": "诚信 建设"}).get_data(as_text=True)
    assert "个词语检索" not in page


def test_suggestions_are_looked_up_for_three_unknown_words_at_most(search_client, monkeypatch):
    looked_up = []
    real = Vocabulary.one_character_away
    monkeypatch.setattr(Vocabulary, "one_character_away", lambda self, word, **kw: looked_up.append(word) or real(self, word, **kw))
    response = search_client.get("/search", query_string={"q": _query_of_death(seed=2)})
    assert response.status_code == 200
    assert 0 < len(set(looked_up)) <= 3


def test_the_words_kept_are_the_quoted_phrases_first_then_the_words_in_order():
    parsed = ParsedQuery(phrases=(("政务", "诚信", "建设"), ("信用", "修复")), words=("举报", "电话", "地址"))
    assert parsed.first_words(4) == ParsedQuery((("政务", "诚信", "建设"), ("信用",)), (), dropped=4)
    assert parsed.first_words(6) == ParsedQuery(parsed.phrases, ("举报",), dropped=2)
    assert parsed.first_words(12) == ParsedQuery(parsed.phrases, parsed.words, dropped=0)


def test_one_character_away_finds_what_a_scan_of_the_vocabulary_finds():
    pick = random.Random(3)
    alphabet = "诚信建设政务守法承诺公开监督失惩戒"
    words = list({"".join(pick.choice(alphabet) for _ in range(pick.randint(2, 4))): None for _ in range(3000)})
    counted = [(word, pick.randint(1, 500)) for word in words]
    vocabulary = Vocabulary(counted)
    for typed in ["诚信", "失信惩诫", "政府公开", "建设", "监管"]:
        scanned = sorted(((count, other) for other, count in counted
                          if len(other) == len(typed) and sum(a != b for a, b in zip(typed, other)) == 1),
                         reverse=True)[:3]
        assert vocabulary.one_character_away(typed) == [other for _, other in scanned]


def test_one_client_searching_without_pause_is_limited_and_another_is_not(search_client, search_app):
    flooder, other = search_client, search_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "2001:db8:" + secrets.token_hex(2) + "::1"  # none of search_client's
    # 30 a minute; a window that turns during the loop allows at most 30 more.
    statuses = [flooder.get("/search", query_string={"q": f"诚信 {n}"}).status_code for n in range(61)]
    assert 429 in statuses and set(statuses[:30]) == {200}
    refused = flooder.get("/search", query_string={"q": "诚信"})
    if refused.status_code == 429:
        assert "请求过于频繁" in refused.get_data(as_text=True)
    assert other.get("/search", query_string={"q": "诚信"}).status_code == 200
