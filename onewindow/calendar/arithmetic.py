"""Deadline arithmetic over the working-day calendar: the clock every legal time limit rests on.

`WorkingCalendar` is built once from the working days of a contiguous run of published years and
answers every question in O(1) (a few list look-ups), never by walking day by day:

* `_flags[i]`  1 when day i (counted from 1 January of the first year) is a working day;
* `_cum[i]`    how many working days come before day i (a prefix sum, length days + 1);
* `_work[k]`   the k-th working day (sorted), so "the n-th working day after d" is one index.

How the law counts (this module implements these rules; callers choose the right function):

* Working days (工作日). Limits such as the 20 days of the Administrative Licensing Law
  (《行政许可法》第八十二条：“行政机关实施行政许可的期限以工作日计算，不含法定节假日”)
  count working days only. The day the period starts is not counted; the period ends on the n-th
  working day after it (`add_working_days`). Make-up working days (调休上班日, a Saturday or
  Sunday the State Council's notice turns into a working day) count as working days; statutory
  holidays and ordinary weekends do not.
* Natural days (自然日). The day the period starts is not counted (《民法典》第二百零一条); the
  period ends n days later (`add_natural_days`). When that last day is a statutory holiday or a
  rest day, the period ends on the first working day after it (《民法典》第二百零三条 and the
  rule on periods of the Civil Procedure Law, which administrative reconsideration and litigation
  follow): `natural_deadline`, or `add_natural_days(..., roll_forward=True)`. A period ending on a
  make-up working day is not extended, since that day is a working day.

Every date used (the start, the result and any day in between) must lie in a published year;
otherwise `CalendarYearMissing` ("2027 年工作日历尚未发布") is raised — never a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from itertools import accumulate

from .errors import CalendarYearMissing

__all__ = ["CalendarYearMissing", "WorkingCalendar"]


class WorkingCalendar:
    """The working days of the years in `years` (a range: contiguous by construction)."""

    __slots__ = ("_base", "_cum", "_flags", "_nwork", "_size", "_work", "years")

    def __init__(self, years: range, workdays: Iterable[dt.date]) -> None:
        if years.step != 1:
            raise ValueError("years must be a contiguous range (step 1)")
        self.years = years
        if len(years):
            self._base = dt.date(years.start, 1, 1).toordinal()
            self._size = dt.date(years.stop - 1, 12, 31).toordinal() - self._base + 1
        else:
            self._base = self._size = 0
        flags = bytearray(self._size)
        for day in workdays:
            i = day.toordinal() - self._base
            if not 0 <= i < self._size or isinstance(day, dt.datetime):
                raise ValueError(f"working day {day!r} is outside {years}")
            flags[i] = 1
        self._flags = bytes(flags)
        self._cum: list[int] = list(accumulate(flags, initial=0))
        self._work: tuple[dt.date, ...] = tuple(
            dt.date.fromordinal(self._base + i) for i, flag in enumerate(flags) if flag
        )
        self._nwork = len(self._work)

    # -- the covered span ------------------------------------------------------------------------

    @property
    def first_day(self) -> dt.date | None:
        return dt.date(self.years.start, 1, 1) if len(self.years) else None

    @property
    def last_day(self) -> dt.date | None:
        return dt.date(self.years.stop - 1, 12, 31) if len(self.years) else None

    @property
    def workdays(self) -> tuple[dt.date, ...]:
        """Every working day covered, in order."""
        return self._work

    def covers(self, day: dt.date) -> bool:
        return 0 <= day.toordinal() - self._base < self._size

    def __repr__(self) -> str:
        return f"<WorkingCalendar {self.years.start}–{self.years.stop - 1}: {self._nwork} 个工作日>"

    def _index(self, day: dt.date) -> int:
        if isinstance(day, dt.datetime):
            raise TypeError("工作日历按日期计算，请传入 date 而不是 datetime")
        i = day.toordinal() - self._base
        if 0 <= i < self._size:
            return i
        raise CalendarYearMissing(day.year)

    def _beyond(self) -> CalendarYearMissing:
        """The error for a result past the last published day: the first year not published."""
        return CalendarYearMissing(self.years.stop if len(self.years) else dt.MINYEAR)

    # -- questions -------------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        return self._flags[self._index(day)] == 1

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (which itself does not count); n=0 gives `start`.

        A Friday before an ordinary weekend plus 1 is the Monday.
        """
        i = self._index(start)
        if n <= 0:
            if n == 0:
                return start
            raise ValueError("n must not be negative")
        k = self._cum[i + 1] + n - 1
        if k < self._nwork:
            return self._work[k]
        raise self._beyond()

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        return self.add_working_days(day, 1)

    def count_working_days(self, start: dt.date, end: dt.date) -> int:
        """How many working days lie in (start, end]; negative (−count of (end, start]) if
        `end` is before `start`. So count_working_days(d, add_working_days(d, n)) == n."""
        return self._cum[self._index(end) + 1] - self._cum[self._index(start) + 1]

    def add_natural_days(self, start: dt.date, n: int, *, roll_forward: bool = False) -> dt.date:
        """`start` plus n natural days (the start day does not count).

        With `roll_forward`, a period whose last day is a statutory holiday or rest day ends on
        the next working day instead (see the module's documentation).
        """
        if n < 0:
            raise ValueError("n must not be negative")
        i = self._index(start)
        end = start + dt.timedelta(days=n)
        j = i + n
        if j >= self._size:
            raise CalendarYearMissing(end.year)
        if roll_forward and not self._flags[j]:
            k = self._cum[j + 1]  # the first working day after day j
            if k < self._nwork:
                return self._work[k]
            raise self._beyond()
        return end

    def natural_deadline(self, start: dt.date, n: int) -> dt.date:
        """The last day of a period of n natural days from `start`, moved to the next working
        day when it falls on a statutory holiday or rest day."""
        return self.add_natural_days(start, n, roll_forward=True)
