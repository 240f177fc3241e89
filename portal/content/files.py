"""Reading content files: one rule for text, YAML with line numbers, and spreadsheets.

    read_text(path, problems)        UTF-8, with or without a BOM; CRLF read as LF
    read_yaml(path, problems)        read_text + load_yaml: (node for line numbers, data)
    load_yaml(text, path, offset, problems)   one YAML document (front matter, say)
    decode_sheet(raw)                a CSV as Excel and WPS save it: UTF-8 (BOM or not) or GBK/GB18030
    split_front_matter(text)         (front matter, body) of a `---`-delimited Markdown file

Every problem is a Problem(path, line, message), printed as `path:line: message`.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with a content file, printed as `path:line: message`."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class _ContentLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so that a bad date is reported with its line
    instead of raising from deep inside PyYAML (2020-02-30 would)."""


_ContentLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_text(path: Path, problems: list[Problem]) -> str | None:
    """The file's text (UTF-8, a BOM allowed, line ends as LF), or None with a problem."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem(path, line, "文件不是 UTF-8 编码 (file is not UTF-8; save it as UTF-8)"))
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def load_yaml(text: str, path: Path, line_offset: int, problems: list[Problem]):
    """Compose (for line numbers) and construct (for values) one YAML document."""
    try:
        node = yaml.compose(text, Loader=_ContentLoader)
        # _ContentLoader is a SafeLoader (no arbitrary objects); bandit cannot see through the subclass.
        data = yaml.load(text, Loader=_ContentLoader)  # nosec B506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = (mark.line + line_offset) if mark else line_offset
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(path, line, f"YAML 格式错误 (broken YAML): {reason}"))
        return None, None
    return node, data


def read_yaml(path: Path, problems: list[Problem]):
    """A YAML file: (node, data), or (None, None) with its problems."""
    text = read_text(path, problems)
    if text is None:
        return None, None
    return load_yaml(text, path, 1, problems)


def decode_sheet(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GBK/GB18030; raise ValueError naming the problem."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValueError(f"第 {line} 行：无法识别的文字编码，请另存为 UTF-8 或 GBK 编码的 CSV") from exc


def split_front_matter(text: str) -> tuple[str, str] | None:
    """Return (front matter, body) of a `---`-delimited Markdown file, or None."""
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    if end == -1:
        if text.endswith("\n---"):
            return text[4:-4], ""
        return None
    return text[4 : end + 1], text[end + 5 :]


def key_line(path: Path, key: str) -> int:
    """The line of a top-level key, for problems found after parsing."""
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def dump_yaml(data) -> str:
    """YAML as the content files are written: Chinese as is, keys in the order given."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
