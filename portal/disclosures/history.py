"""A disclosure's public history (修订记录): what a correction changed, in words a reader follows."""
from __future__ import annotations

import datetime as dt
import difflib

from portal.disclosures.vocabulary import MODE_LABELS, VALIDITY_LABELS

MAX_DIFF_LINES = 200
FIELD_LABELS = {
    "title": "标题",
    "index_no": "索引号",
    "doc_no": "文号",
    "publisher": "发布机构",
    "written_on": "成文日期",
    "published_on": "发布日期",
    "topic": "主题分类",
    "disclosure_mode": "公开方式",
    "validity": "有效性",
    "departments": "责任科室",
    "attachments": "附件",
    "demo": "示例标记",
}


def display_values(values: dict) -> dict[str, str]:
    """Field values as the public page shows them."""
    shown = {}
    for field in FIELD_LABELS:
        value = values.get(field)
        if field == "disclosure_mode":
            value = MODE_LABELS.get(value, value)
        elif field == "validity":
            value = VALIDITY_LABELS.get(value, value)
        elif field == "demo":
            value = "是" if value else "否"
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, (list, tuple)):
            value = "、".join(value)
        shown[field] = value or "—"
    return shown


def describe_changes(before: dict, after: dict) -> list[dict]:
    """The changed fields between two sets of values (see display_values), then the body's diff."""
    shown_before, shown_after = display_values(before), display_values(after)
    changes = [
        {"field": field, "label": label, "before": shown_before[field], "after": shown_after[field]}
        for field, label in FIELD_LABELS.items()
        if shown_before[field] != shown_after[field]
    ]
    if before.get("body", "").strip() != after.get("body", "").strip():
        diff = list(difflib.unified_diff(
            before.get("body", "").strip().splitlines(), after.get("body", "").strip().splitlines(),
            lineterm="", n=1,
        ))[2:]  # without the ---/+++ file header
        # Hunk headers (@@ -2,3 +2,3 @@) mean nothing to a reader: a gap between changed parts.
        diff = ["…" if line.startswith("@@") else line for line in diff if line.strip() or line[:1] in "+-"]
        truncated = len(diff) > MAX_DIFF_LINES
        changes.append({
            "field": "body", "label": "正文",
            "diff": diff[:MAX_DIFF_LINES] + (["…（以下差异从略）"] if truncated else []),
        })
    return changes
