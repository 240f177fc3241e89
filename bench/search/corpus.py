"""A deterministic synthetic corpus of Chinese government documents for the search benchmark.

Words are drawn with the frequencies of jieba's dictionary (a real one: about 350,000 words with
counts from a large corpus), so common and rare terms occur as they do in real Chinese text.
Documents follow the shape of the bureau's notices: a title 关于…的通知/报告/公示, a 文号,
numbered sections 一、（一）, sentences with punctuation, lengths from a few lines to many pages,
one to three of the plan's six departments, and a year from 2010 to 2025 as facets.
"""
from __future__ import annotations

import bisect
import datetime as dt
import importlib.resources
import itertools
import json
import random
from collections.abc import Iterator
from pathlib import Path

DEPARTMENTS = [
    ("office", "办公室"),
    ("personnel-education", "人事教育科"),
    ("coordination", "综合协调科"),
    ("law-enforcement-supervision", "执法监督科"),
    ("science-technology-informatization", "科技和信息化科"),
    ("mine-rescue-team", "矿山救援队"),
]
DOMAIN_WORDS = [
    "政务诚信", "守信践诺", "失信惩戒", "应急管理", "安全生产", "风险预警", "信息公开",
    "投诉举报", "应急物资", "隐患排查", "应急演练", "政府采购", "招标投标", "整改", "红榜",
]
SECTION_NUMBERS = "一二三四五六七八九十"
TITLE_ENDINGS = ["的通知", "的报告", "的公示", "的通报", "的实施方案", "的意见"]
SENTENCE_ENDS = ["。", "。", "。", "；", "！"]
YEARS = range(2010, 2026)


class Vocabulary:
    """Chinese words of jieba's dictionary, sampled by their corpus frequency."""

    def __init__(self, size: int = 60_000):
        text = (importlib.resources.files("jieba") / "dict.txt").read_text(encoding="utf-8")
        entries = []
        for line in text.splitlines():
            word, freq, _ = line.split(" ")
            if all("\u4e00" <= ch <= "\u9fff" for ch in word):
                entries.append((int(freq), word))
        entries.sort(reverse=True)
        entries = entries[:size]
        self.words = [word for _, word in entries]
        self.cumulative = list(itertools.accumulate(freq for freq, _ in entries))

    def sample(self, rng: random.Random, k: int) -> list[str]:
        total = self.cumulative[-1]
        return [self.words[bisect.bisect(self.cumulative, rng.random() * total)] for _ in range(k)]


def _sentence(rng: random.Random, vocabulary: Vocabulary) -> str:
    words = vocabulary.sample(rng, rng.randint(6, 22))
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words) + 1), rng.choice(DOMAIN_WORDS))
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words) + 1), rng.choice(DEPARTMENTS)[1])
    comma = rng.randrange(2, len(words))
    return "".join(words[:comma]) + "，" + "".join(words[comma:]) + rng.choice(SENTENCE_ENDS)


def document(number: int, rng: random.Random, vocabulary: Vocabulary) -> dict:
    year = rng.choice(YEARS)
    date = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
    # Lengths are log-normal: most notices are short, a few run to many pages.
    sentences = max(2, min(400, int(rng.lognormvariate(3.0, 0.9))))
    sections, body = max(1, sentences // 8), []
    for index in range(sections):
        if sections > 1:
            body.append(f"{SECTION_NUMBERS[index % 10]}、{''.join(vocabulary.sample(rng, 3))}")
        paragraph = [_sentence(rng, vocabulary) for _ in range(max(1, sentences // sections))]
        body.append("".join(paragraph))
    departments = rng.sample(DEPARTMENTS, rng.choice([1, 1, 1, 2, 2, 3]))
    return {
        "kind": "disclosure",
        "key": f"doc-{number}",
        "title": "关于" + "".join(vocabulary.sample(rng, rng.randint(2, 5))) + rng.choice(TITLE_ENDINGS),
        "doc_no": f"梅市应急〔{year}〕{rng.randint(1, 300)}号",
        "date": date.isoformat(),
        "departments": departments,
        "body": "\n".join(body),
    }


def generate(count: int, seed: int = 20200807) -> Iterator[dict]:
    rng = random.Random(seed)
    vocabulary = Vocabulary()
    for number in range(count):
        yield document(number, rng, vocabulary)


def write_corpus(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for item in generate(count):
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")


def read_corpus(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)
