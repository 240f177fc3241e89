"""Reading an evaluator's delivery: the edition file (YAML) and the score sheet (CSV).

Everything is checked before anything is written, and every problem is reported with its file,
row and column. Excel on Chinese Windows saves CSV as GBK, so GBK (GB18030) is accepted beside
UTF-8 with or without a byte-order mark.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from portal.clock import today
from portal.content.fields import Field, FieldError, bool_field, date_field, parse_mapping, slug_field, text_field
from portal.content.files import Problem, decode_sheet, read_yaml
from portal.ratings.scoring import BandSpec, IndicatorSpec

MAX_SHEET_BYTES = 2 * 1024 * 1024  # six departments' scores take a few hundred bytes
CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,19}$")
DEPARTMENT_COLUMNS = ("department", "部门")
RESPONSE_COLUMNS = ("response", "部门回应")


@dataclasses.dataclass(frozen=True)
class EditionSpec:
    slug: str
    title: str
    period_start: dt.date
    period_end: dt.date
    evaluator: str
    methodology: str
    indicators: tuple[IndicatorSpec, ...]
    bands: tuple[BandSpec, ...]
    comparability_note: str = ""
    drop_threshold: Decimal = Decimal("10")
    correction_reason: str = ""
    demo: bool = False
    # The day the edition was first published (an edition imported from content/ is usually
    # older than the import); a correction is dated the day it is published.
    published_on: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class ScoreSheet:
    scores: dict[str, dict[str, Decimal]]  # department slug → indicator code → score
    responses: dict[str, str]


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise FieldError("应为数字 (expected a number)")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise FieldError(f"应为数字 (expected a number, got {value!r})") from exc
    if not number.is_finite() or number < 0:
        raise FieldError(f"应为非负数 (got {value!r})")
    if number != number.quantize(Decimal("0.01")):
        raise FieldError(f"最多两位小数 (at most two decimals, got {value!r})")
    return number


def _markdown(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FieldError("应为文本 (expected Markdown text)")
    return value.strip() + "\n"



EDITION_FIELDS = {
    "slug": Field(slug_field),
    "title": Field(text_field(200)),
    "period_start": Field(date_field),
    "period_end": Field(date_field),
    "evaluator": Field(text_field(200)),
    "methodology": Field(_markdown),
    "comparability_note": Field(_markdown, required=False),
    "drop_threshold": Field(_number, required=False),
    "correction_reason": Field(text_field(2000), required=False),
    "demo": Field(bool_field, required=False),
    "published_on": Field(date_field, required=False),
    "indicators": Field(lambda value: value),
    "bands": Field(lambda value: value),
}
INDICATOR_FIELDS = {
    "code": Field(text_field(20)),
    "name": Field(text_field(100)),
    "weight": Field(_number),
    "maximum": Field(_number),
    "description": Field(text_field(1000), required=False),
}
BAND_FIELDS = {"name": Field(text_field(20)), "minimum": Field(_number)}


def read_edition(path: Path) -> tuple[EditionSpec | None, list[Problem]]:
    problems: list[Problem] = []
    node, data = read_yaml(path, problems)
    if node is None:
        return None, problems
    if not isinstance(node, yaml.MappingNode):
        return None, [Problem(path, 1, "应为键值对 (the edition file must be a mapping)")]
    values = parse_mapping(node, data, EDITION_FIELDS, path, 1, problems)
    lines = {key.value: key.start_mark.line + 1 for key, _ in node.value}
    indicators = _items(node, data, "indicators", INDICATOR_FIELDS, path, problems)
    bands = _items(node, data, "bands", BAND_FIELDS, path, problems)
    _check_indicators(indicators, path, lines.get("indicators", 1), problems)
    _check_bands(bands, path, lines.get("bands", 1), problems)
    if "period_start" in values and "period_end" in values and values["period_end"] < values["period_start"]:
        problems.append(Problem(path, lines["period_end"], "period_end 早于 period_start (the period ends before it starts)"))
    if values.get("published_on") and values["published_on"] > today():
        problems.append(Problem(path, lines["published_on"], "published_on 晚于今天 (a publication date in the future)"))
    if problems:
        return None, problems
    values["indicators"] = tuple(IndicatorSpec(**item) for item in indicators)
    values["bands"] = tuple(BandSpec(**item) for item in bands)
    return EditionSpec(**values), []


def _items(node: yaml.MappingNode, data: dict, key: str, fields: dict, path: Path,
           problems: list[Problem]) -> list[dict]:
    value_node = next((value for name, value in node.value if name.value == key), None)
    if value_node is None:
        return []
    if not isinstance(value_node, yaml.SequenceNode) or not value_node.value:
        problems.append(Problem(path, value_node.start_mark.line + 1, f"{key}: 应为非空列表 (expected a list)"))
        return []
    items = []
    for item_node, item in zip(value_node.value, data[key]):
        line = item_node.start_mark.line + 1
        if not isinstance(item_node, yaml.MappingNode):
            problems.append(Problem(path, line, f"{key}: 每项应为键值对 (each item is a mapping)"))
            continue
        before = len(problems)
        values = parse_mapping(item_node, item, fields, path, 1, problems)
        if len(problems) == before:
            values["_line"] = line
            items.append(values)
    return items


def _check_indicators(indicators: list[dict], path: Path, line: int, problems: list[Problem]) -> None:
    codes = [item["code"] for item in indicators]
    for item in indicators:
        if not CODE_RE.match(item["code"]):
            problems.append(Problem(path, item["_line"], f"指标代码 {item['code']!r} 只能用字母、数字、- 和 _，以字母开头"))
        if item["maximum"] <= 0 or item["weight"] <= 0:
            problems.append(Problem(path, item["_line"], f"指标 {item['code']}: 权重和满分应大于 0"))
    for code in sorted({code for code in codes if codes.count(code) > 1}):
        problems.append(Problem(path, line, f"指标代码 {code!r} 重复 (duplicate indicator code)"))
    total = sum((item["weight"] for item in indicators), Decimal(0))
    if indicators and total != 100:
        problems.append(Problem(path, line, f"指标权重之和应为 100，实际为 {total} (weights must add up to 100)"))
    for item in indicators:
        item.pop("_line")


def _check_bands(bands: list[dict], path: Path, line: int, problems: list[Problem]) -> None:
    names = [band["name"] for band in bands]
    minimums = [band["minimum"] for band in bands]
    if len(set(names)) != len(names) or len(set(minimums)) != len(minimums):
        problems.append(Problem(path, line, "等级名称和分数线都不能重复 (grade names and minimums must be unique)"))
    if bands and min(minimums) != 0:
        problems.append(Problem(path, line, "最低等级的分数线应为 0，使每个总分都有等级 (the lowest band must start at 0)"))
    if any(minimum > 100 for minimum in minimums):
        problems.append(Problem(path, line, "分数线不能超过 100 (a minimum above 100)"))
    for band in bands:
        band.pop("_line")


def read_scores(path: Path, spec: EditionSpec, departments: dict[str, str]) -> tuple[ScoreSheet | None, list[Problem]]:
    """Check a score sheet against the edition. `departments` maps slug → name; a row may name
    its department either way. Problems say `row N, column C`."""
    raw = path.read_bytes()
    if len(raw) > MAX_SHEET_BYTES:
        return None, [Problem(path, 1, f"文件过大（{len(raw) // 1024} KB），评分表不应超过 {MAX_SHEET_BYTES // 1024} KB")]
    if b"\x00" in raw:
        return None, [Problem(path, raw[: raw.index(b'\x00')].count(b"\n") + 1, "文件含有 NUL 字节，不是文本格式的 CSV")]
    try:
        text = decode_sheet(raw)
    except ValueError as exc:
        return None, [Problem(path, 1, str(exc))]
    # Numbered as a spreadsheet numbers them: one number per record (a quoted cell may span
    # lines), blank rows skipped but counted, so every message names the row a person sees.
    rows = [(number, row) for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
            if any(cell.strip() for cell in row)]
    if not rows:
        return None, [Problem(path, 1, "文件为空：第一行应为表头（部门、各指标代码）")]
    return _check_rows(path, rows, spec, departments)


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def _check_rows(path: Path, rows: list[tuple[int, list[str]]], spec: EditionSpec,
                departments: dict[str, str]) -> tuple[ScoreSheet | None, list[Problem]]:
    problems: list[Problem] = []
    header_number, header_row = rows[0]
    header = [cell.strip() for cell in header_row]
    # Spreadsheet programs pad the used range: empty header cells name no column. Their cells
    # must stay empty too (checked per row below).
    while header and not header[-1]:
        header.pop()
    codes = {indicator.code: indicator for indicator in spec.indicators}
    where_header = f"第 {header_number} 行"
    if not header or header[0].lower() not in DEPARTMENT_COLUMNS:
        problems.append(Problem(path, header_number, f"{where_header} A 列：表头第一列应为“部门”或 department"))
    for index, name in enumerate(header[1:], start=1):
        if name and name not in codes and name.lower() not in RESPONSE_COLUMNS:
            problems.append(Problem(path, header_number,
                                    f"{where_header} {_column_name(index)} 列：未知的列“{name}”（应为指标代码或“部门回应”）"))
    for code in codes:
        if header.count(code) > 1:
            problems.append(Problem(path, header_number, f"{where_header}：指标列“{code}”出现了两次"))
        if code not in header:
            problems.append(Problem(path, header_number, f"{where_header}：缺少指标列“{code}”（{codes[code].name}）"))
    if problems:
        return None, problems

    by_name = {name: slug for slug, name in departments.items()}
    columns = {name: index for index, name in enumerate(header)}
    response_column = next((columns[name] for name in header if name.lower() in RESPONSE_COLUMNS), None)
    scores: dict[str, dict[str, Decimal]] = {}
    responses: dict[str, str] = {}
    for row_number, row in rows[1:]:
        padding = [index for index, cell in enumerate(row) if cell.strip() and (index >= len(header) or not header[index])]
        if padding:
            index = padding[0]
            problems.append(Problem(path, row_number, f"第 {row_number} 行 {_column_name(index)} 列：这一列没有表头，"
                                                      f"却填了“{row[index].strip()[:20]}”"))
            continue
        row = row[:len(header)] + [""] * (len(header) - len(row))
        name = row[0].strip()
        slug = name if name in departments else by_name.get(name)
        if slug is None:
            problems.append(Problem(path, row_number, f"第 {row_number} 行 A 列：未知部门“{name}”"))
            continue
        if slug in scores:
            problems.append(Problem(path, row_number, f"第 {row_number} 行 A 列：部门“{departments[slug]}”出现了两次"))
            continue
        row_scores = {}
        for code, indicator in codes.items():
            cell = row[columns[code]].strip()
            where = f"第 {row_number} 行 {_column_name(columns[code])} 列（{code} {indicator.name}）"
            try:
                value = _number(cell) if cell else None
            except FieldError as exc:
                problems.append(Problem(path, row_number, f"{where}：{exc}"))
                continue
            if value is None:
                problems.append(Problem(path, row_number, f"{where}：缺少分数"))
            elif value > indicator.maximum:
                problems.append(Problem(path, row_number, f"{where}：分数 {value} 超过满分 {indicator.maximum}"))
            else:
                row_scores[code] = value
        scores[slug] = row_scores
        if response_column is not None and row[response_column].strip():
            responses[slug] = row[response_column].strip()
    if len(rows) == 1:
        problems.append(Problem(path, header_number, "表中没有任何部门的分数"))
    if problems:
        return None, problems
    return ScoreSheet(scores=scores, responses=responses), []
