"""One year's rest-day schedule as the State Council's notice states it, and its checks.

Every year the General Office of the State Council publishes a notice (国务院办公厅关于某年部分
节假日安排的通知) that lists each holiday as a range of dates and the weekend days that become
working days (调休上班日). Every other day follows the week: Monday to Friday are working days,
Saturday and Sunday rest days.

Pure: no database and no Django, so that the checks are shared by the form, the service and the
tests, and can be run without a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

WORKDAY = "workday"
WEEKEND = "weekend"
HOLIDAY = "holiday"
MAKEUP_WORKDAY = "makeup_workday"
WORKING_KINDS = frozenset({WORKDAY, MAKEUP_WORKDAY})

FIRST_YEAR = 2000
LAST_YEAR = 2099
MAX_HOLIDAY_DAYS = 31  # a guard against typos: no single holiday in any notice has been longer
MAX_NAME_LENGTH = 50
DEFAULT_MAKEUP_NAME = "调休上班"

WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class HolidayRange(NamedTuple):
    start: dt.date
    end: dt.date
    name: str


class MakeupDay(NamedTuple):
    date: dt.date
    name: str


class Day(NamedTuple):
    date: dt.date
    kind: str
    name: str

    @property
    def is_workday(self) -> bool:
        return self.kind in WORKING_KINDS


class Problem(NamedTuple):
    """One thing wrong with a schedule: the field it concerns and what to do, in Chinese."""

    field: str
    message: str


def _label(labels: Sequence[str] | None, i: int, default: str) -> str:
    return labels[i] if labels is not None and i < len(labels) else f"{default}第 {i + 1} 项"


def check_schedule(
    *,
    year: int,
    holidays: Sequence[HolidayRange],
    makeup_workdays: Sequence[MakeupDay],
    holiday_labels: Sequence[str] | None = None,
    makeup_labels: Sequence[str] | None = None,
) -> list[Problem]:
    """Every problem with a year's schedule, in order; empty when it may be published.

    The labels say how to name an item in a message ("第 3 行" on the form); by default
    "节假日第 3 项" / "调休上班日第 2 项".
    """
    problems: list[Problem] = []
    if not FIRST_YEAR <= year <= LAST_YEAR:
        problems.append(
            Problem("year", f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间，当前填写的是 {year}。")
        )
        return problems
    if not holidays:
        problems.append(
            Problem("holidays", "请至少填写一个节假日，例如：2027-01-01 至 2027-01-03 元旦。")
        )

    accepted: list[tuple[HolidayRange, str]] = []
    for i, item in enumerate(holidays):
        start, end, name = item.start, item.end, item.name.strip()
        label = _label(holiday_labels, i, "节假日")
        what = f"{label}（{name}）" if name else label
        if not name:
            problems.append(Problem("holidays", f"{label}缺少名称，请写明节日，例如“元旦”。"))
            continue
        if len(name) > MAX_NAME_LENGTH:
            problems.append(
                Problem("holidays", f"{label}的名称过长（最多 {MAX_NAME_LENGTH} 字），请简写。")
            )
            continue
        outside = [d for d in (start, end) if d.year != year]
        if outside:
            problems.append(
                Problem(
                    "holidays",
                    f"{what}：日期 {outside[0].isoformat()} 不在 {year} 年内，请只填写 {year} 年的"
                    f"日期（跨年的假期请分别在各自年份填写）。",
                )
            )
            continue
        if end < start:
            problems.append(
                Problem(
                    "holidays",
                    f"{what}：结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}，"
                    f"请对调两个日期。",
                )
            )
            continue
        length = (end - start).days + 1
        if length > MAX_HOLIDAY_DAYS:
            problems.append(
                Problem(
                    "holidays",
                    f"{what}：共 {length} 天，超过 {MAX_HOLIDAY_DAYS} 天，请核对开始和结束日期。",
                )
            )
            continue
        clash = next(
            ((other, lbl) for other, lbl in accepted if start <= other.end and other.start <= end),
            None,
        )
        if clash is not None:
            other, other_label = clash
            first = max(start, other.start)
            problems.append(
                Problem(
                    "holidays",
                    f"{what}与{other_label}（{other.name.strip()}）日期重叠（{first.isoformat()}），"
                    f"请修改其中一项。",
                )
            )
            continue
        accepted.append((item, label))

    seen: set[dt.date] = set()
    for i, makeup in enumerate(makeup_workdays):
        day = makeup.date
        label = _label(makeup_labels, i, "调休上班日")
        if len(makeup.name.strip()) > MAX_NAME_LENGTH:
            problems.append(
                Problem(
                    "makeup_workdays",
                    f"{label}的名称过长（最多 {MAX_NAME_LENGTH} 字），请简写。",
                )
            )
            continue
        if day.year != year:
            problems.append(
                Problem(
                    "makeup_workdays",
                    f"{label}：{day.isoformat()} 不在 {year} 年内，请只填写 {year} 年的日期。",
                )
            )
            continue
        if day.weekday() < 5:
            problems.append(
                Problem(
                    "makeup_workdays",
                    f"{label}：{day.isoformat()} 是{WEEKDAY_NAMES[day.weekday()]}，本来就是工作日；"
                    f"调休上班日只能是周六或周日，请核对日期。",
                )
            )
            continue
        holiday = next((h for h, _ in accepted if h.start <= day <= h.end), None)
        if holiday is not None:
            problems.append(
                Problem(
                    "makeup_workdays",
                    f"{label}：{day.isoformat()} 在节假日“{holiday.name.strip()}”"
                    f"（{holiday.start.isoformat()} 至 {holiday.end.isoformat()}）之内，"
                    f"同一天不能既放假又上班，请修改其中一项。",
                )
            )
            continue
        if day in seen:
            problems.append(
                Problem(
                    "makeup_workdays",
                    f"{label}：{day.isoformat()} 重复填写，请删除重复的一行。",
                )
            )
            continue
        seen.add(day)
    return problems


def year_days(
    year: int, holidays: Sequence[HolidayRange], makeup_workdays: Sequence[MakeupDay]
) -> list[Day]:
    """Every day of `year`, classified. Assumes `check_schedule` found no problem."""
    names: dict[dt.date, str] = {}
    for start, end, name in holidays:
        for offset in range((end - start).days + 1):
            names[start + dt.timedelta(days=offset)] = name.strip()
    makeup = {d: (name.strip() or DEFAULT_MAKEUP_NAME) for d, name in makeup_workdays}
    days: list[Day] = []
    day = dt.date(year, 1, 1)
    one = dt.timedelta(days=1)
    while day.year == year:
        if day in names:
            days.append(Day(day, HOLIDAY, names[day]))
        elif day in makeup:
            days.append(Day(day, MAKEUP_WORKDAY, makeup[day]))
        elif day.weekday() >= 5:
            days.append(Day(day, WEEKEND, ""))
        else:
            days.append(Day(day, WORKDAY, ""))
        day += one
    return days


def holiday_periods(days: Sequence[Day]) -> list[HolidayRange]:
    """The holidays of a year's days as ranges: consecutive days with the same name."""
    periods: list[HolidayRange] = []
    for day in days:
        if day.kind != HOLIDAY:
            continue
        last = periods[-1] if periods else None
        if last is not None and last.name == day.name and last.end + dt.timedelta(1) == day.date:
            periods[-1] = last._replace(end=day.date)
        else:
            periods.append(HolidayRange(day.date, day.date, day.name))
    return periods
