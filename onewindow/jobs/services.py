"""Writes of the periodic jobs: enqueue the due slots, forget old bookkeeping.

The jobs' own writes (sweeps, reports, sealing, resending) happen in the tasks, through the
services of their apps, audited as they are from the console.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from onewindow.audit.services import audit_record
from onewindow.cases import clock
from onewindow.core import ratelimit

from .models import JobSlot

log = logging.getLogger("onewindow.jobs")

# A task still marked running this long after it started was lost with its worker (killed, the
# machine restarted): no job runs anywhere near as long (a quarter's reports take minutes).
STALE_AFTER = dt.timedelta(hours=1)
# Tasks that may simply run again after such a loss (they check their own state first); the
# periodic jobs need nothing: their next slot does the work.
RERUN_AFTER_LOSS = frozenset({"onewindow.stats.tasks.report_request_task"})
LOST = "onewindow.jobs.WorkerLost"

# Finished task results and slot rows older than this are deleted by the daily `jobs.prune` (a
# job's latest slot is always kept: it is what stops that slot being enqueued again).
KEEP_DAYS = 14


@dataclass(frozen=True)
class Enqueued:
    job: str
    slot: dt.datetime
    task_id: str


def enqueue_due(*, now: dt.datetime | None = None, only: Iterable[str] = ()) -> list[Enqueued]:
    """Enqueue each job of the schedule whose latest slot at `now` (default: the clock's now)
    has not been enqueued yet, and record the slot. One slot is enqueued once: the slot row and
    the queued task are written in one transaction, and the row is unique on (job, slot), so a
    second worker or a restart finds it taken. A job never goes back to a slot older than one it
    already had (after downtime only the latest missed slot; the jobs catch up by themselves)."""
    from .schedule import SCHEDULE

    now = now or clock.now()
    wanted = set(only)
    done: list[Enqueued] = []
    for job in SCHEDULE:
        if wanted and job.name not in wanted:
            continue
        slot = job.when.latest(now)
        if JobSlot.objects.filter(job=job.name, slot__gte=slot).exists():
            continue
        try:
            with transaction.atomic():
                row = JobSlot.objects.create(job=job.name, slot=slot)
                result = job.task.enqueue(**job.kwargs_for(slot))
                row.task_id = str(result.id)
                row.save(update_fields=["task_id"])
        except IntegrityError:  # another worker enqueued this slot first
            continue
        log.debug("enqueued %s for %s", job.name, slot)
        done.append(Enqueued(job=job.name, slot=slot, task_id=row.task_id))
    return done


def prune(*, now: dt.datetime | None = None, keep_days: int = KEEP_DAYS) -> dict[str, int]:
    """Delete finished task results and slot rows older than `keep_days`, keeping each job's
    latest slot, and the rate-limit counts of windows that have passed. Bookkeeping only: what
    the jobs did is in their own tables and on the audit log; the pruning of task results and
    slots is audited when it deleted anything."""
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - dt.timedelta(days=keep_days)
    slots = 0
    with transaction.atomic():
        latest = JobSlot.objects.values("job").annotate(last=Max("slot"))
        for row in latest:
            old = JobSlot.objects.filter(job=row["job"], slot__lt=min(cutoff, row["last"]))
            slots += old.delete()[0]
        results = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()[0]
        # the rate-limit windows that have passed (`core.ratelimit`): not audited, they record
        # nobody's act
        ratelimit.prune(at=now)
        if slots or results:
            audit_record(
                action="jobs.prune",
                role="system",
                object_type="jobs.JobSlot",
                summary=(
                    f"清理 {timezone.localtime(cutoff):%Y-%m-%d %H:%M} 以前的后台任务记录："
                    f"计划时段 {slots} 条，任务结果 {results} 条"
                ),
                after={"cutoff": cutoff.isoformat(), "slots": slots, "results": results},
            )
    return {"slots": slots, "results": results}


def recover_lost(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Tasks whose worker died under them stay marked running for ever, and what waits on them
    (a report asked for on the page) waits for ever. Each running task started more than
    `STALE_AFTER` ago is marked failed, saying why; one that may run again
    (`RERUN_AFTER_LOSS`) is enqueued anew with the same arguments. Audited when it found any.
    The worker calls this when it starts."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    lost = rerun = 0
    with transaction.atomic():
        stale = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
            status="RUNNING", started_at__lt=now - STALE_AFTER
        )
        for result in stale:
            result.status = "FAILED"
            result.finished_at = now
            result.exception_class_path = LOST
            result.traceback = (
                f"后台任务进程在执行中退出（被强制终止或机器重启），任务未完成；"
                f"{timezone.localtime(now):%Y-%m-%d %H:%M} 由重新启动的后台任务进程标为失败。"
            )
            result.save(
                update_fields=["status", "finished_at", "exception_class_path", "traceback"]
            )
            lost += 1
            if result.task_path in RERUN_AFTER_LOSS:
                result.task.enqueue(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
                rerun += 1
        if lost:
            audit_record(
                action="jobs.recover",
                role="system",
                object_type="jobs.task",
                summary=f"后台任务进程中断遗留的任务：{lost} 个标为失败，{rerun} 个重新排队",
                after={"lost": lost, "rerun": rerun},
            )
    return {"lost": lost, "rerun": rerun}
