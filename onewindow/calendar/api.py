"""Working-day calendar endpoints: public reference data, no sign-in.

Dates are YYYY-MM-DD. Every error has the API's one shape (see onewindow.api.router); a date in a
year whose calendar is not published gives 422 with code `calendar_year_missing`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from onewindow.api.schemas import ErrorOut
from onewindow.core.errors import InvalidInput

from . import schedule, selectors
from .errors import CalendarYearMissing

router = Router(tags=["工作日历"])

MAX_DAYS = 3650
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_only(value: object) -> object:
    # Pydantic also reads numbers as Unix timestamps; a deadline's start must be a plain date.
    if not (isinstance(value, str) and _ISO_DATE.fullmatch(value)) and not isinstance(
        value, dt.date
    ):
        raise PydanticCustomError("date_parsing", "Input should be a date in the form YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]
Start = Annotated[IsoDate, Query(..., description="起算日，YYYY-MM-DD（当天不计入）")]
End = Annotated[IsoDate, Query(..., description="截止日，YYYY-MM-DD（当天计入）")]
Days = Annotated[int, Query(..., ge=0, le=MAX_DAYS, description=f"天数，0–{MAX_DAYS}")]


class AddWorkingDaysOut(Schema):
    start: dt.date
    days: int
    date: dt.date


class CountWorkingDaysOut(Schema):
    start: dt.date
    end: dt.date
    working_days: int


class NaturalDeadlineOut(Schema):
    start: dt.date
    days: int
    date: dt.date
    extended: bool


class SpecialDayOut(Schema):
    date: dt.date
    kind: str
    name: str
    is_workday: bool


class YearDaysOut(Schema):
    year: int
    source: str
    notice_ref: str
    workdays: int
    days: list[SpecialDayOut]


def _blame(exc: CalendarYearMissing, **dates: dt.date) -> CalendarYearMissing:
    """Name the parameter whose year is missing (else the offset that led past the calendar)."""
    if exc.field is None:
        exc.field = next((name for name, d in dates.items() if d.year == exc.year), "days")
    return exc


@router.get(
    "/add-working-days",
    response={200: AddWorkingDaysOut, 422: ErrorOut},
    summary="加工作日：start 之后第 days 个工作日",
    description=(
        "start 当天不计入；days=0 时返回 start。节假日、周末不计，调休上班日计入。"
        "涉及未发布年度时返回 422（code=calendar_year_missing）。"
    ),
)
def add_working_days(
    request: HttpRequest,
    start: Start,
    days: Days,
) -> AddWorkingDaysOut:
    try:
        result = selectors.get_calendar().add_working_days(start, days)
    except CalendarYearMissing as exc:
        raise _blame(exc, start=start) from None
    return AddWorkingDaysOut(start=start, days=days, date=result)


@router.get(
    "/count-working-days",
    response={200: CountWorkingDaysOut, 422: ErrorOut},
    summary="数工作日：(start, end] 之间的工作日天数",
    description="不含 start 当天，含 end 当天；end 不得早于 start。",
)
def count_working_days(
    request: HttpRequest,
    start: Start,
    end: End,
) -> CountWorkingDaysOut:
    if end < start:
        raise InvalidInput("参数 end 不能早于 start", field="end")
    try:
        count = selectors.get_calendar().count_working_days(start, end)
    except CalendarYearMissing as exc:
        raise _blame(exc, start=start, end=end) from None
    return CountWorkingDaysOut(start=start, end=end, working_days=count)


@router.get(
    "/natural-deadline",
    response={200: NaturalDeadlineOut, 422: ErrorOut},
    summary="按自然日计算期限届满日",
    description=(
        "start 当天不计入，加 days 个自然日；届满日是法定节假日或休息日的，"
        "顺延至其后第一个工作日（extended=true）。"
    ),
)
def natural_deadline(
    request: HttpRequest,
    start: Start,
    days: Days,
) -> NaturalDeadlineOut:
    calendar = selectors.get_calendar()
    try:
        result = calendar.natural_deadline(start, days)
    except CalendarYearMissing as exc:
        raise _blame(exc, start=start) from None
    return NaturalDeadlineOut(
        start=start, days=days, date=result, extended=result != start + dt.timedelta(days=days)
    )


@router.get(
    "/days/{year}",
    response={200: YearDaysOut, 422: ErrorOut},
    summary="某年的节假日与调休上班日",
    description="只列非常规的日子：节假日（含其中的周末）与调休上班日；其余周一至周五上班、周末休息。",
)
def year_days(
    request: HttpRequest,
    year: Annotated[int, Path(..., ge=schedule.FIRST_YEAR, le=schedule.LAST_YEAR)],
) -> YearDaysOut:
    calendar_year = selectors.calendar_year_get(year)
    return YearDaysOut(
        year=year,
        source=calendar_year.source,
        notice_ref=calendar_year.notice_ref,
        workdays=selectors.workday_count(year),
        days=[
            SpecialDayOut(date=d.date, kind=d.kind, name=d.name, is_workday=d.is_workday)
            for d in selectors.special_days(year)
        ],
    )
