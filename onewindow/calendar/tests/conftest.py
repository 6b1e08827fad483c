"""Fixtures of the calendar tests: the package's calendar, built two independent ways."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import chinese_calendar
import pytest
from chinese_calendar import constants

from onewindow.calendar import schedule, selectors
from onewindow.calendar.arithmetic import WorkingCalendar

FIRST = dt.date(2004, 1, 1)
LAST = dt.date(2026, 12, 31)
YEARS = range(2004, 2027)


def every_day(first: dt.date = FIRST, last: dt.date = LAST) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.fixture(scope="session")
def reference_workdays() -> list[dt.date]:
    """The naive answer: every working day, sorted, from chinese_calendar.is_workday."""
    return [d for d in every_day() if chinese_calendar.is_workday(d)]


def package_year(year: int) -> list[schedule.Day]:
    """A year from the package's tables, through our own classification (schedule.year_days)."""
    holidays = [
        schedule.HolidayRange(d, d, name)
        for d, name in constants.holidays.items()
        if d.year == year
    ]
    makeup = [
        schedule.MakeupDay(d, name) for d, name in constants.workdays.items() if d.year == year
    ]
    return schedule.year_days(year, holidays, makeup)


@pytest.fixture(scope="session")
def package_calendar() -> WorkingCalendar:
    """Our WorkingCalendar, built from the package's holiday and make-up tables."""
    return WorkingCalendar(
        YEARS, [day.date for year in YEARS for day in package_year(year) if day.is_workday]
    )


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    # A test's rolled-back publication must not stay in the process-wide cache.
    selectors.clear_calendar_cache()
    yield
    selectors.clear_calendar_cache()
