"""The year's figures, public: applications received this year by state and by answer type, and
how many answers came within the lawful time. Counts only; demo applications left out."""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt

from sqlalchemy import select

from portal.applications import answers
from portal.applications.models import Application, Status
from portal.applications.services import clock_of
from portal.clock import today
from portal.extensions import db


@dataclasses.dataclass
class Figures:
    received: int
    by_status: list[tuple[str, int]]
    by_answer: list[tuple[str, int]]
    on_time: int
    late: int


def current(year: int) -> Figures:
    """The year's figures through yesterday: today's applications are counted once the day is
    over, so the page cannot be watched for the moment one arrives (the reports' day rule)."""
    applications = list(db.session.scalars(select(Application).where(
        Application.received_on >= dt.date(year, 1, 1), Application.received_on <= dt.date(year, 12, 31),
        Application.received_on < today(), Application.demo.is_(False))))
    statuses = collections.Counter(a.status for a in applications)
    kinds = collections.Counter(a.answer_type for a in applications if a.answer_type)
    on_time = late = 0
    for application in applications:
        if application.status == Status.ANSWERED.value:
            # The due date is cleared once answered: the clock says what it was.
            due = clock_of(application).answer.due_on
            if due is not None and application.answered_on > due:
                late += 1
            else:
                on_time += 1
    return Figures(
        received=len(applications),
        by_status=[(status.label, statuses.get(status.value, 0)) for status in Status],
        by_answer=[(kind.label, kinds.get(kind.code, 0)) for kind in answers.TYPES],
        on_time=on_time, late=late,
    )
