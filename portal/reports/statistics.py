"""Public statistics of reports: counts only, never content, and no cell small enough to point
at one case (counts of 1 or 2 are shown as "<3")."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from portal.disclosures.history import today
from portal.extensions import db
from portal.reports.models import Category, Report, Status

SUPPRESS_BELOW = 3
COUNTED = ("received", "accepted", "concluded")
MONTHS = 12
_ACCEPTED = {Status.ACCEPTED.value, Status.TRANSFERRED.value, Status.CONCLUDED.value}


@dataclasses.dataclass
class Counts:
    received: int = 0
    accepted: int = 0
    concluded: int = 0
    answer_due: int = 0  # answered, or past the deadline without an answer
    answered_on_time: int = 0
    hidden: set[str] = dataclasses.field(default_factory=set)  # secondary suppression

    def add(self, status: str, received_on: dt.date, answered_on: dt.date | None, due_on: dt.date, on: dt.date):
        self.received += 1
        self.accepted += status in _ACCEPTED
        self.concluded += status == Status.CONCLUDED.value
        if answered_on is not None or due_on < on:
            self.answer_due += 1
            self.answered_on_time += answered_on is not None and answered_on <= due_on

    def shown(self, name: str) -> str:
        return "*" if name in self.hidden else suppressed(getattr(self, name))

    @property
    def on_time_share(self) -> str:
        if self.answer_due < SUPPRESS_BELOW:
            return "—"
        return f"{100 * self.answered_on_time / self.answer_due:.0f}%"


def suppressed(count: int) -> str:
    return f"<{SUPPRESS_BELOW}" if 0 < count < SUPPRESS_BELOW else str(count)


def _hide_complements(rows: list[Counts]) -> None:
    """Secondary suppression: a column with exactly one "<3" cell would give it away to anyone
    subtracting the others from the column's total (the two tables share their totals), so the
    smallest other non-zero cell of that column is hidden too."""
    for name in COUNTED:
        small = [row for row in rows if 0 < getattr(row, name) < SUPPRESS_BELOW]
        if len(small) != 1:
            continue
        others = [row for row in rows if getattr(row, name) >= SUPPRESS_BELOW]
        if others:
            min(others, key=lambda row: getattr(row, name)).hidden.add(name)


def _first_month(on: dt.date) -> dt.date:
    year, month = on.year, on.month - (MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, 1)


def _rows(on: dt.date):
    return db.session.execute(
        select(Report.received_on, Report.status, Report.answered_on, Report.due_on, Report.category)
        .where(Report.received_on >= _first_month(on))
    )


def monthly(on: dt.date | None = None) -> list[tuple[str, Counts]]:
    """The last twelve months, newest first: (YYYY-MM, counts)."""
    on = on or today()
    months: dict[str, Counts] = defaultdict(Counts)
    for received_on, status, answered_on, due_on, _category in _rows(on):
        months[received_on.strftime("%Y-%m")].add(status, received_on, answered_on, due_on, on)
    result, month = [], _first_month(on)
    while month <= on:
        result.append((month.strftime("%Y-%m"), months.get(month.strftime("%Y-%m"), Counts())))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    _hide_complements([counts for _, counts in result])
    return result[::-1]


def by_category(on: dt.date | None = None) -> list[tuple[Category, Counts]]:
    """The last twelve months together, per category."""
    on = on or today()
    categories: dict[str, Counts] = defaultdict(Counts)
    for received_on, status, answered_on, due_on, category in _rows(on):
        categories[category].add(status, received_on, answered_on, due_on, on)
    result = [(category, categories.get(category.value, Counts())) for category in Category]
    _hide_complements([counts for _, counts in result])
    return result
