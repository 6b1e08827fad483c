"""When each periodic job is due: the schedule as data, in one place.

Times are the centre's (settings.TIME_ZONE, Asia/Shanghai). Each rule answers one question: the
latest slot at or before a moment. A worker enqueues a job when that slot has not been enqueued
yet (services.enqueue_due); after downtime that is only the latest missed slot, since every job
catches up by itself (the sweeps work from due dates and today; a report for a period replaces
its files). This mirrors the crontab that docs/operations.md gives for running without the worker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils import timezone

from . import tasks


def _local(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time))


class When(Protocol):
    def latest(self, now: dt.datetime) -> dt.datetime: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class Every:
    """Every `minutes` minutes, counted from local midnight (a divisor of 1440 keeps the slots
    evenly spaced: 1, 5, 10, 15, 30, 60 …)."""

    minutes: int

    def latest(self, now: dt.datetime) -> dt.datetime:
        local = _local(now)
        since_midnight = local.hour * 60 + local.minute
        start = since_midnight - since_midnight % self.minutes
        return _at(local.date(), dt.time(start // 60, start % 60))

    def describe(self) -> str:
        return "每分钟" if self.minutes == 1 else f"每 {self.minutes} 分钟"


@dataclass(frozen=True)
class Daily:
    at: dt.time

    def latest(self, now: dt.datetime) -> dt.datetime:
        local = _local(now)
        slot = _at(local.date(), self.at)
        return slot if slot <= local else _at(local.date() - dt.timedelta(days=1), self.at)

    def describe(self) -> str:
        return f"每天 {self.at:%H:%M}"


@dataclass(frozen=True)
class Weekly:
    """On `weekday` (0 = Monday) at `at`."""

    at: dt.time
    weekday: int = 0

    def latest(self, now: dt.datetime) -> dt.datetime:
        local = _local(now)
        day = local.date() - dt.timedelta(days=(local.weekday() - self.weekday) % 7)
        slot = _at(day, self.at)
        return slot if slot <= local else _at(day - dt.timedelta(days=7), self.at)

    def describe(self) -> str:
        return f"每周{'一二三四五六日'[self.weekday]} {self.at:%H:%M}"


@dataclass(frozen=True)
class Monthly:
    """On day 1 of every `months`-th month from January (1: every month; 3: 1 Jan, 1 Apr, 1 Jul,
    1 Oct) at `at`."""

    at: dt.time
    months: int = 1

    def latest(self, now: dt.datetime) -> dt.datetime:
        local = _local(now)
        index = local.year * 12 + local.month - 1
        index -= (local.month - 1) % self.months
        slot = _at(dt.date(index // 12, index % 12 + 1, 1), self.at)
        if slot > local:
            index -= self.months
            slot = _at(dt.date(index // 12, index % 12 + 1, 1), self.at)
        return slot

    def describe(self) -> str:
        if self.months == 3:
            return f"每季度首日（1、4、7、10 月 1 日）{self.at:%H:%M}"
        return f"每月 1 日 {self.at:%H:%M}"


def Quarterly(at: dt.time) -> Monthly:
    """On 1 Jan, 1 Apr, 1 Jul and 1 Oct at `at`."""
    return Monthly(at=at, months=3)


@dataclass(frozen=True)
class Job:
    name: str
    task: Any  # a django_tasks Task
    when: When
    kwargs: dict[str, Any] = field(default_factory=dict)
    # pass the slot's local date as `today` (a report is for the period before the slot's day,
    # even when it runs late)
    dated: bool = False
    title: str = ""

    def kwargs_for(self, slot: dt.datetime) -> dict[str, Any]:
        if self.dated:
            return {**self.kwargs, "today": _local(slot).date().isoformat()}
        return dict(self.kwargs)


SCHEDULE: tuple[Job, ...] = (
    Job("supervise", tasks.supervise_task, Every(30), title="电子监察巡查"),
    Job("appeals.sweep", tasks.appeals_sweep_task, Every(30), title="诉求超期催办督办"),
    Job("notify.retry", tasks.notify_retry_task, Every(1), title="消息失败重发"),
    Job("audit.seal", tasks.audit_seal_task, Every(1), title="审计日志封存"),
    Job(
        "report.day",
        tasks.report_task,
        Daily(dt.time(1, 30)),
        {"kind": "day"},
        dated=True,
        title="日督查报告",
    ),
    Job(
        "report.week",
        tasks.report_task,
        Weekly(dt.time(1, 40)),
        {"kind": "week"},
        dated=True,
        title="周回访报告",
    ),
    Job(
        "report.month",
        tasks.report_task,
        Monthly(dt.time(1, 50)),
        {"kind": "month"},
        dated=True,
        title="月评议报告",
    ),
    Job(
        "report.quarter",
        tasks.report_task,
        Quarterly(dt.time(2, 10)),
        {"kind": "quarter"},
        dated=True,
        title="季考核报告",
    ),
    Job("jobs.prune", tasks.prune_task, Daily(dt.time(3, 30)), title="清理已完成的任务记录"),
)

JOBS: dict[str, Job] = {job.name: job for job in SCHEDULE}
