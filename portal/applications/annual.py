"""Table 3 of the annual report on government information disclosure (国办公开办函〔2021〕30号):
applications received and how they were handled, by applicant type.

The year's applications are those received by its end and not finished before it began. Of
them, 一 counts those received in the year, 二 those carried over from earlier years, 三 those
finished in the year (by the answer's type and reason), 四 those still open at its end. The
template requires 一 + 二 = 三 + 四 in every column; `check` says where it does not.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import or_, select

from portal.applications import answers
from portal.applications.models import ORGANISATION_KINDS, AnnualFigures, Application
from portal.extensions import db

COLUMNS = ("natural", *ORGANISATION_KINDS, "total")
COLUMN_LABELS = {"natural": "自然人", **ORGANISATION_KINDS, "total": "总计"}
NEW, CARRIED_IN, RESULTS_TOTAL, CARRIED_OUT = "new", "carried_in", "results_total", "carried_out"


def result_rows() -> list[tuple[str, str, str]]:
    """(row key, printed label, indent level) for 三's sub-rows, in the template's order."""
    rows = [("already_published+disclosed", "（一）予以公开", 0), ("partly", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 0)]
    for code, title, reasons in (("withheld", "（三）不予公开", answers.WITHHELD), ("unable", "（四）无法提供", answers.UNABLE),
                                 ("not_processed", "（五）不予处理", answers.NOT_PROCESSED), ("other", "（六）其他处理", answers.OTHER)):
        rows.append((code, title, 0))
        rows.extend((f"{code}/{reason}", f"{n}. {label}", 1) for n, (reason, label) in enumerate(reasons.items(), 1))
    rows.append((RESULTS_TOTAL, "（七）总计", 0))
    return rows


@dataclasses.dataclass
class Table:
    year: int
    cells: dict[str, dict[str, int]]  # row key → column → count

    def row(self, key: str) -> dict[str, int]:
        return self.cells.setdefault(key, dict.fromkeys(COLUMNS, 0))

    def check(self) -> list[str]:
        """The columns where 一 + 二 ≠ 三 + 四, in words (empty when the table balances)."""
        return [
            f"{COLUMN_LABELS[column]}：一（{self.row(NEW)[column]}）+ 二（{self.row(CARRIED_IN)[column]}）≠ "
            f"三（{self.row(RESULTS_TOTAL)[column]}）+ 四（{self.row(CARRIED_OUT)[column]}）"
            for column in COLUMNS
            if self.row(NEW)[column] + self.row(CARRIED_IN)[column]
            != self.row(RESULTS_TOTAL)[column] + self.row(CARRIED_OUT)[column]
        ]


def _column(application: Application) -> str:
    return "natural" if application.applicant_type == "natural" else (application.organisation_kind or "other")


def table(year: int) -> Table:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    found = Table(year, {})
    for key in (NEW, CARRIED_IN, *(key for key, _, _ in result_rows()), CARRIED_OUT):
        found.row(key)
    applications = db.session.scalars(select(Application).where(
        Application.received_on <= end, or_(Application.answered_on.is_(None), Application.answered_on >= start)))
    for application in applications:
        column = _column(application)
        rows = [NEW if application.received_on >= start else CARRIED_IN]
        if application.answered_on is not None and application.answered_on <= end:
            kind = application.answer_type
            rows += [RESULTS_TOTAL, "already_published+disclosed" if kind in ("already_published", "disclosed") else kind]
            if application.answer_reason and kind != "partly":
                rows.append(f"{kind}/{application.answer_reason}")
        else:
            rows.append(CARRIED_OUT)
        for key in rows:
            found.row(key)[column] += 1
            found.row(key)["total"] += 1
    return found


def markdown(found: Table) -> str:
    """The table as Markdown, for the annual report's draft (an editor completes and publishes it)."""
    head = "| （本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | " + " | ".join(COLUMN_LABELS[c] for c in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]

    def line(label: str, key: str) -> None:
        lines.append(f"| {label} | " + " | ".join(str(found.row(key)[c]) for c in COLUMNS) + " |")

    line("一、本年新收政府信息公开申请数量", NEW)
    line("二、上年结转政府信息公开申请数量", CARRIED_IN)
    lines.append("| 三、本年度办理结果 |" + " |" * len(COLUMNS))
    for key, label, indent in result_rows():
        line(("　" * indent) + label, key)
    line("四、结转下年度继续办理", CARRIED_OUT)
    return "\n".join(lines) + "\n"


TABLE_4_COLUMNS = ("行政复议：结果维持", "结果纠正", "其他结果", "尚未审结", "总计",
                   "未经复议直接起诉：结果维持", "结果纠正", "其他结果", "尚未审结", "总计",
                   "复议后起诉：结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


def table_4_values(year: int) -> list[int] | None:
    stored = db.session.get(AnnualFigures, year)
    return stored.figures.get("table4") if stored else None


def store_table_4(year: int, raw: list[str]) -> None:
    """Store Table 4's 15 figures; ValueError (in Chinese) unless each is a whole number and each
    group's 总计 is the sum of its four results."""
    if len(raw) != len(TABLE_4_COLUMNS) or not all(v.strip().isascii() and v.strip().isdigit() and len(v.strip()) < 7
                                                   for v in raw):
        raise ValueError("第四表的每一格都应填写非负整数。")
    values = [int(v) for v in raw]
    for group in range(3):
        parts = values[group * 5:group * 5 + 4]
        if sum(parts) != values[group * 5 + 4]:
            raise ValueError(f"第四表第 {group + 1} 组的“总计”应等于前四项之和（{sum(parts)}）。")
    stored = db.session.get(AnnualFigures, year) or AnnualFigures(year=year, figures={})
    stored.figures = {**stored.figures, "table4": values}
    db.session.add(stored)
    db.session.commit()


def table_4(year: int) -> str:
    """Table 4 (行政复议、行政诉讼), as staff entered it, or blanks for the editor to fill in."""
    values = table_4_values(year) or ["（待填写）"] * len(TABLE_4_COLUMNS)
    return ("| " + " | ".join(TABLE_4_COLUMNS) + " |\n|" + "---|" * len(TABLE_4_COLUMNS) + "\n| "
            + " | ".join(str(v) for v in values) + " |\n")


def draft_report(found: Table, author):
    """The annual report disclosure (工作年度报告) as a draft by `author`, for an editor to complete
    (the other tables and the narrative) and a reviewer to publish through the disclosure review."""
    from portal.disclosures import publishing

    body = (f"# 梅州市应急管理局{found.year}年政府信息公开工作年度报告\n\n"
            "## 一、总体情况\n\n（待编辑补充）\n\n"
            "## 二、收到和处理政府信息公开申请情况\n\n" + markdown(found)
            + "\n## 三、政府信息公开行政复议、行政诉讼情况\n\n" + table_4(found.year)
            + "\n## 四、存在的主要问题及改进情况\n\n（待编辑补充）\n")
    form = {
        "slug": f"{found.year}-information-disclosure-annual-report",
        "title": f"梅州市应急管理局{found.year}年政府信息公开工作年度报告",
        "index_no": f"MZYJ-{found.year + 1}-NB", "publisher": "梅州市应急管理局", "topic": "政府信息公开年报",
        "disclosure_mode": "主动公开", "validity": "有效", "body": body,
    }
    return publishing.create_draft(form, author)
