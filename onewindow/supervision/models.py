"""Electronic supervision (电子监察): what the sweep recorded and the ladder it follows.

- `EscalationRule` is the escalation ladder as data: each rung says which event (warning or
  overdue), after how many working days past the due date, whom to notify, with what words.
- `Sweep` is one run of `onewindow supervise`.
- `ClockAlert` is one warning or overdue event of one clock (a case's promised or statutory
  limit, or one step's), recorded once: the same clock, state and due date never twice.
- `Escalation` is one rung of the ladder sent for one alert, recorded once.

The time state itself is never stored: the board computes it from the due dates the case engine
keeps (see selectors.py); the sweep only records events and the notices they caused.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from onewindow.core.models import TimeStampedModel

from .choices import AlertState, ClockKind, NoticeRole


class EscalationRule(TimeStampedModel):
    level = models.PositiveSmallIntegerField("级别", unique=True)
    state = models.CharField("触发事件", max_length=16, choices=AlertState.choices)
    after_days = models.PositiveSmallIntegerField(
        "超期后工作日数", default=0, help_text="预警规则填 0；超期规则填超期满多少个工作日后通知。"
    )
    role = models.CharField("通知对象", max_length=16, choices=NoticeRole.choices)
    template = models.TextField(
        "消息模板",
        help_text="可用占位符：{number} 办件编号、{item} 事项、{clock} 时限名称、{due} 到期日、"
        "{days} 超期工作日数、{step} 环节、{department} 部门。",
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "预警升级规则"
        verbose_name_plural = "预警升级规则"
        ordering = ["level"]

    def __str__(self) -> str:
        return f"第 {self.level} 级 {self.get_state_display()} → {self.get_role_display()}"

    PLACEHOLDERS = ("number", "item", "clock", "due", "days", "step", "department")

    def clean(self) -> None:
        """A template the sweep could not fill would stop it: only the listed placeholders."""
        from django.core.exceptions import ValidationError

        try:
            self.template.format(**dict.fromkeys(self.PLACEHOLDERS, ""))
        except (KeyError, IndexError, ValueError) as exc:
            raise ValidationError(
                {
                    "template": f"消息模板有无法识别的占位符或括号（{exc}），可用："
                    + "、".join(f"{{{p}}}" for p in self.PLACEHOLDERS)
                    + "；花括号本身请写成 {{ 或 }}。"
                }
            ) from exc
        if self.state == "warning" and self.after_days:
            raise ValidationError({"after_days": "预警规则的“超期后工作日数”须为 0。"})


class Sweep(models.Model):
    day = models.DateField("巡查日期")
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    alerts = models.PositiveIntegerField("新记录预警", default=0)
    notices = models.PositiveIntegerField("新发通知", default=0)
    run_by = models.CharField("执行者", max_length=64, blank=True)

    class Meta:
        verbose_name = "监察巡查"
        verbose_name_plural = "监察巡查"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"巡查 {self.day}"


class ClockAlert(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey(
        "cases.Step", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    clock = models.CharField("时限", max_length=16, choices=ClockKind.choices)
    state = models.CharField("事件", max_length=16, choices=AlertState.choices)
    due = models.DateField("到期日")
    recorded_on = models.DateField("发现日期")
    sweep = models.ForeignKey(Sweep, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "时限预警记录"
        verbose_name_plural = "时限预警记录"
        ordering = ["recorded_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "clock", "state", "due"],
                condition=Q(step__isnull=True),
                name="supervision_case_clock_once",
            ),
            models.UniqueConstraint(
                fields=["step", "state", "due"],
                condition=Q(step__isnull=False),
                name="supervision_step_clock_once",
            ),
        ]
        indexes = [models.Index(fields=["sweep"], name="supervision_alert_sweep")]

    def __str__(self) -> str:
        return f"{self.get_clock_display()} {self.get_state_display()} {self.due}"


class Escalation(models.Model):
    alert = models.ForeignKey(ClockAlert, on_delete=models.CASCADE, related_name="escalations")
    rule = models.ForeignKey(EscalationRule, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField("级别")
    role = models.CharField("通知对象", max_length=16, choices=NoticeRole.choices)
    recipients = models.JSONField("接收人", default=list)  # [{"id": user id, "name": name}]
    sent_on = models.DateField("通知日期")
    sweep = models.ForeignKey(Sweep, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "预警升级通知"
        verbose_name_plural = "预警升级通知"
        ordering = ["sent_on", "level", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "rule"], name="supervision_rung_once"),
        ]
        indexes = [models.Index(fields=["sweep"], name="supervision_escalation_sweep")]

    def __str__(self) -> str:
        return f"第 {self.level} 级通知 {self.sent_on}"
