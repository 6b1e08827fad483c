"""The calendar's domain error: a date in a year whose working-day calendar is not published."""

from __future__ import annotations

from onewindow.core.errors import DomainError


class CalendarYearMissing(DomainError):
    """A date falls in a year with no published calendar. Deadlines are never guessed."""

    code = "calendar_year_missing"
    status = 422

    def __init__(self, year: int, *, field: str | None = None) -> None:
        super().__init__(f"{year} 年工作日历尚未发布", field=field)
        self.year = year
