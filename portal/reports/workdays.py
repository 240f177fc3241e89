"""Chinese working days: the State Council's holidays and 调休 make-up working days.

chinese-calendar knows each year's arrangement once it is published (1.11 knows 2004–2026). A
year it does not know is read from data/workdays.yaml, where a maintainer adds the arrangement
when the State Council publishes it; a year in neither falls back to Monday–Friday, and every
deadline computed through such a year is marked provisional.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from pathlib import Path

import chinese_calendar
import yaml

DATA_FILE = Path(__file__).parent / "data" / "workdays.yaml"


@dataclasses.dataclass(frozen=True)
class Deadline:
    due_on: dt.date
    provisional: bool  # some day on the way was guessed as Monday–Friday


@dataclasses.dataclass(frozen=True)
class YearArrangement:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]  # weekend days that are working days (调休)


class WorkdayCalendar:
    def __init__(self, extra_years: dict[int, YearArrangement] | None = None):
        self.extra_years = extra_years or {}

    def is_workday(self, day: dt.date) -> tuple[bool, bool]:
        """(is a working day, known from a published arrangement)."""
        arrangement = self.extra_years.get(day.year)
        if arrangement is not None:
            if day in arrangement.holidays:
                return False, True
            if day in arrangement.workdays:
                return True, True
            return day.weekday() < 5, True
        try:
            return chinese_calendar.is_workday(day), True
        except NotImplementedError:
            return day.weekday() < 5, False

    def add_working_days(self, start: dt.date, days: int) -> Deadline:
        """The date `days` working days after `start` (the day of receipt does not count)."""
        day, counted, provisional = start, 0, False
        while counted < days:
            day += dt.timedelta(days=1)
            working, known = self.is_workday(day)
            provisional |= not known
            counted += working
        return Deadline(day, provisional)


def load_arrangements(path: Path = DATA_FILE) -> dict[int, YearArrangement]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    years = {}
    for year, entry in (raw or {}).items():
        entry = entry or {}
        years[int(year)] = YearArrangement(
            holidays=frozenset(_dates(entry.get("holidays"))),
            workdays=frozenset(_dates(entry.get("workdays"))),
        )
    return years


def _dates(values) -> list[dt.date]:
    return [value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)) for value in values or []]


@functools.cache
def calendar() -> WorkdayCalendar:
    return WorkdayCalendar(load_arrangements())
