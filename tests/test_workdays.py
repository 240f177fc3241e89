"""The working-day calendar every deadline is counted on (the report desk's, and applications
for information's): published arrangements, and for a year not yet published, the statutory
holidays still skipped (lunar ones computed), with every deadline saying what it skipped."""
from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from portal.workdays import WorkdayCalendar, statutory_holidays


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_statutory_holidays_are_the_published_arrangements_days_off(year):
    # The 2025 revision of 《全国年节及纪念日放假办法》 applies from 2025: every day it fixes is a
    # day off in the State Council's arrangement (which adds bridge days and 调休 around them).
    for day, name in statutory_holidays(year).items():
        assert chinese_calendar.is_holiday(day), (day, name)


@pytest.mark.parametrize("year", range(2008, 2027))
def test_the_lunar_and_solar_term_holidays_are_computed_right(year):
    # 春节 初一–初三, 清明, 端午 and 中秋 were days off in every published year since 2008.
    computed = statutory_holidays(year)
    for name in ("清明节", "端午节", "中秋节"):
        (day,) = [d for d, n in computed.items() if n == name]
        assert chinese_calendar.get_holiday_detail(day)[0], (year, name, day)
    spring = sorted(d for d, n in computed.items() if n == "春节")
    assert all(chinese_calendar.is_holiday(day) for day in spring[1:])  # 初一 to 初三 (除夕 only since 2025)


def test_a_provisional_year_skips_spring_festival_and_says_so():
    # 2027: 除夕 is Friday 5 February, 初一 Saturday 6 February, 初三 Monday 8 February.
    deadline = WorkdayCalendar().add_working_days(dt.date(2027, 2, 4), 2)
    assert deadline.due_on == dt.date(2027, 2, 10) and deadline.provisional
    assert deadline.holidays == ((dt.date(2027, 2, 5), "春节"), (dt.date(2027, 2, 8), "春节"))


def test_a_deadline_lists_the_holidays_it_skipped_and_the_make_up_days_it_counted():
    deadline = WorkdayCalendar().add_working_days(dt.date(2026, 9, 30), 5)
    assert deadline.due_on == dt.date(2026, 10, 13) and not deadline.provisional
    assert [day for day, _ in deadline.holidays] == [dt.date(2026, 10, d) for d in (1, 2, 5, 6, 7)]
    assert {name for _, name in deadline.holidays} == {"国庆节"}
    assert deadline.make_up_days == (dt.date(2026, 10, 10),)
