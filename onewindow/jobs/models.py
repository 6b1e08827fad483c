"""The periodic jobs' slots: one row per (job, slot) enqueued, so that a slot is enqueued once
however many workers run and however often they restart (docs/adr/0011-background-worker.md).

The queue itself, with each run's status, return value and traceback, is django-tasks-db's
`DBTaskResult`; `task_id` points at it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class JobSlot(models.Model):
    job = models.CharField("任务", max_length=64)
    slot = models.DateTimeField("计划时间")
    enqueued_at = models.DateTimeField("入队时间", auto_now_add=True)
    task_id = models.CharField("任务结果编号", max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = "定期任务时段"
        verbose_name_plural = "定期任务时段"
        ordering = ["-slot", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="jobs_slot_once")]

    def __str__(self) -> str:
        return f"{self.job} @ {timezone.localtime(self.slot):%Y-%m-%d %H:%M}"
