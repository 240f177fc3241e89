"""The law's clock for an application, in working days (政府信息公开条例, 2019).

Pure functions over dates: no database, no request. services.py records what happened (the
application's events) and asks this module what follows from it.

The rules, and what the law left to us (marked "decided"):
- The day of receipt (Art. 31): in person, the day submitted; by post, the day signed for; online,
  the day both sides confirm — decided: the day sent when it is a working day, else the next
  working day (nobody at the bureau confirms on a holiday). The day of receipt does not count.
- The answer is due 20 working days after receipt (Art. 33). One extension of at most 20 more,
  approved by the head of the disclosure office, decided before the answer falls due.
- 补正 (Art. 30): asked once, within 7 working days of receipt; the period given to the applicant
  is decided here as 15 working days by default (the law says "合理的补正期限"). The clock starts
  again from the day the corrected application is received; no correction in time → 视为放弃.
- Consultation of a third party (Art. 32) or of other bodies (Art. 34), and the time between a fee
  notice and payment (国办函〔2020〕109号), do not count: each such pause runs from the day it began
  to the day it ended; the working days after its first day up to and including its last are
  skipped (decided: the day a reply arrives is the reply's, like a day of receipt).
- Overdue: not answered, no pause or 补正 running, and today is after the due date (extension and
  pauses included). An application paused or waiting for 补正 is never flagged.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from portal.workdays import WorkdayCalendar, calendar

ANSWER_DAYS = 20
MAX_EXTENSION_DAYS = 20
CORRECTION_REQUEST_WITHIN = 7
DEFAULT_CORRECTION_PERIOD = 15
THIRD_PARTY_DAYS = 15  # Art. 32: a third party has 15 working days to give its view
FEE_PAYMENT_DAYS = 20  # 国办函〔2020〕109号: pay within 20 working days of the notice


@dataclasses.dataclass(frozen=True)
class Pause:
    started_on: dt.date
    ended_on: dt.date | None  # None: still running

    def covers(self, day: dt.date) -> bool:
        return day > self.started_on and (self.ended_on is None or day <= self.ended_on)


@dataclasses.dataclass(frozen=True)
class Count:
    """A deadline counted day by day, with how it was reached (for the click-through list)."""

    due_on: dt.date | None  # None while a pause is running: the clock is stopped
    provisional: bool
    holidays: tuple[tuple[dt.date, str], ...] = ()  # weekdays skipped as holidays
    make_up_days: tuple[dt.date, ...] = ()  # weekend days counted (调休)
    paused_days: tuple[dt.date, ...] = ()  # working days not counted because the clock was paused


def received_on(channel: str, sent_on: dt.date, cal: WorkdayCalendar | None = None) -> dt.date:
    """The day of receipt under Art. 31 for an application sent (or signed for) on `sent_on`."""
    if channel != "online":
        return sent_on
    cal = cal or calendar()
    day = sent_on
    while not cal.day(day).working:
        day += dt.timedelta(days=1)
    return day


def count(start: dt.date, days: int, pauses: tuple[Pause, ...] = (), cal: WorkdayCalendar | None = None) -> Count:
    """`days` working days after `start`, skipping the days inside pauses."""
    cal = cal or calendar()
    if any(pause.ended_on is None for pause in pauses):
        return Count(None, False)
    day, counted, provisional = start, 0, False
    holidays, make_up, paused = [], [], []
    while counted < days:
        day += dt.timedelta(days=1)
        found = cal.day(day)
        provisional |= not found.known
        if not found.working:
            if day.weekday() < 5:
                holidays.append((day, found.holiday or "节假日"))
            continue
        if any(pause.covers(day) for pause in pauses):
            paused.append(day)
            continue
        counted += 1
        if day.weekday() >= 5:
            make_up.append(day)
    return Count(day, provisional, tuple(holidays), tuple(make_up), tuple(paused))


def working_days_between(start: dt.date, end: dt.date, pauses: tuple[Pause, ...] = (),
                         cal: WorkdayCalendar | None = None) -> int:
    """Working days after `start` up to and including `end`, pauses left out: the days waited."""
    cal = cal or calendar()
    day, counted = start, 0
    while day < end:
        day += dt.timedelta(days=1)
        if cal.day(day).working and not any(pause.covers(day) for pause in pauses):
            counted += 1
    return counted


@dataclasses.dataclass(frozen=True)
class Clock:
    """What an application's events mean for its deadlines."""

    starts_on: dt.date  # receipt, or receipt of the corrected application
    answer: Count  # the answer's due date (extension and pauses included)
    correction_request_by: dt.date  # the last day a 补正 may be asked for
    extension_days: int


def clock(received: dt.date, *, corrected_on: dt.date | None = None, extension_days: int = 0,
          pauses: tuple[Pause, ...] = (), cal: WorkdayCalendar | None = None) -> Clock:
    cal = cal or calendar()
    starts = corrected_on or received
    return Clock(
        starts_on=starts,
        answer=count(starts, ANSWER_DAYS + extension_days, pauses, cal),
        correction_request_by=cal.add_working_days(received, CORRECTION_REQUEST_WITHIN).due_on,
        extension_days=extension_days,
    )


def is_overdue(due_on: dt.date | None, today: dt.date) -> bool:
    return due_on is not None and today > due_on
