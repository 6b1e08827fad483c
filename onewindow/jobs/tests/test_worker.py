"""The worker against the real database: each due slot enqueued once, only the latest slot after
downtime, the sweeps really run by `onewindow worker --once`, a failing task recorded failed
without stopping the others, SIGTERM handled."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from onewindow.appeals import services as appeals_services
from onewindow.appeals.choices import Channel, DispatchState, Kind
from onewindow.appeals.models import Appeal, Category
from onewindow.appeals.models import Escalation as AppealEscalation
from onewindow.audit.models import AuditEntry
from onewindow.cases import clock
from onewindow.jobs import services
from onewindow.jobs.models import JobSlot
from onewindow.jobs.schedule import JOBS, SCHEDULE
from onewindow.org.models import Region
from onewindow.stats.models import Report
from onewindow.supervision import services as supervision_services
from onewindow.supervision.models import Escalation, Sweep
from onewindow.supervision.tests.conftest import MONDAY, walk_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("db_queue")]

SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def slots() -> dict[str, list[dt.datetime]]:
    found: dict[str, list[dt.datetime]] = {}
    for row in JobSlot.objects.order_by("slot"):
        found.setdefault(row.job, []).append(row.slot.astimezone(SH))
    return found


def file_appeal() -> Appeal:
    with clock.simulate(MONDAY):
        return appeals_services.file_appeal(
            channel=Channel.WEB,
            kind=Kind.COMPLAINT,
            category_id=Category.objects.get(code="0501").pk,
            region_id=Region.objects.get(code="610799101001").pk,  # 青石镇青石村
            title="村口道路坑洼积水",
            content="青石村村口到小学的水泥路有多处坑洼，下雨积水，孩子上学不便。",
            caller_name="王建国",
            callback_phone="13812345678",
            publish_consent=True,
        )


def status_of(job: str) -> str:
    row = JobSlot.objects.filter(job=job).latest("slot")
    return DBTaskResult.objects.get(id=row.task_id).status


def test_a_tick_enqueues_each_due_job_once() -> None:
    now = at(2026, 3, 2, 10, 5, 12)  # a Monday
    first = services.enqueue_due(now=now)
    assert sorted(e.job for e in first) == sorted(JOBS)
    assert slots() == {
        "supervise": [at(2026, 3, 2, 10, 0)],
        "appeals.sweep": [at(2026, 3, 2, 10, 0)],
        "notify.retry": [at(2026, 3, 2, 10, 5)],
        "audit.seal": [at(2026, 3, 2, 10, 5)],
        "report.day": [at(2026, 3, 2, 1, 30)],
        "report.week": [at(2026, 3, 2, 1, 40)],
        "report.month": [at(2026, 3, 1, 1, 50)],
        "report.quarter": [at(2026, 1, 1, 2, 10)],
        "jobs.prune": [at(2026, 3, 2, 3, 30)],
    }
    queued = DBTaskResult.objects.filter(status="READY")
    assert queued.count() == len(SCHEDULE)
    assert {str(r.id) for r in queued} == set(JobSlot.objects.values_list("task_id", flat=True))
    week = DBTaskResult.objects.get(id=JobSlot.objects.get(job="report.week").task_id)
    assert week.task_path == "onewindow.jobs.tasks.report_task"
    assert week.args_kwargs == {"args": [], "kwargs": {"kind": "week", "today": "2026-03-02"}}

    # a second tick in the same slots (a second worker, a restart) enqueues nothing
    assert services.enqueue_due(now=now + dt.timedelta(seconds=40)) == []
    assert DBTaskResult.objects.count() == len(SCHEDULE)
    # the next minute: only the every-minute jobs
    later = services.enqueue_due(now=at(2026, 3, 2, 10, 6, 1))
    assert sorted(e.job for e in later) == ["audit.seal", "notify.retry"]
    # half past: the sweeps again
    later = services.enqueue_due(now=at(2026, 3, 2, 10, 30))
    assert sorted(e.job for e in later) == [
        "appeals.sweep",
        "audit.seal",
        "notify.retry",
        "supervise",
    ]


def test_a_slot_taken_by_another_worker_is_skipped() -> None:
    now = at(2026, 3, 2, 10, 5)
    JobSlot.objects.create(job="supervise", slot=at(2026, 3, 2, 10, 0), task_id="elsewhere")
    done = services.enqueue_due(now=now, only=["supervise", "appeals.sweep"])
    assert [e.job for e in done] == ["appeals.sweep"]
    assert DBTaskResult.objects.count() == 1


def test_after_downtime_only_the_latest_slot_of_each_job() -> None:
    services.enqueue_due(now=at(2026, 3, 2, 10, 5))
    # the worker was down from Monday morning to Thursday 09:17
    again = services.enqueue_due(now=at(2026, 3, 5, 9, 17, 30))
    assert sorted(e.job for e in again) == [
        "appeals.sweep",
        "audit.seal",
        "jobs.prune",
        "notify.retry",
        "report.day",
        "supervise",
    ]  # this week's, month's and quarter's reports were enqueued on Monday already
    found = slots()
    assert found["supervise"] == [at(2026, 3, 2, 10, 0), at(2026, 3, 5, 9, 0)]
    assert found["audit.seal"] == [at(2026, 3, 2, 10, 5), at(2026, 3, 5, 9, 17)]
    assert found["report.day"] == [at(2026, 3, 2, 1, 30), at(2026, 3, 5, 1, 30)]
    assert found["report.week"] == [at(2026, 3, 2, 1, 40)]
    assert DBTaskResult.objects.count() == len(SCHEDULE) + len(again)
    # a clock set back never re-enqueues a slot older than one already had
    assert services.enqueue_due(now=at(2026, 3, 4, 12, 0)) == []


def test_worker_once_runs_the_sweeps_and_their_effects_show(
    caplog: pytest.LogCaptureFixture,
) -> None:
    appeal = file_appeal()
    case = walk_in()  # accepted Monday 2 March; the review step is due Friday 6 March
    review = case.steps.get(state_key="review")
    day = dt.date(2026, 3, 13)  # nothing ran for two weeks
    caplog.set_level(logging.INFO, logger="onewindow.jobs")
    with clock.simulate(day):
        call_command("worker", "--once")
    assert set(slots()) == set(JOBS)
    results = DBTaskResult.objects.all()
    assert results.count() == len(SCHEDULE)
    assert {r.task_path.rsplit(".", 1)[1]: r.status for r in results} == {
        "supervise_task": "SUCCESSFUL",
        "appeals_sweep_task": "SUCCESSFUL",
        "notify_retry_task": "SUCCESSFUL",
        "audit_seal_task": "SUCCESSFUL",
        "report_task": "SUCCESSFUL",
        "prune_task": "SUCCESSFUL",
    }
    # the appeal overdue since Tuesday 3 March was reminded, supervised and escalated
    assert set(
        AppealEscalation.objects.filter(dispatch__appeal=appeal).values_list("step", flat=True)
    ) >= {
        "remind",
        "supervise",
        "escalate",
    }
    assert appeal.dispatches.order_by("pk")[0].state == DispatchState.ESCALATED
    # the case's review step, red for a week, climbed the ladder's overdue rungs
    assert sorted(
        Escalation.objects.filter(alert__step=review).values_list("level", flat=True)
    ) == [2, 3, 4]
    sweep = Sweep.objects.get()
    assert sweep.day == day and sweep.run_by == "worker"
    assert AuditEntry.objects.filter(action="supervision.escalate").exists()
    assert AuditEntry.objects.filter(action="supervision.sweep.finish").exists()
    # the four reports: the last complete day, week, month and quarter before the 13th
    assert sorted(Report.objects.values_list("period", "start")) == sorted(
        [
            ("day", dt.date(2026, 3, 12)),
            ("week", dt.date(2026, 3, 2)),
            ("month", dt.date(2026, 2, 1)),
            ("quarter", dt.date(2025, 10, 1)),
        ]
    )
    assert AuditEntry.objects.filter(action="stats.report").count() == 4
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()  # all sealed
    # one line per task run
    lines = [r.getMessage() for r in caplog.records if r.name == "onewindow.jobs"]
    ran = [line for line in lines if " 任务 " in line]
    assert len(ran) == len(SCHEDULE), lines

    # the same tick again: nothing new enqueued, so nothing new recorded
    escalations = AppealEscalation.objects.count() + Escalation.objects.count()
    with clock.simulate(day):
        call_command("worker", "--once", "--job", "supervise", "--job", "appeals.sweep")
    assert DBTaskResult.objects.count() == len(SCHEDULE)
    assert AppealEscalation.objects.count() + Escalation.objects.count() == escalations


def test_a_failing_task_is_recorded_failed_and_the_next_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    appeal = file_appeal()

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("监察数据库不可用")

    monkeypatch.setattr(supervision_services, "supervise", broken)
    with clock.simulate(dt.date(2026, 3, 10)):
        call_command("worker", "--once", "--job", "supervise", "--job", "appeals.sweep")
    failed = DBTaskResult.objects.get(
        id=JobSlot.objects.get(job="supervise").task_id, status="FAILED"
    )
    assert failed.exception_class_path == "builtins.RuntimeError"
    assert "监察数据库不可用" in failed.traceback
    assert status_of("appeals.sweep") == "SUCCESSFUL"
    assert AppealEscalation.objects.filter(dispatch__appeal=appeal).count() == 3
    # the failed slot is not run again; the next slot is
    with clock.simulate(dt.date(2026, 3, 10)):
        call_command("worker", "--once", "--job", "supervise")
    assert JobSlot.objects.filter(job="supervise").count() == 1


def test_sigterm_finishes_the_tick_and_exits(monkeypatch: pytest.MonkeyPatch) -> None:
    real = services.enqueue_due
    ticks = []

    def tick_then_terminate(**kwargs: Any) -> list[services.Enqueued]:
        done = real(**kwargs)
        ticks.append(done)
        os.kill(os.getpid(), signal.SIGTERM)
        return done

    monkeypatch.setattr(services, "enqueue_due", tick_then_terminate)
    before = signal.getsignal(signal.SIGTERM)
    call_command("worker", "--interval", "0.1", "--job", "audit.seal")  # returns: no hang
    assert len(ticks) == 1
    assert status_of("audit.seal") == "READY"  # stopped before taking it from the queue
    assert signal.getsignal(signal.SIGTERM) == before


def test_the_worker_needs_the_database_queue(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="数据库队列"):
        call_command("worker", "--once")


def test_the_runs_are_in_the_back_office(as_user: Any) -> None:
    with clock.simulate(dt.date(2026, 3, 10)):
        call_command("worker", "--once", "--job", "appeals.sweep", "--job", "audit.seal")
    admin = as_user("xitong")
    page = admin.get("/sysadmin/jobs/jobslot/")
    assert page.status_code == 200 and "appeals.sweep" in page.content.decode()
    page = admin.get("/sysadmin/django_tasks_database/dbtaskresult/")
    assert page.status_code == 200 and "appeals_sweep_task" in page.content.decode()
    assert as_user("jiancha").get("/sysadmin/jobs/jobslot/").status_code in (302, 403)


def test_prune_forgets_old_bookkeeping_but_each_jobs_latest_slot_and_is_audited() -> None:
    now = at(2026, 3, 30, 3, 30)
    old, recent = at(2026, 3, 1, 2, 0), at(2026, 3, 29, 2, 0)
    JobSlot.objects.create(job="a", slot=old)
    JobSlot.objects.create(job="a", slot=at(2026, 3, 2, 2, 0))
    JobSlot.objects.create(job="a", slot=recent)
    JobSlot.objects.create(job="b", slot=old)  # b's latest slot: kept, however old

    def result(status: str, finished: dt.datetime | None) -> DBTaskResult:
        return DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="onewindow.jobs.tasks.prune_task",
            backend_name="default",
            run_after=old,
            finished_at=finished,
            exception_class_path="",
            traceback="",
        )

    gone = result("SUCCESSFUL", old)
    kept = [result("SUCCESSFUL", recent), result("FAILED", recent), result("READY", None)]

    assert services.prune(now=now) == {"slots": 2, "results": 1}
    assert sorted(JobSlot.objects.values_list("job", "slot")) == [("a", recent), ("b", old)]
    assert not DBTaskResult.objects.filter(pk=gone.pk).exists()
    assert DBTaskResult.objects.filter(pk__in=[r.pk for r in kept]).count() == 3
    entry = AuditEntry.objects.get(action="jobs.prune")
    assert entry.changes["after"] == {
        "cutoff": "2026-03-16T03:30:00+08:00",
        "slots": 2,
        "results": 1,
    }
    assert "计划时段 2 条，任务结果 1 条" in entry.summary

    assert services.prune(now=now) == {"slots": 0, "results": 0}  # nothing more: nothing audited
    assert AuditEntry.objects.filter(action="jobs.prune").count() == 1


def test_a_task_lost_with_its_worker_is_failed_and_a_report_request_queued_again(
    as_user: Any,
) -> None:
    """A worker killed mid-task leaves it running: the next worker marks it failed, saying why,
    queues a report asked for on the page again, and runs it; a task that started recently (a
    live worker's) is left alone."""
    from onewindow.stats.models import ReportRequest

    as_user("jiancha").post(
        "/workbench/stats/reports/generate/", {"period": "month", "on": "2026-10-30"}
    )
    asked = ReportRequest.objects.get()
    queued = DBTaskResult.objects.get(task_path="onewindow.stats.tasks.report_request_task")
    long_ago = timezone.now() - dt.timedelta(hours=2)
    # the killed worker had claimed it two hours before; another worker's sweep is under way
    DBTaskResult.objects.filter(pk=queued.pk).update(status="RUNNING", started_at=long_ago)
    live = DBTaskResult.objects.create(
        status="RUNNING",
        started_at=timezone.now() - dt.timedelta(minutes=10),
        args_kwargs={"args": [], "kwargs": {}},
        task_path="onewindow.jobs.tasks.supervise_task",
        backend_name="default",
        run_after=long_ago,
        exception_class_path="",
        traceback="",
    )

    call_command("worker", "--once", "--job", "notify.retry", verbosity=0)

    queued.refresh_from_db()
    assert queued.status == "FAILED" and queued.exception_class_path == services.LOST
    assert "被强制终止或机器重启" in queued.traceback
    again = DBTaskResult.objects.filter(
        task_path="onewindow.stats.tasks.report_request_task", status="SUCCESSFUL"
    ).get()
    assert again.args_kwargs["args"] == [asked.pk]
    asked.refresh_from_db()
    assert asked.state == "done" and asked.report is not None
    live.refresh_from_db()
    assert live.status == "RUNNING"
    entry = AuditEntry.objects.get(action="jobs.recover")
    assert entry.changes["after"] == {"lost": 1, "rerun": 1}
