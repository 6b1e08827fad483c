"""The case clock: due dates on the working-day calendar, pauses, and the time state.

A limit runs from the day it starts (that day not counted) in the item's unit:
- working days: the n-th working day after the start (《行政许可法》第八十二条);
- natural days: n days later, moved to the next working day when that is a rest day;
- working hours: rounded up to whole working days of 8 hours.
A pause (special procedure) adds the days it lasted, counted in the same unit, to the limit.

When the due date falls in a year whose calendar is not yet published, the due date is unknown
(`None`, time state "待定") until that year is published — never a guess.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.utils import timezone

from onewindow.calendar.errors import CalendarYearMissing
from onewindow.calendar.selectors import get_calendar

from .choices import TimeState

WORKING_DAYS = "working_days"
NATURAL_DAYS = "natural_days"
WORKING_HOURS = "working_hours"
HOURS_PER_DAY = 8


_simulated: ContextVar[dt.date | None] = ContextVar("onewindow_simulated_day", default=None)


def today() -> dt.date:
    """The service-centre's today: the real date, or the simulated one inside `simulate(day)`
    (the demo replays a year of history through the services; tests also replace this)."""
    return _simulated.get() or timezone.localdate()


@contextmanager
def simulate(day: dt.date) -> Iterator[None]:
    token = _simulated.set(day)
    try:
        yield
    finally:
        _simulated.reset(token)


def now() -> dt.datetime:
    """The current moment on `today()`: the real time, or — when `today` is simulated (tests,
    the demo's year of history) — that day at the present time of day."""
    real = timezone.localtime()
    day = today()
    if day == real.date():
        return timezone.now()
    return real.replace(year=day.year, month=day.month, day=day.day)


def days_of(limit: int, unit: str) -> int:
    """The limit as a count in the clock's counting unit (working days or natural days)."""
    if unit == WORKING_HOURS:
        return math.ceil(limit / HOURS_PER_DAY)
    return limit


def due_date(start: dt.date, limit: int, unit: str, paused: int = 0) -> dt.date | None:
    calendar = get_calendar()
    n = days_of(limit, unit) + paused
    try:
        if unit == NATURAL_DAYS:
            return calendar.natural_deadline(start, n)
        return calendar.add_working_days(start, n)
    except CalendarYearMissing:
        return None


def elapsed(start: dt.date, end: dt.date, unit: str) -> int:
    """Days of the clock's unit in (start, end]."""
    if unit == NATURAL_DAYS:
        return (end - start).days
    try:
        return get_calendar().count_working_days(start, end)
    except CalendarYearMissing:
        return (end - start).days


def remaining(due: dt.date, on: dt.date) -> int:
    """Working days left until `due` (negative when past it)."""
    try:
        return get_calendar().count_working_days(on, due)
    except CalendarYearMissing:
        return (due - on).days


def time_state(due: dt.date | None, limit_days: int, on: dt.date | None = None) -> str:
    """normal → warning → overdue. Warning when at most ONEWINDOW_WARNING_DAYS working days or
    ONEWINDOW_WARNING_FRACTION of the limit are left."""
    if due is None:
        return TimeState.PENDING
    on = on or today()
    if on > due:
        return TimeState.OVERDUE
    left = remaining(due, on)
    threshold = max(
        settings.ONEWINDOW_WARNING_DAYS,
        math.ceil(limit_days * settings.ONEWINDOW_WARNING_FRACTION),
    )
    return TimeState.WARNING if left <= threshold else TimeState.NORMAL
