"""Chinese working days: the State Council's holidays and 调休 make-up working days, for every
deadline the portal counts (the report desk's, and applications for information's).

chinese-calendar knows each year's arrangement once it is published (1.11 knows 2004–2026). A
year it does not know is read from data/workdays.yaml, where a maintainer adds the arrangement
when the State Council publishes it. A year in neither is provisional: the statutory holidays
of 《全国年节及纪念日放假办法》 (2025 revision) are still skipped — 元旦 1 January, 春节 除夕 to
正月初三, 清明 (the solar term), 劳动节 1–2 May, 端午 (五月初五), 中秋 (八月十五), 国庆 1–3 October,
the lunar dates computed with lunardate — but weekends are taken as they fall (the year's 调休 is
not known yet), and every deadline counted through such a year is marked provisional.

Each deadline says which holidays it skipped and which make-up days it counted, so a page can
show how it was reached.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from pathlib import Path

import chinese_calendar
import yaml
from lunardate import LunarDate

DATA_FILE = Path(__file__).parent / "data" / "workdays.yaml"
HOLIDAY_NAMES = {  # chinese-calendar's names → how a page names them
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "Mid-autumn Festival": "中秋节", "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争胜利纪念日",
}


@dataclasses.dataclass(frozen=True)
class Deadline:
    due_on: dt.date
    provisional: bool  # some day on the way was in a year whose arrangement is not published
    holidays: tuple[tuple[dt.date, str], ...] = ()  # weekdays skipped as holidays, with their names
    make_up_days: tuple[dt.date, ...] = ()  # weekend days counted as working days (调休)


@dataclasses.dataclass(frozen=True)
class YearArrangement:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]  # weekend days that are working days (调休)


@dataclasses.dataclass(frozen=True)
class Day:
    working: bool
    known: bool  # from a published arrangement (else provisional)
    holiday: str = ""  # the holiday's name, when it is one


def _lunar(year: int, month: int, day: int) -> dt.date:
    return LunarDate(year, month, day).to_solar_date()


@functools.cache
def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The days off the law fixes for `year`, before the State Council's 调休 arrangement."""
    days = {dt.date(year, 1, 1): "元旦", dt.date(year, 5, 1): "劳动节", dt.date(year, 5, 2): "劳动节"}
    days.update({dt.date(year, 10, d): "国庆节" for d in (1, 2, 3)})
    new_year = _lunar(year, 1, 1)
    days.update({new_year + dt.timedelta(days=offset): "春节" for offset in (-1, 0, 1, 2)})  # 除夕 to 初三
    y = year % 100  # 清明: the solar term's day, by the 寿星 formula for the 21st century
    days[dt.date(year, 4, int(y * 0.2422 + 4.81) - y // 4)] = "清明节"
    days[_lunar(year, 5, 5)] = "端午节"
    days[_lunar(year, 8, 15)] = "中秋节"
    return days


class WorkdayCalendar:
    def __init__(self, extra_years: dict[int, YearArrangement] | None = None):
        self.extra_years = extra_years or {}

    def day(self, day: dt.date) -> Day:
        arrangement = self.extra_years.get(day.year)
        if arrangement is not None:
            if day in arrangement.holidays:
                return Day(False, True, statutory_holidays(day.year).get(day, "节假日"))
            if day in arrangement.workdays:
                return Day(True, True)
            return Day(day.weekday() < 5, True)
        try:
            working = chinese_calendar.is_workday(day)
            _, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            name = statutory_holidays(day.year).get(day, "")
            return Day(day.weekday() < 5 and not name, False, name)
        return Day(working, True, HOLIDAY_NAMES.get(name, name or "") if not working else "")

    def is_workday(self, day: dt.date) -> tuple[bool, bool]:
        """(is a working day, known from a published arrangement)."""
        found = self.day(day)
        return found.working, found.known

    def add_working_days(self, start: dt.date, days: int) -> Deadline:
        """The date `days` working days after `start` (the day of receipt does not count), with
        the holidays it skipped and the make-up days it counted."""
        day, counted, provisional = start, 0, False
        holidays, make_up = [], []
        while counted < days:
            day += dt.timedelta(days=1)
            found = self.day(day)
            provisional |= not found.known
            if found.working:
                counted += 1
                if day.weekday() >= 5:
                    make_up.append(day)
            elif day.weekday() < 5:
                holidays.append((day, found.holiday or "节假日"))
        return Deadline(day, provisional, tuple(holidays), tuple(make_up))


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
