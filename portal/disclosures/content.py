"""content/disclosures/: one Markdown file per disclosure, its metadata as YAML front matter
(content/README.md is the contract), its attachments beside it in content/attachments/."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from portal.content.fields import (
    Field,
    FieldError,
    bool_field,
    choice_field,
    date_field,
    parse_form,
    parse_mapping,
    slug_field,
    slug_list_field,
    text_field,
)
from portal.content.files import Problem, dump_yaml, key_line, load_yaml, read_text, split_front_matter
from portal.disclosures.vocabulary import DISCLOSURE_MODES, MODE_LABELS, VALIDITIES, VALIDITY_LABELS
from portal.files import AttachmentRefused, check_attachment

DISCLOSURES_DIR = "disclosures"


@dataclasses.dataclass(frozen=True)
class AttachmentRecord:
    title: str
    filename: str
    source: Path  # where the bytes are: a file in content/, or the store's source(sha256) (read_bytes())


@dataclasses.dataclass(frozen=True)
class DisclosureRecord:
    """What a disclosure file says (or a draft, or the database), before it is written anywhere."""

    slug: str
    title: str
    index_no: str
    publisher: str
    published_on: dt.date
    topic: str
    disclosure_mode: str  # a code of vocabulary.DISCLOSURE_MODES: proactive | on_request
    body: str
    doc_no: str | None = None
    written_on: dt.date | None = None
    validity: str = "valid"
    departments: tuple[str, ...] = ()
    attachments: tuple[AttachmentRecord, ...] = ()
    demo: bool = False


DISCLOSURE_FIELDS: dict[str, Field] = {
    "slug": Field(slug_field),
    "title": Field(text_field(200)),
    "index_no": Field(text_field(64)),
    "doc_no": Field(text_field(64), required=False),
    "publisher": Field(text_field(100)),
    "written_on": Field(date_field, required=False),
    "published_on": Field(date_field),
    "topic": Field(text_field(40)),
    "disclosure_mode": Field(choice_field(DISCLOSURE_MODES)),
    "validity": Field(choice_field(VALIDITIES), required=False),
    "departments": Field(slug_list_field, required=False),
    "attachments": Field(lambda value: value, required=False),  # checked with the file's path
    "demo": Field(bool_field, required=False),
}


def read_disclosure(path: Path, content_dir: Path) -> tuple[DisclosureRecord | None, list[Problem]]:
    problems: list[Problem] = []
    text = read_text(path, problems)
    if text is None:
        return None, problems
    parts = split_front_matter(text)
    if parts is None:
        return None, [Problem(path, 1, "缺少以 --- 开头和结尾的 YAML 头 (missing --- front matter)")]
    front, body = parts
    node, data = load_yaml(front, path, 2, problems)
    if node is None:
        return None, problems
    if not isinstance(node, yaml.MappingNode):
        return None, [Problem(path, 2, "YAML 头应为键值对 (front matter must be a mapping)")]
    values = parse_mapping(node, data, DISCLOSURE_FIELDS, path, 2, problems)
    if "attachments" in values:
        line = next((k.start_mark.line + 2 for k, _ in node.value if k.value == "attachments"), 2)
        values["attachments"] = _attachments(values["attachments"], content_dir, path, line, problems)
    if not body.strip():
        problems.append(Problem(path, front.count("\n") + 3, "正文为空 (the body is empty)"))
    if problems:
        return None, problems
    values.setdefault("departments", ())
    values.setdefault("attachments", ())
    return DisclosureRecord(body=body.strip() + "\n", **values), []


def _attachments(value: Any, content_dir: Path, path: Path, line: int,
                 problems: list[Problem]) -> tuple[AttachmentRecord, ...]:
    if not isinstance(value, list):
        problems.append(Problem(path, line, "attachments: 应为列表 (expected a list)"))
        return ()
    records = []
    for offset, item in enumerate(value, start=1):
        where = line + offset
        if not isinstance(item, dict) or set(item) - {"file", "title"} or "file" not in item:
            problems.append(Problem(path, where, "attachments: 每项应有 file 和 title (each item needs file and title)"))
            continue
        try:
            title = text_field(200)(item.get("title") or Path(str(item["file"])).stem)
            relative = text_field(300)(item["file"])
        except FieldError as exc:
            problems.append(Problem(path, where, f"attachments: {exc}"))
            continue
        source = (content_dir / relative).resolve()
        problem = _attachment_problem(source, content_dir.resolve())
        if problem:
            problems.append(Problem(path, where, f"attachments: {relative}: {problem}"))
            continue
        records.append(AttachmentRecord(title=title, filename=source.name, source=source))
    names = [record.filename for record in records]
    if len(set(names)) != len(names):
        problems.append(Problem(path, line, "attachments: 文件名重复 (two attachments share a file name)"))
    return tuple(records)


def _attachment_problem(source: Path, content_root: Path) -> str | None:
    if not source.is_relative_to(content_root):
        return "附件必须位于 content/ 目录内 (attachments must be inside the content directory)"
    if not source.is_file():
        return "找不到文件 (file not found)"
    with source.open("rb") as handle:
        head = handle.read(512)
    try:
        check_attachment(source.name, source.stat().st_size, head)
    except AttachmentRefused as exc:
        return str(exc)
    return None


def read_disclosures(content_dir: Path, department_slugs: Iterable[str]) -> tuple[list[tuple[Path, DisclosureRecord]], list[Problem]]:
    """Every disclosure file below content_dir/disclosures: the valid ones as (path, record), and
    the problems of the others (a slug or 索引号 used twice, an unknown department, ...)."""
    department_slugs = set(department_slugs)
    valid: list[tuple[Path, DisclosureRecord]] = []
    all_problems: list[Problem] = []
    first_seen: dict[tuple[str, str], Path] = {}
    for path in sorted((content_dir / DISCLOSURES_DIR).glob("**/*.md")):
        record, problems = read_disclosure(path, content_dir)
        if record is not None:
            for key in ("slug", "index_no"):
                value = getattr(record, key)
                other = first_seen.setdefault((key, value), path)
                if other != path:
                    problems.append(Problem(path, key_line(path, key), f"{key} {value!r} 与 {other} 重复 (duplicate)"))
            for slug in record.departments:
                if slug not in department_slugs:
                    problems.append(Problem(path, key_line(path, "departments"), f"未知部门 (unknown department) {slug!r}"))
        if problems:
            all_problems.extend(problems)
        else:
            valid.append((path, record))
    return valid, all_problems


def check_disclosure_fields(data: Mapping[str, Any], fields: Iterable[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse values typed into a form with the importer's rules: (values, {field: message}).

    The back office validates a draft's metadata exactly as `content check` validates a file."""
    return parse_form(data, DISCLOSURE_FIELDS, fields)


def disclosure_file(record: DisclosureRecord, attachments: list[dict]) -> str:
    front = {
        "slug": record.slug,
        "title": record.title,
        "index_no": record.index_no,
        "doc_no": record.doc_no,
        "publisher": record.publisher,
        "written_on": record.written_on,
        "published_on": record.published_on,
        "topic": record.topic,
        "disclosure_mode": MODE_LABELS[record.disclosure_mode],
        "validity": VALIDITY_LABELS[record.validity],
        "departments": list(record.departments),
        "attachments": attachments,
        "demo": record.demo,
    }
    front = {key: value for key, value in front.items() if value not in (None, [], False)}
    return f"---\n{dump_yaml(front)}---\n\n{record.body}"
