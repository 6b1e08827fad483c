"""Statistical periods: a day, an ISO week (Monday to Sunday), a month, a quarter, a year, or
any span of days. Pure functions, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from onewindow.core.errors import InvalidInput

from .choices import PeriodKind

MAX_CUSTOM_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def label(self) -> str:
        s, e = self.start, self.end
        if self.kind == PeriodKind.DAY:
            return f"{s.year}年{s.month}月{s.day}日"
        if self.kind == PeriodKind.WEEK:
            week = s.isocalendar()
            return f"{week.year}年第{week.week}周（{s:%m-%d}至{e:%m-%d}）"
        if self.kind == PeriodKind.MONTH:
            return f"{s.year}年{s.month}月"
        if self.kind == PeriodKind.QUARTER:
            return f"{s.year}年第{(s.month - 1) // 3 + 1}季度"
        if self.kind == PeriodKind.YEAR:
            return f"{s.year}年"
        return f"{s.isoformat()} 至 {e.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def period_of(kind: str, on: dt.date) -> Period:
    """The period of `kind` that contains the day `on`."""
    if kind == PeriodKind.DAY:
        return Period(kind, on, on)
    if kind == PeriodKind.WEEK:
        start = on - dt.timedelta(days=on.weekday())
        return Period(kind, start, start + dt.timedelta(days=6))
    if kind == PeriodKind.MONTH:
        start = on.replace(day=1)
        return Period(kind, start, _month_end(start))
    if kind == PeriodKind.QUARTER:
        start = dt.date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
        return Period(kind, start, _month_end(dt.date(start.year, start.month + 2, 1)))
    if kind == PeriodKind.YEAR:
        return Period(kind, dt.date(on.year, 1, 1), dt.date(on.year, 12, 31))
    raise InvalidInput(_unknown_kind(kind), field="period")


def _month_end(first: dt.date) -> dt.date:
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _unknown_kind(kind: str) -> str:
    names = "、".join(f"{k.value}（{k.label}）" for k in PeriodKind)
    return f"统计周期“{kind}”不存在，请选择：{names}。"


def parse_date(value: str | None, *, field: str, label: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{label}（{field}）“{value[:20]}”不是有效日期，请按 2026-10-31 的格式填写。",
            field=field,
        ) from None


def parse_period(
    *,
    kind: str | None,
    on: str | None = None,
    start: str | None = None,
    end: str | None = None,
    today: dt.date,
) -> Period:
    """The period a page or command asked for. Raises `InvalidInput` naming the field and the
    fix (an unknown period, a date that is not a date, an end before the start)."""
    kind = (kind or PeriodKind.MONTH).strip()
    if kind not in PeriodKind.values:
        raise InvalidInput(_unknown_kind(kind), field="period")
    if kind == PeriodKind.CUSTOM:
        first = parse_date(start, field="start", label="开始日期")
        last = parse_date(end, field="end", label="结束日期")
        if first is None:
            raise InvalidInput("自定义周期需要开始日期（start），请填写。", field="start")
        last = last or today
        if last < first:
            raise InvalidInput(
                f"结束日期（end）{last.isoformat()} 早于开始日期（start）{first.isoformat()}，"
                f"请把结束日期改为 {first.isoformat()} 或之后。",
                field="end",
            )
        if (last - first).days + 1 > MAX_CUSTOM_DAYS:
            raise InvalidInput(
                f"自定义周期最长 {MAX_CUSTOM_DAYS} 天，请缩短开始日期（start）到结束日期（end）的跨度。",
                field="end",
            )
        return Period(kind, first, last)
    day = parse_date(on, field="on", label="日期") or today
    return period_of(kind, day)


def months_before(end: dt.date, count: int) -> list[Period]:
    """The `count` months up to and including the one containing `end`, oldest first."""
    months: list[Period] = []
    first = end.replace(day=1)
    for _ in range(count):
        months.append(period_of(PeriodKind.MONTH, first))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def previous(period: Period) -> Period:
    """The period of the same kind just before `period` (a custom span: the same length)."""
    if period.kind == PeriodKind.CUSTOM:
        length = dt.timedelta(days=period.days)
        return Period(period.kind, period.start - length, period.end - length)
    return period_of(period.kind, period.start - dt.timedelta(days=1))
