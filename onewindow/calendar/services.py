"""Writes to the working-day calendar: publishing a year from the State Council's notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from onewindow.audit.services import audit_record
from onewindow.core.errors import InvalidInput

from . import schedule, selectors
from .choices import CalendarSource
from .models import CalendarDay, CalendarYear

if TYPE_CHECKING:
    from onewindow.accounts.models import User


def _describe(
    holidays: Sequence[schedule.HolidayRange], makeup: Sequence[schedule.MakeupDay]
) -> dict[str, list[str]]:
    return {
        "holidays": [
            f"{h.start.isoformat()} 至 {h.end.isoformat()} {h.name}"
            if h.start != h.end
            else f"{h.start.isoformat()} {h.name}"
            for h in holidays
        ],
        "makeup_workdays": [f"{m.date.isoformat()} {m.name}" for m in makeup],
    }


def calendar_year_publish(
    *,
    year: int,
    holidays: Sequence[tuple[dt.date, dt.date, str]],
    makeup_workdays: Sequence[tuple[dt.date, str]],
    notice_ref: str,
    actor: User | None,
) -> CalendarYear:
    """Publish (or correct) a year's working-day calendar from the State Council's notice.

    `holidays` are (start, end, name) ranges, both ends included, e.g. (2027-10-01, 2027-10-07,
    "国庆节"); `makeup_workdays` are (date, name) weekend days that become working days. Every
    other Saturday and Sunday is a rest day. The year must follow the last published year, or
    replace a year that was itself entered from a notice (years from the chinesecalendar package
    are not replaced here). Raises InvalidInput naming the field and the fix; saves nothing then.
    """
    holiday_items = [schedule.HolidayRange(s, e, (n or "").strip()) for s, e, n in holidays]
    makeup_items = [
        schedule.MakeupDay(d, (n or "").strip() or schedule.DEFAULT_MAKEUP_NAME)
        for d, n in makeup_workdays
    ]
    notice_ref = (notice_ref or "").strip()
    problems = schedule.check_schedule(
        year=year, holidays=holiday_items, makeup_workdays=makeup_items
    )
    if problems:
        raise InvalidInput(problems[0].message, field=problems[0].field)
    if not notice_ref:
        raise InvalidInput(
            "请填写国务院办公厅通知的文号或标题，例如“国办发明电〔2026〕X号”。",
            field="notice_ref",
        )
    holiday_items.sort(key=lambda h: h.start)
    makeup_items.sort(key=lambda m: m.date)
    after = {
        "year": year,
        "source": CalendarSource.NOTICE.value,
        "notice_ref": notice_ref,
        **_describe(holiday_items, makeup_items),
    }

    with transaction.atomic():
        existing = CalendarYear.objects.select_for_update().filter(year=year).first()
        before: dict[str, object] | None = None
        if existing is not None:
            if existing.source != CalendarSource.NOTICE:
                raise InvalidInput(
                    f"{year} 年工作日历来自 chinesecalendar 软件包（历年国务院办公厅通知），"
                    f"不能在此覆盖；只能续接发布 {selectors.next_year_to_publish()} 年及以后的年度。",
                    field="year",
                )
            old_holidays, old_makeup = selectors.year_schedule(year)
            before = {"notice_ref": existing.notice_ref, **_describe(old_holidays, old_makeup)}
            existing.days.all().delete()
            existing.notice_ref = notice_ref
            existing.published_at = timezone.now()
            existing.published_by = actor
            existing.save(update_fields=["notice_ref", "published_at", "published_by"])
            calendar_year = existing
        else:
            last = CalendarYear.objects.aggregate(last=Max("year"))["last"]
            if last is not None and year != last + 1:
                raise InvalidInput(
                    f"工作日历须逐年连续发布：目前已发布至 {last} 年，"
                    f"下一个应发布的是 {last + 1} 年，请先发布 {last + 1} 年。",
                    field="year",
                )
            try:
                with transaction.atomic():
                    calendar_year = CalendarYear.objects.create(
                        year=year,
                        source=CalendarSource.NOTICE,
                        notice_ref=notice_ref,
                        published_at=timezone.now(),
                        published_by=actor,
                    )
            except IntegrityError:
                raise InvalidInput(
                    f"{year} 年工作日历刚刚已由他人发布，请刷新页面后查看。", field="year"
                ) from None
        CalendarDay.objects.bulk_create(
            [
                CalendarDay(
                    calendar_year=calendar_year,
                    date=day.date,
                    is_workday=day.is_workday,
                    kind=day.kind,
                    name=day.name,
                )
                for day in schedule.year_days(year, holiday_items, makeup_items)
            ]
        )
        verb = "更正" if before is not None else "发布"
        audit_record(
            action="calendar.year.publish",
            actor=actor,
            role="sysadmin",
            obj=calendar_year,
            summary=(
                f"{verb} {year} 年工作日历：{len(holiday_items)} 个节假日、"
                f"{len(makeup_items)} 个调休上班日（{notice_ref}）"
            ),
            before=before,
            after=after,
        )
        transaction.on_commit(selectors.clear_calendar_cache)
    return calendar_year
