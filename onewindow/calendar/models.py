"""The working-day calendar: one row per published year, one row per day of those years.

Every day is stored (not only the exceptions) so that each day's kind can be read or joined in
SQL; the arithmetic does not query these rows but a precomputed `WorkingCalendar` built from them
(see selectors.get_calendar).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .choices import CalendarSource, DayKind


class CalendarYear(models.Model):
    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("来源", max_length=32, choices=CalendarSource.choices)
    notice_ref = models.TextField("通知文号", blank=True)
    published_at = models.DateTimeField("发布时间")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发布人",
    )

    class Meta:
        verbose_name = "工作日历年度"
        verbose_name_plural = "工作日历年度"
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=2000, year__lte=2099),
                name="calendar_year_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} 年工作日历"


class CalendarDay(models.Model):
    calendar_year = models.ForeignKey(
        CalendarYear, on_delete=models.CASCADE, related_name="days", verbose_name="年度"
    )
    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是否工作日")
    kind = models.CharField("类型", max_length=16, choices=DayKind.choices)
    name = models.CharField("名称", max_length=60, blank=True)

    class Meta:
        verbose_name = "日历日"
        verbose_name_plural = "日历日"
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=[DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY], is_workday=True)
                    | models.Q(kind__in=[DayKind.WEEKEND, DayKind.HOLIDAY], is_workday=False)
                ),
                name="calendar_day_kind_matches_workday",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()
