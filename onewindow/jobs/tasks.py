"""The periodic jobs as Django tasks. Each calls the service the console command calls, so its
writes are checked and audited exactly as they are from the console; none prints anything.

`onewindow worker` enqueues them when due (schedule.py) and runs them; they can also be enqueued
by hand (`supervise_task.enqueue()`). Return values are kept with the task's result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task

from onewindow.appeals import services as appeals_services
from onewindow.audit import chain
from onewindow.cases import clock
from onewindow.notifications import services as notify_services
from onewindow.stats import services as stats_services
from onewindow.stats.periods import period_of
from onewindow.supervision import services as supervision_services

from . import selectors

RUN_BY = "worker"


@task()
def supervise_task() -> dict[str, int]:
    """电子监察巡查 as of today (`onewindow supervise`)."""
    result = supervision_services.supervise(day=clock.today(), run_by=RUN_BY)
    return {"clocks": result.clocks, "alerts": result.alerts, "notices": result.notices}


@task()
def appeals_sweep_task() -> dict[str, int]:
    """民情直通车 overdue appeals: 催办、督办、提级 as of today (`onewindow appeals sweep`)."""
    return {"steps": appeals_services.sweep(on=clock.today())}


@task()
def notify_retry_task() -> dict[str, int]:
    """Send again the failed messages whose time has come (`onewindow notify retry`)."""
    return {"sent": notify_services.retry_due()}


@task()
def audit_seal_task() -> dict[str, int]:
    """Chain every committed, unsealed audit entry (`onewindow audit seal`)."""
    return {"sealed": chain.seal_pending(wait=True)}


@task()
def report_task(kind: str, today: str | None = None) -> dict[str, Any]:
    """The last complete period's assessment report before `today` (ISO date; default: the
    clock's today), for every top region, as `onewindow report --period KIND` without `--on`."""
    day = dt.date.fromisoformat(today) if today else clock.today()
    period = period_of(kind, period_of(kind, day).start - dt.timedelta(days=1))
    reports = [
        stats_services.report_generate(period=period, region=region, department=None, actor=None)
        for region in selectors.top_regions()
    ]
    chain.seal_pending()
    return {
        "period": kind,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "reports": [r.pk for r in reports],
    }


@task()
def prune_task() -> dict[str, int]:
    """Forget finished task results and old slots (`services.prune`)."""
    from .services import prune

    return prune()
