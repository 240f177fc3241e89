"""Public statistics of reports: counts only, never content, and no cell small enough to point
at one case (counts of 1 or 2 are shown as "<3").

The figures are those of completed days only, computed once a day and stored
(StatisticsSnapshot): a figure that moved within a second of a submission would date it for
anyone polling the page, so nothing on it moves until the next midnight, and today never counts.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.clock import today
from portal.extensions import db
from portal.reports.models import Category, Report, StatisticsSnapshot, Status

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
    """Reports received before `on`, each as it stood at the end of the day before `on`: an
    answer or a conclusion given on `on` itself does not count yet."""
    for received_on, status, answered_on, concluded_on, due_on, category in db.session.execute(
        select(Report.received_on, Report.status, Report.answered_on, Report.concluded_on, Report.due_on,
               Report.category)
        .where(Report.received_on >= _first_month(on), Report.received_on < on)
    ):
        if answered_on is not None and answered_on >= on:
            status, answered_on = Status.REGISTERED.value, None
        elif concluded_on is not None and concluded_on >= on and status == Status.CONCLUDED.value:
            status = Status.ACCEPTED.value
        yield received_on, status, answered_on, due_on, category


def monthly(on: dt.date | None = None) -> list[tuple[str, Counts]]:
    """The last twelve months, newest first: (YYYY-MM, counts), as of the start of `on`."""
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
    """The last twelve months together, per category, as of the start of `on`."""
    on = on or today()
    categories: dict[str, Counts] = defaultdict(Counts)
    for received_on, status, answered_on, due_on, category in _rows(on):
        categories[category].add(status, received_on, answered_on, due_on, on)
    result = [(category, categories.get(category.value, Counts())) for category in Category]
    _hide_complements([counts for _, counts in result])
    return result


@dataclasses.dataclass
class Published:
    through: dt.date  # the last day counted
    monthly: list[tuple[str, Counts]]
    by_category: list[tuple[Category, Counts]]


_FIELDS = ("received", "accepted", "concluded", "answer_due", "answered_on_time")


def _dump(counts: Counts) -> dict:
    return {**{name: getattr(counts, name) for name in _FIELDS}, "hidden": sorted(counts.hidden)}


def _load(value: dict) -> Counts:
    return Counts(**{name: value[name] for name in _FIELDS}, hidden=set(value["hidden"]))


def published(on: dt.date | None = None) -> Published:
    """Today's published figures: the stored snapshot, made by the first visitor of the day."""
    on = on or today()
    snapshot = db.session.get(StatisticsSnapshot, on)
    if snapshot is None:
        figures = {
            "monthly": [[month, _dump(counts)] for month, counts in monthly(on)],
            "by_category": [[category.value, _dump(counts)] for category, counts in by_category(on)],
        }
        try:
            with db.session.begin_nested():
                db.session.add(StatisticsSnapshot(day=on, figures=figures))
            db.session.commit()
        except IntegrityError:  # another worker stored today's first
            db.session.rollback()
        snapshot = db.session.get(StatisticsSnapshot, on)
    figures = snapshot.figures
    return Published(
        through=on - dt.timedelta(days=1),
        monthly=[(month, _load(counts)) for month, counts in figures["monthly"]],
        by_category=[(Category(category), _load(counts)) for category, counts in figures["by_category"]],
    )
