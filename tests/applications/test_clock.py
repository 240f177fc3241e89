"""The law's clock in working days, against dates worked out by hand from the State Council's
2026 holiday notice (国办发明电〔2025〕7号): 春节 15–23 February with 14 and 28 February worked;
劳动节 1–5 May with 9 May worked; 中秋 25–27 September; 国庆 1–7 October with 20 September and
10 October worked."""
from __future__ import annotations

import datetime as dt

import pytest

from portal.applications.clock import Pause, clock, count, received_on, working_days_between

D = dt.date


@pytest.mark.parametrize("received, due, make_up", [
    # Friday 6 Feb: 9–13 Feb (5), Sat 14 Feb (6), 24–27 Feb (10), Sat 28 Feb (11), 2–6 Mar (16), 9–12 Mar (20).
    (D(2026, 2, 6), D(2026, 3, 12), (D(2026, 2, 14), D(2026, 2, 28))),
    # Thursday 23 Apr: 24 Apr (1), 27–30 Apr (5), 6–8 May (8), Sat 9 May (9), 11–15 May (14), 18–22 May (19), 25 May.
    (D(2026, 4, 23), D(2026, 5, 25), (D(2026, 5, 9),)),
    # Thursday 17 Sep: 18 Sep (1), Sun 20 Sep (2), 21–24 Sep (6), 28–30 Sep (9), 8–9 Oct (11), Sat 10 Oct (12),
    # 12–16 Oct (17), 19–21 Oct (20).
    (D(2026, 9, 17), D(2026, 10, 21), (D(2026, 9, 20), D(2026, 10, 10))),
])
def test_the_answer_is_due_twenty_working_days_after_receipt(received, due, make_up):
    answer = clock(received).answer
    assert answer.due_on == due and not answer.provisional
    assert answer.make_up_days == make_up
    assert answer.holidays and all(day.weekday() < 5 for day, _ in answer.holidays)


def test_the_holidays_counted_are_named():
    answer = clock(D(2026, 9, 17)).answer
    assert [day for day, name in answer.holidays if name == "中秋节"] == [D(2026, 9, 25)]
    assert [day for day, name in answer.holidays if name == "国庆节"] == [D(2026, 10, d) for d in (1, 2, 5, 6, 7)]


@pytest.mark.parametrize("channel, sent, received", [
    ("online", D(2026, 2, 15), D(2026, 2, 24)),  # sent during 春节: received on the first working day after
    ("online", D(2026, 2, 14), D(2026, 2, 14)),  # a Saturday that is a make-up working day
    ("online", D(2026, 3, 7), D(2026, 3, 9)),  # an ordinary Saturday
    ("online", D(2026, 3, 9), D(2026, 3, 9)),
    ("post", D(2026, 3, 7), D(2026, 3, 7)),  # by post: the day signed for, whatever it is
    ("in_person", D(2026, 3, 10), D(2026, 3, 10)),
])
def test_the_day_of_receipt_follows_article_31(channel, sent, received):
    assert received_on(channel, sent) == received


def test_a_correction_restarts_the_clock_from_the_corrected_application():
    first = clock(D(2026, 3, 2))
    assert first.correction_request_by == D(2026, 3, 11)  # 7 working days after receipt
    corrected = clock(D(2026, 3, 2), corrected_on=D(2026, 3, 20))
    assert corrected.starts_on == D(2026, 3, 20)
    # 20 working days after Friday 20 Mar: 23 Mar … 17 Apr is 20 days, but 清明 (Mon 6 Apr) is off.
    assert corrected.answer.due_on == D(2026, 4, 20)
    assert corrected.correction_request_by == first.correction_request_by  # asked once, from the first receipt


def test_an_extension_adds_working_days_after_the_first_due_date():
    plain, extended = clock(D(2026, 4, 23)), clock(D(2026, 4, 23), extension_days=20)
    assert plain.answer.due_on == D(2026, 5, 25)
    # 26 May … 18 Jun is 18 working days, 端午 (Fri 19 Jun) is off: the 19th is 22 Jun, the 20th Tue 23 Jun.
    assert extended.answer.due_on == D(2026, 6, 23)


def test_a_pause_stops_the_clock_and_its_days_are_listed():
    pause = Pause(D(2026, 3, 4), D(2026, 3, 10))  # a third party consulted on Wed 4 Mar, replied Tue 10 Mar
    answer = clock(D(2026, 3, 2), pauses=(pause,)).answer
    assert answer.paused_days == (D(2026, 3, 5), D(2026, 3, 6), D(2026, 3, 9), D(2026, 3, 10))
    assert clock(D(2026, 3, 2)).answer.due_on == D(2026, 3, 30)
    assert answer.due_on == D(2026, 4, 3)  # four working days later
    running = clock(D(2026, 3, 2), pauses=(Pause(D(2026, 3, 4), None),)).answer
    assert running.due_on is None  # stopped: no due date, never overdue


def test_days_waited_leave_out_holidays_and_pauses():
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 9)) == 2  # 8 and 9 Oct
    assert working_days_between(D(2026, 3, 2), D(2026, 3, 13), (Pause(D(2026, 3, 4), D(2026, 3, 10)),)) == 5


def test_a_provisional_year_is_marked():
    answer = count(D(2026, 12, 20), 20)
    assert answer.provisional and (D(2027, 1, 1), "元旦") in answer.holidays
