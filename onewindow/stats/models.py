"""Statistics keep little of their own: the working-day ordinal of every calendar day (so that
"working days between two dates" is a subtraction the database can do for millions of cases at
once, see ADR 0006), the weights of the periodic assessment, and the reports generated.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from onewindow.core.models import TimeStampedModel

from .choices import PeriodKind


class DayIndex(models.Model):
    """One row per calendar day of the published years.

    `workday_ordinal` counts the working days from the first published day up to and including
    this day, so the working days in (a, b] are `ordinal(b) − ordinal(a)`; `natural_ordinal` is
    the proleptic Gregorian ordinal (natural days in (a, b] are the same subtraction)."""

    date = models.DateField("日期", primary_key=True)
    workday_ordinal = models.PositiveIntegerField("工作日序号")
    natural_ordinal = models.PositiveIntegerField("自然日序号")

    class Meta:
        verbose_name = "日期序号"
        verbose_name_plural = "日期序号"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} #{self.workday_ordinal}"


class DayIndexStamp(models.Model):
    """The calendar's version stamp the day index was built from (one row)."""

    stamp = models.CharField(max_length=200)
    built_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.stamp


class ScoreWeights(TimeStampedModel):
    """The weights of the periodic assessment score (考核权重), as data: the newest row is used.
    Each weight is a share in percent; the score is the weighted mean of the figures the period
    has (a figure with no data — no rating yet — drops out and the others are rescaled)."""

    on_time = models.PositiveSmallIntegerField(
        "按时办结率权重（%）", default=40, validators=[MaxValueValidator(100)]
    )
    satisfaction = models.PositiveSmallIntegerField(
        "满意率权重（%）", default=30, validators=[MaxValueValidator(100)]
    )
    rectification = models.PositiveSmallIntegerField(
        "差评整改率权重（%）", default=10, validators=[MaxValueValidator(100)]
    )
    workload = models.PositiveSmallIntegerField(
        "工作量权重（%）", default=20, validators=[MaxValueValidator(100)]
    )
    note = models.CharField("说明", max_length=200, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "考核权重"
        verbose_name_plural = "考核权重"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return (
            f"按时 {self.on_time}% · 满意 {self.satisfaction}% · 整改 {self.rectification}% · "
            f"工作量 {self.workload}%"
        )


class PeriodScope(models.Model):
    """One period (day, week, month, quarter) of one region, and of one department or all."""

    period = models.CharField("周期", max_length=16, choices=PeriodKind.choices)
    start = models.DateField("开始日期")
    end = models.DateField("结束日期")
    region = models.ForeignKey(
        "org.Region", verbose_name="统计区划", on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name="部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True


class Report(PeriodScope, TimeStampedModel):
    """A periodic assessment report (日督查、周回访、月评议、季考核) of one scope and one period.
    Generating the same one again replaces its files (`revision` counts the generations)."""

    title = models.CharField("标题", max_length=120)
    pdf = models.ForeignKey(
        "files.StoredFile", verbose_name="PDF", on_delete=models.PROTECT, related_name="+"
    )
    xlsx = models.ForeignKey(
        "files.StoredFile", verbose_name="Excel", on_delete=models.PROTECT, related_name="+"
    )
    headline = models.JSONField("主要指标", default=dict)
    weights = models.JSONField("考核权重", default=dict)
    revision = models.PositiveIntegerField("生成次数", default=1)
    generated_at = models.DateTimeField("生成时间")
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "考核报告"
        verbose_name_plural = "考核报告"
        ordering = ["-end", "period", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "start", "region"],
                condition=models.Q(department__isnull=True),
                name="stats_report_once",
            ),
            models.UniqueConstraint(
                fields=["period", "start", "region", "department"],
                condition=models.Q(department__isnull=False),
                name="stats_report_once_department",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ReportRequest(PeriodScope):
    """A report asked for on the page: generated by the background worker (`tasks.py`), so the
    request returns at once; the page lists the ones queued or failed until they are done."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队生成中"
        DONE = "done", "已生成"
        FAILED = "failed", "生成失败"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.QUEUED)
    report = models.ForeignKey(
        Report, verbose_name="报告", null=True, blank=True, on_delete=models.SET_NULL
    )
    error = models.CharField("失败原因", max_length=500, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "报告生成申请"
        verbose_name_plural = "报告生成申请"
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_period_display()} {self.start}—{self.end}（{self.get_state_display()}）"
