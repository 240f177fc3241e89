"""Read content/ into typed records, collecting every problem with its file and line.

Nothing here touches the database: `check` runs this alone, `import` runs it and then writes.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from portal.files import AttachmentRefused, check_attachment
from portal.content.records import (
    DISCLOSURE_MODES,
    VALIDITIES,
    AttachmentRecord,
    DepartmentRecord,
    DisclosureRecord,
    Problem,
)

DEPARTMENTS_FILE = "departments.yaml"
DISCLOSURES_DIR = "disclosures"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")



class _ContentLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so that a bad date is reported with its line
    instead of raising from deep inside PyYAML (2020-02-30 would)."""


_ContentLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclasses.dataclass
class ContentSet:
    """Everything read from one content directory."""

    departments: list[DepartmentRecord] = dataclasses.field(default_factory=list)
    department_problems: list[Problem] = dataclasses.field(default_factory=list)
    disclosures: list[tuple[Path, DisclosureRecord]] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)

    @property
    def all_problems(self) -> list[Problem]:
        return self.department_problems + self.problems

    def problem_files(self) -> set[Path]:
        return {problem.path for problem in self.problems}


# --- field parsing -------------------------------------------------------------------------

class _FieldError(ValueError):
    pass


def _text(max_len: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise _FieldError("应为文本 (expected text)")
        text = str(value).strip()
        if not text:
            raise _FieldError("不能为空 (must not be empty)")
        if len(text) > max_len:
            raise _FieldError(f"过长：最多 {max_len} 个字符 (longer than {max_len} characters)")
        if any(ord(ch) < 32 for ch in text):
            raise _FieldError("含有控制字符 (contains control characters)")
        return text
    return parse


def _slug(value: Any) -> str:
    text = _text(80)(value)
    if not SLUG_RE.match(text):
        raise _FieldError("只能用小写字母、数字和连字符 (slug: lowercase letters, digits, hyphens)")
    return text


def _date(value: Any) -> dt.date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise _FieldError(f"日期格式应为 YYYY-MM-DD (bad date {value!r})")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _FieldError(f"不存在的日期 (bad date {value!r}: {exc})") from exc


def _choice(choices: dict[str, str]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in choices:
            raise _FieldError(f"应为 {' / '.join(choices)} 之一 (got {value!r})")
        return choices[value]
    return parse


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _FieldError(f"应为 true 或 false (got {value!r})")
    return value


def _slug_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _FieldError("应为列表 (expected a list of department slugs)")
    slugs = tuple(_slug(item) for item in value)
    if len(set(slugs)) != len(slugs):
        raise _FieldError("部门重复 (a department is listed twice)")
    return slugs


@dataclasses.dataclass(frozen=True)
class _Field:
    parse: Callable[[Any], Any]
    required: bool = True


DISCLOSURE_FIELDS: dict[str, _Field] = {
    "slug": _Field(_slug),
    "title": _Field(_text(200)),
    "index_no": _Field(_text(64)),
    "doc_no": _Field(_text(64), required=False),
    "publisher": _Field(_text(100)),
    "written_on": _Field(_date, required=False),
    "published_on": _Field(_date),
    "topic": _Field(_text(40)),
    "disclosure_mode": _Field(_choice(DISCLOSURE_MODES)),
    "validity": _Field(_choice(VALIDITIES), required=False),
    "departments": _Field(_slug_list, required=False),
    "attachments": _Field(lambda value: value, required=False),  # checked with the file's path
    "demo": _Field(_bool, required=False),
}
DEPARTMENT_FIELDS: dict[str, _Field] = {
    "slug": _Field(_slug),
    "name": _Field(_text(40)),
    "description": _Field(_text(1000), required=False),
}


def _parse_mapping(
    node: yaml.MappingNode, data: dict, fields: dict[str, _Field], path: Path, line_offset: int,
    problems: list[Problem],
) -> dict[str, Any]:
    """Check a YAML mapping against `fields`; return the parsed values of the good keys."""
    key_lines = {key.value: key.start_mark.line + line_offset for key, _ in node.value}
    start_line = node.start_mark.line + line_offset
    values: dict[str, Any] = {}
    for key in data:
        if key not in fields:
            problems.append(Problem(path, key_lines.get(key, start_line), f"未知字段 (unknown key) {key!r}"))
    for name, field in fields.items():
        if name not in data or data[name] is None:
            if field.required:
                problems.append(Problem(path, start_line, f"缺少必填字段 (missing key) {name!r}"))
            continue
        try:
            values[name] = field.parse(data[name])
        except _FieldError as exc:
            problems.append(Problem(path, key_lines.get(name, start_line), f"{name}: {exc}"))
    return values


def _load_yaml(text: str, path: Path, line_offset: int, problems: list[Problem]):
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


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem(path, line, "文件不是 UTF-8 编码 (file is not UTF-8; save it as UTF-8)"))
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


# --- files ---------------------------------------------------------------------------------

def read_departments(path: Path) -> tuple[list[DepartmentRecord], list[Problem]]:
    problems: list[Problem] = []
    text = _read_text(path, problems)
    if text is None:
        return [], problems
    node, data = _load_yaml(text, path, 1, problems)
    if node is None:
        return [], problems
    if not isinstance(node, yaml.SequenceNode):
        return [], [Problem(path, 1, "应为部门列表 (expected a list of departments)")]
    records: list[DepartmentRecord] = []
    seen: dict[str, int] = {}
    for position, (item_node, item) in enumerate(zip(node.value, data)):
        line = item_node.start_mark.line + 1
        if not isinstance(item_node, yaml.MappingNode):
            problems.append(Problem(path, line, "每个部门应为键值对 (each department is a mapping)"))
            continue
        before = len(problems)
        values = _parse_mapping(item_node, item, DEPARTMENT_FIELDS, path, 1, problems)
        for key in ("slug", "name"):
            if key in values and values[key] in seen:
                problems.append(Problem(path, line, f"{key} 重复 (duplicate {key}) {values[key]!r}"))
            seen.setdefault(values.get(key, ""), line)
        if len(problems) == before:
            records.append(DepartmentRecord(position=position, **values))
    return records, problems


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


def read_disclosure(path: Path, content_dir: Path) -> tuple[DisclosureRecord | None, list[Problem]]:
    problems: list[Problem] = []
    text = _read_text(path, problems)
    if text is None:
        return None, problems
    parts = split_front_matter(text)
    if parts is None:
        return None, [Problem(path, 1, "缺少以 --- 开头和结尾的 YAML 头 (missing --- front matter)")]
    front, body = parts
    node, data = _load_yaml(front, path, 2, problems)
    if node is None:
        return None, problems
    if not isinstance(node, yaml.MappingNode):
        return None, [Problem(path, 2, "YAML 头应为键值对 (front matter must be a mapping)")]
    values = _parse_mapping(node, data, DISCLOSURE_FIELDS, path, 2, problems)
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
            title = _text(200)(item.get("title") or Path(str(item["file"])).stem)
            relative = _text(300)(item["file"])
        except _FieldError as exc:
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


def read_content_dir(content_dir: Path, known_departments: Iterable[str] = ()) -> ContentSet:
    """Read the departments and disclosures below `content_dir` and check them against each other."""
    content = ContentSet()
    departments_path = content_dir / DEPARTMENTS_FILE
    if departments_path.exists():
        content.departments, content.department_problems = read_departments(departments_path)
    department_slugs = {record.slug for record in content.departments} | set(known_departments)
    content.disclosures, content.problems = read_disclosures(content_dir, department_slugs)
    return content


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
                    problems.append(Problem(path, _key_line(path, key), f"{key} {value!r} 与 {other} 重复 (duplicate)"))
            for slug in record.departments:
                if slug not in department_slugs:
                    problems.append(Problem(path, _key_line(path, "departments"), f"未知部门 (unknown department) {slug!r}"))
        if problems:
            all_problems.extend(problems)
        else:
            valid.append((path, record))
    return valid, all_problems


def _key_line(path: Path, key: str) -> int:
    """The line of a front-matter key, for problems found after parsing."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def check_disclosure_fields(data: dict[str, Any], fields: Iterable[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse values typed into a form with the importer's rules: (values, {field: message}).

    The back office validates a draft's metadata exactly as `content check` validates a file."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in fields:
        field = DISCLOSURE_FIELDS[name]
        raw = data.get(name)
        if raw is None or raw == "" or raw == []:
            if field.required:
                errors[name] = "不能为空 (required)"
            continue
        try:
            values[name] = field.parse(raw)
        except _FieldError as exc:
            errors[name] = str(exc)
    return values, errors


# The same field rules and messages for every content file: the ratings importer uses these.
Field = _Field
FieldError = _FieldError
text_field = _text
date_field = _date
slug_field = _slug
bool_field = _bool
parse_mapping = _parse_mapping
load_yaml = _load_yaml


def dump_yaml(data) -> str:
    """YAML as the content files are written: Chinese as is, keys in the order given."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
