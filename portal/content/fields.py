"""Field parsers: the same rules and messages for every content file and every back-office form.

A kind declares its schema as {name: Field(parser, required)}; parse_mapping checks a YAML
mapping against it (problems with their lines), parse_form checks values typed into a form
(messages by field), so a draft is validated exactly as `content check` validates a file.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from portal.content.files import Problem

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class FieldError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Field:
    parse: Callable[[Any], Any]
    required: bool = True


def text_field(max_len: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise FieldError("应为文本 (expected text)")
        text = str(value).strip()
        if not text:
            raise FieldError("不能为空 (must not be empty)")
        if len(text) > max_len:
            raise FieldError(f"过长：最多 {max_len} 个字符 (longer than {max_len} characters)")
        if any(ord(ch) < 32 for ch in text):
            raise FieldError("含有控制字符 (contains control characters)")
        return text
    return parse


def slug_field(value: Any) -> str:
    text = text_field(80)(value)
    if not SLUG_RE.match(text):
        raise FieldError("只能用小写字母、数字和连字符 (slug: lowercase letters, digits, hyphens)")
    return text


def date_field(value: Any) -> dt.date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise FieldError(f"日期格式应为 YYYY-MM-DD (bad date {value!r})")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise FieldError(f"不存在的日期 (bad date {value!r}: {exc})") from exc


def choice_field(choices: Mapping[str, str]) -> Callable[[Any], str]:
    """One of the labels of `choices` (label → stored code); returns the code."""
    def parse(value: Any) -> str:
        if value not in choices:
            raise FieldError(f"应为 {' / '.join(choices)} 之一 (got {value!r})")
        return choices[value]
    return parse


def bool_field(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldError(f"应为 true 或 false (got {value!r})")
    return value


def slug_list_field(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise FieldError("应为列表 (expected a list of department slugs)")
    slugs = tuple(slug_field(item) for item in value)
    if len(set(slugs)) != len(slugs):
        raise FieldError("部门重复 (a department is listed twice)")
    return slugs


def parse_mapping(node: yaml.MappingNode, data: dict, fields: dict[str, Field], path: Path, line_offset: int,
                  problems: list[Problem]) -> dict[str, Any]:
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
        except FieldError as exc:
            problems.append(Problem(path, key_lines.get(name, start_line), f"{name}: {exc}"))
    return values


def parse_form(data: Mapping[str, Any], fields: dict[str, Field], names: Iterable[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Values typed into a form, checked by the same rules: (values, {field: message})."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in names:
        field = fields[name]
        raw = data.get(name)
        if raw is None or raw == "" or raw == []:
            if field.required:
                errors[name] = "不能为空 (required)"
            continue
        try:
            values[name] = field.parse(raw)
        except FieldError as exc:
            errors[name] = str(exc)
    return values, errors
