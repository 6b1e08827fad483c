"""好差评: ratings of a case's service (at acceptance and at completion), the tablet sessions of
the counter, and the rectification (差评整改) task every bad review opens.

A rating is written once and never changed: the model refuses to save an existing row or delete
one, its queryset refuses bulk `update()` and `delete()`, and on PostgreSQL a trigger refuses an
UPDATE below the ORM (migration 0002).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from onewindow.core.errors import InvalidTransition

from .choices import Level, RatingChannel, RectificationStatus, Stage

IMMUTABLE = "评价一经提交不能修改或删除（申请人的评价只能由其本人提交一次）。"


class RatingQuerySet(models.QuerySet["Rating"]):
    def update(self, **kwargs: Any) -> int:
        raise InvalidTransition(IMMUTABLE, code="immutable")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise InvalidTransition(IMMUTABLE, code="immutable")


class CounterSession(models.Model):
    """A tablet facing the applicant, signed into one window by the staff member sitting there."""

    window = models.ForeignKey(
        "org.Window", verbose_name="窗口", on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="工作人员",
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "评价器会话"
        verbose_name_plural = "评价器会话"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.window} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class Rating(models.Model):
    """One applicant's rating of one stage of one case (a paper card may name no case: then it
    names the window). Names the rated window, department and staff member."""

    case = models.ForeignKey(
        "cases.Case",
        verbose_name="办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    stage = models.CharField("评价环节", max_length=16, choices=Stage.choices)
    level = models.PositiveSmallIntegerField("评价等级", choices=Level.choices)
    channel = models.CharField("评价渠道", max_length=16, choices=RatingChannel.choices)
    reasons = models.JSONField("评价原因", default=list, blank=True)
    comment = models.TextField("意见建议", blank=True)

    # who and what is rated (copied when rating: a later move of staff changes nothing)
    region = models.ForeignKey(
        "org.Region", verbose_name="区划", on_delete=models.PROTECT, related_name="+"
    )
    region_path = models.CharField(max_length=255, db_index=True, editable=False)
    department = models.ForeignKey(
        "org.Department",
        verbose_name="部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    window = models.ForeignKey(
        "org.Window",
        verbose_name="窗口",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="被评价工作人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ratings_received",
    )

    # who gave it: the signed-in applicant (online), nobody known (QR, counter, card)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入/评价器人员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    counter_session = models.ForeignKey(
        CounterSession, null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    rated_at = models.DateTimeField("评价时间")
    rated_on = models.DateField("评价日期", db_index=True)

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = "评价"
        verbose_name_plural = "评价"
        ordering = ["-rated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "stage"],
                condition=models.Q(case__isnull=False),
                name="evaluation_once_per_stage",
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="evaluation_level_range"
            ),
            models.CheckConstraint(
                condition=models.Q(case__isnull=False) | models.Q(channel=RatingChannel.CARD),
                name="evaluation_case_unless_card",
            ),
        ]
        indexes = [models.Index(fields=["staff", "rated_on"], name="evaluation_staff_day")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.get_level_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise InvalidTransition(IMMUTABLE, code="immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise InvalidTransition(IMMUTABLE, code="immutable")

    @property
    def is_bad(self) -> bool:
        from .choices import BAD_LEVELS

        return self.level in BAD_LEVELS

    @property
    def reason_labels(self) -> list[str]:
        from .choices import REASONS

        return [REASONS.get(r, r) for r in self.reasons or []]


class Rectification(models.Model):
    """差评整改: the fix-and-reply task a bad review opens, with its 15-working-day clock.
    assigned → investigated → answered (to the applicant) → revisited → closed; an unsatisfied
    revisit may send it back to assigned (the clock runs on)."""

    rating = models.OneToOneField(
        Rating, verbose_name="差评", on_delete=models.PROTECT, related_name="rectification"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey("org.Region", on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=255, db_index=True, editable=False)
    department = models.ForeignKey(
        "org.Department",
        verbose_name="责任部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    window = models.ForeignKey(
        "org.Window", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "状态",
        max_length=16,
        choices=RectificationStatus.choices,
        default=RectificationStatus.ASSIGNED,
    )
    revision = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField("下达时间")
    opened_on = models.DateField("下达日期")
    limit = models.PositiveIntegerField("整改时限（工作日）")
    due = models.DateField("整改期限", null=True, blank=True, db_index=True)

    finding = models.TextField("调查核实情况", blank=True)
    investigated_at = models.DateTimeField(null=True, blank=True)
    investigated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.TextField("答复申请人", blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revisit_note = models.TextField("回访情况", blank=True)
    revisit_satisfied = models.BooleanField("回访满意", null=True, blank=True)
    revisited_at = models.DateTimeField(null=True, blank=True)
    revisited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # earlier rounds, when an unsatisfied revisit sent the task back (退回重新整改): each a dict
    # of the round's finding, answer, revisit and the reason it was sent back, with names and times
    rounds = models.JSONField("历次整改", default=list, blank=True)
    closing_note = models.TextField("办结意见", blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "差评整改"
        verbose_name_plural = "差评整改"
        ordering = ["due", "opened_at"]
        indexes = [
            models.Index(
                fields=["department", "due"],
                condition=~models.Q(status="closed"),
                name="evaluation_open_rectification",
            )
        ]

    def __str__(self) -> str:
        return f"差评整改 {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status != RectificationStatus.CLOSED
