"""Pages of the working-day calendar: a year as twelve month grids, and publishing a year.

Mounted by the workbench (workbench:calendar-year, workbench:calendar-publish), which adds the
role checks; here only sign-in is required.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from onewindow.accounts.selectors import has_permission
from onewindow.core.errors import DomainError

from . import schedule, selectors, services
from .choices import CalendarSource
from .forms import CalendarYearForm, schedule_text

_WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")
_CSS = {
    schedule.HOLIDAY: "day-holiday",
    schedule.MAKEUP_WORKDAY: "day-makeup",
    schedule.WEEKEND: "day-weekend",
    schedule.WORKDAY: "",
}
_MARK = {schedule.HOLIDAY: "休", schedule.MAKEUP_WORKDAY: "班"}
_SPOKEN = {
    schedule.HOLIDAY: "放假",
    schedule.MAKEUP_WORKDAY: "调休上班",
    schedule.WEEKEND: "周末",
    schedule.WORKDAY: "",
}


@dataclass(frozen=True)
class Cell:
    date: dt.date
    kind: str
    name: str

    @property
    def css(self) -> str:
        return _CSS[self.kind]

    @property
    def mark(self) -> str:
        return _MARK.get(self.kind, "")

    @property
    def spoken(self) -> str:
        """What a screen reader hears after the day number."""
        return "，".join(part for part in (self.name, _SPOKEN[self.kind]) if part)


@dataclass(frozen=True)
class Month:
    number: int
    weeks: list[list[Cell | None]]


def month_grids(year: int, days: list[schedule.Day]) -> list[Month]:
    """Twelve months as weeks from Monday to Sunday; None for days of the adjacent months."""
    by_date = {d.date: d for d in days}
    months = []
    for number in range(1, 13):
        weeks: list[list[Cell | None]] = []
        for week in stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(year, number):
            row: list[Cell | None] = []
            for day in week:
                info = by_date.get(day)
                if day.month != number or info is None:
                    row.append(None)
                else:
                    row.append(Cell(day, info.kind, info.name))
            weeks.append(row)
        months.append(Month(number, weeks))
    return months


@login_required
def year_view(request: HttpRequest, year: int) -> HttpResponse:
    years = list(selectors.published_years())
    calendar_year = next((y for y in years if y.year == year), None)
    days = selectors.year_days(year) if calendar_year is not None else []
    holidays = schedule.holiday_periods(days)
    makeup = [d for d in days if d.kind == schedule.MAKEUP_WORKDAY]
    published = [y.year for y in years]
    # Only whether to show the links to the publishing page; the workbench guards that page.
    context = {
        "year": year,
        "calendar_year": calendar_year,
        "is_notice": calendar_year is not None and calendar_year.source == CalendarSource.NOTICE,
        "months": month_grids(year, days) if days else [],
        "weekdays": _WEEKDAYS,
        "holidays": [(h, (h.end - h.start).days + 1) for h in holidays],
        "makeup": makeup,
        "workday_count": sum(1 for d in days if d.is_workday),
        "published": published,
        "previous_year": year - 1 if year - 1 in published else None,
        "next_year": year + 1 if year + 1 in published else None,
        "next_to_publish": selectors.next_year_to_publish(),
        "can_publish": has_permission(request.user, "calendar.manage"),  # type: ignore[arg-type]
    }
    return render(request, "calendar/year.html", context)


@login_required
def publish_view(request: HttpRequest) -> HttpResponse:
    """Enter a year from the notice (GET: the form, prefilled to correct a year with ?year=)."""
    initial: dict[str, object] = {"year": selectors.next_year_to_publish()}
    correcting = None
    if request.method == "GET" and request.GET.get("year", "").isdigit():
        found = selectors.published_years().filter(year=int(request.GET["year"])).first()
        if found is not None and found.source == CalendarSource.NOTICE:
            correcting = found
            holiday_text, makeup_text = schedule_text(*selectors.year_schedule(found.year))
            initial = {
                "year": found.year,
                "notice_ref": found.notice_ref,
                "holidays": holiday_text,
                "makeup_workdays": makeup_text,
            }
    form = CalendarYearForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            published = services.calendar_year_publish(
                actor=request.user,  # type: ignore[arg-type]
                **form.cleaned_data,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            cleaned = form.cleaned_data
            messages.success(
                request,
                f"{published.year} 年工作日历已发布：{len(cleaned['holidays'])} 个节假日、"
                f"{len(cleaned['makeup_workdays'])} 个调休上班日。请核对下面的月历。",
            )
            return redirect("workbench:calendar-year", year=published.year)
    return render(
        request,
        "calendar/publish.html",
        {
            "form": form,
            "correcting": correcting,
            "published": list(selectors.published_years()),
        },
    )
