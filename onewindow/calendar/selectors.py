"""Reads of the working-day calendar, and the process-wide `WorkingCalendar` every deadline uses.

`get_calendar()` builds the calendar from the database once per process and keeps it. At most
every `CHECK_SECONDS` it compares a cheap version stamp of the published years (count, first and
last year, latest publication time) and rebuilds when another process has published or replaced
a year; in this process `calendar_year_publish` clears it as soon as its transaction commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from django.db.models import Count, Max, Min, QuerySet
from django.utils import timezone

from . import schedule
from .arithmetic import WorkingCalendar
from .errors import CalendarYearMissing
from .models import CalendarDay, CalendarYear

logger = logging.getLogger(__name__)

CHECK_SECONDS = 30.0


@dataclass
class _Cached:
    calendar: WorkingCalendar
    stamp: tuple[object, ...]
    checked_at: float


_cache: _Cached | None = None
_lock = threading.Lock()


def calendar_stamp() -> tuple[object, ...]:
    """Changes whenever a year is published or replaced (one aggregate over a few dozen rows)."""
    agg = CalendarYear.objects.aggregate(
        n=Count("id"), first=Min("year"), last=Max("year"), at=Max("published_at")
    )
    return (agg["n"], agg["first"], agg["last"], agg["at"])


def _covered_years(years: list[int]) -> range:
    """The contiguous run of published years that ends with the latest one."""
    if not years:
        return range(0)
    first = last = years[-1]
    published = set(years)
    while first - 1 in published:
        first -= 1
    if first != years[0]:
        logger.warning("工作日历年度不连续：仅使用 %s–%s 年，更早的年度按未发布处理", first, last)
    return range(first, last + 1)


def build_calendar() -> WorkingCalendar:
    """A fresh `WorkingCalendar` from the database (uncached)."""
    years = _covered_years(sorted(CalendarYear.objects.values_list("year", flat=True)))
    if not years:
        return WorkingCalendar(years, ())
    workdays = CalendarDay.objects.filter(
        is_workday=True,
        date__gte=dt.date(years.start, 1, 1),
        date__lte=dt.date(years.stop - 1, 12, 31),
    ).values_list("date", flat=True)
    return WorkingCalendar(years, workdays)


def get_calendar() -> WorkingCalendar:
    """The process-wide calendar: cached, rechecked at most every `CHECK_SECONDS`."""
    global _cache
    now = time.monotonic()
    cached = _cache
    if cached is not None and now - cached.checked_at < CHECK_SECONDS:
        return cached.calendar
    with _lock:
        cached = _cache
        if cached is not None and now - cached.checked_at < CHECK_SECONDS:
            return cached.calendar
        stamp = calendar_stamp()  # before building: a publish in between only causes a rebuild
        if cached is not None and cached.stamp == stamp:
            cached.checked_at = now
            return cached.calendar
        calendar = build_calendar()
        _cache = _Cached(calendar, stamp, now)
        return calendar


def clear_calendar_cache() -> None:
    global _cache
    _cache = None


# -- deadline arithmetic on the published calendar (see arithmetic.py for the rules) ------------


def add_working_days(start: dt.date, n: int) -> dt.date:
    return get_calendar().add_working_days(start, n)


def count_working_days(start: dt.date, end: dt.date) -> int:
    return get_calendar().count_working_days(start, end)


def next_working_day(day: dt.date) -> dt.date:
    return get_calendar().next_working_day(day)


def is_working_day(day: dt.date) -> bool:
    return get_calendar().is_working_day(day)


def add_natural_days(start: dt.date, n: int, *, roll_forward: bool = False) -> dt.date:
    return get_calendar().add_natural_days(start, n, roll_forward=roll_forward)


def natural_deadline(start: dt.date, n: int) -> dt.date:
    return get_calendar().natural_deadline(start, n)


# -- published years and their days --------------------------------------------------------------


def published_years() -> QuerySet[CalendarYear]:
    return CalendarYear.objects.select_related("published_by").order_by("year")


def calendar_year_get(year: int) -> CalendarYear:
    found = published_years().filter(year=year).first()
    if found is None:
        raise CalendarYearMissing(year)
    return found


def next_year_to_publish() -> int:
    last = CalendarYear.objects.aggregate(last=Max("year"))["last"]
    return (last + 1) if last is not None else timezone.localdate().year


def year_days(year: int) -> list[schedule.Day]:
    """Every stored day of `year` in order (empty when the year is not published)."""
    return [
        schedule.Day(d, kind, name)
        for d, kind, name in CalendarDay.objects.filter(calendar_year__year=year)
        .order_by("date")
        .values_list("date", "kind", "name")
    ]


def workday_count(year: int) -> int:
    return CalendarDay.objects.filter(calendar_year__year=year, is_workday=True).count()


def special_days(year: int) -> list[schedule.Day]:
    """The days of `year` that are not ordinary: holidays and make-up working days."""
    return [
        schedule.Day(d, kind, name)
        for d, kind, name in CalendarDay.objects.filter(
            calendar_year__year=year, kind__in=[schedule.HOLIDAY, schedule.MAKEUP_WORKDAY]
        )
        .order_by("date")
        .values_list("date", "kind", "name")
    ]


def year_schedule(
    year: int,
) -> tuple[list[schedule.HolidayRange], list[schedule.MakeupDay]]:
    """A published year as its notice states it: holiday ranges and make-up working days."""
    days = special_days(year)
    makeup = [schedule.MakeupDay(d.date, d.name) for d in days if d.kind == schedule.MAKEUP_WORKDAY]
    return schedule.holiday_periods(days), makeup
