"""`onewindow worker`: the background worker (docs/adr/0011-background-worker.md).

  onewindow worker                 every --interval seconds: enqueue the periodic jobs that are
                                   due (onewindow.jobs.schedule), then run every queued task
  onewindow worker --once          one such tick, then exit (tests; or from cron)
  onewindow worker --job supervise --once      only these jobs are enqueued (repeatable)

The queue is django-tasks-db's table in the application's database, run by its own worker code.
A task that raises is recorded failed (with its traceback) and the next one runs. SIGTERM or
Ctrl-C: the task under way finishes, then the worker exits; a second signal stops it at once.
On start it marks failed what a killed worker left running (`services.recover_lost`) and
queues again a report asked for on the page that was lost that way.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from onewindow.jobs import services
from onewindow.jobs.models import JobSlot
from onewindow.jobs.schedule import JOBS, SCHEDULE

log = logging.getLogger("onewindow.jobs")

STATUS = {"SUCCESSFUL": "完成", "FAILED": "失败"}


class _Worker(Worker):
    """django-tasks-db's worker, with one log line per task run."""

    def run_task(self, db_task_result: DBTaskResult) -> None:
        started = time.monotonic()
        super().run_task(db_task_result)
        seconds = time.monotonic() - started
        name = (
            JobSlot.objects.filter(task_id=str(db_task_result.id))
            .values_list("job", flat=True)
            .first()
        ) or db_task_result.task_path.rsplit(".", 1)[-1]
        status = STATUS.get(db_task_result.status, db_task_result.status)
        if db_task_result.status == "FAILED":
            error = db_task_result.exception_class_path.rsplit(".", 1)[-1]
            log.error("%s 任务 %s %s（%.1f 秒）：%s", _stamp(), name, status, seconds, error)
        else:
            log.info(
                "%s 任务 %s %s（%.1f 秒）：%s",
                _stamp(),
                name,
                status,
                seconds,
                db_task_result.return_value,
            )


def _stamp() -> str:
    return f"{timezone.localtime():%Y-%m-%d %H:%M:%S}"


def _interval(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1
    if not 0 < seconds <= 3600:
        raise CommandError(f"--interval “{value}”应是 0 到 3600 之间的秒数，例如 10。")
    return seconds


class Command(BaseCommand):
    help = "后台任务：按计划把到期的定期任务（巡查、催办、重发、封存、考核报告）放入队列并执行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="只执行一轮（入队并执行）后退出")
        parser.add_argument(
            "--interval", type=_interval, default=10.0, help="两轮之间等待的秒数（默认 10）"
        )
        parser.add_argument(
            "--job",
            action="append",
            default=[],
            choices=list(JOBS),
            metavar="NAME",
            help="只为这些任务入队（可多次给出）：" + "、".join(JOBS),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                "后台任务需要数据库队列：设置 TASKS 的 BACKEND 为 django_tasks_db.DatabaseBackend。"
            )
        self._quiet_library_logs(options["verbosity"])
        if options["verbosity"] == 0:
            log.setLevel(logging.WARNING)
        worker = _Worker(
            queue_names=["*"],
            interval=1,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            if stop.is_set():
                raise SystemExit(1)  # a second signal: stop now
            log.warning("收到 %s：当前任务完成后退出（再按一次立即退出）", signal.strsignal(signum))
            stop.set()
            worker.running = False

        # signals reach only the main thread (called from another thread: no handlers)
        previous = (
            {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
            if threading.current_thread() is threading.main_thread()
            else {}
        )
        try:
            try:
                recovered = services.recover_lost()
            except DatabaseError:  # the database away: the ticks will say so, and retry
                recovered = {"lost": 0, "rerun": 0}
            if recovered["lost"]:
                log.warning(
                    "%s 上次中断时未完成的任务 %s 个已标为失败，其中 %s 个重新排队",
                    _stamp(),
                    recovered["lost"],
                    recovered["rerun"],
                )
            if not options["once"]:
                log.info(
                    "后台任务已启动：每 %s 秒检查一次；计划：%s",
                    f"{options['interval']:g}",
                    "；".join(f"{j.title or j.name} {j.when.describe()}" for j in SCHEDULE),
                )
            while not stop.is_set():
                if options["once"]:
                    self._tick(worker, options["job"])
                    break
                try:
                    self._tick(worker, options["job"])
                except DatabaseError:  # the database away for a moment: try again next tick
                    log.exception(
                        "%s 后台任务本轮出错，%s 秒后重试", _stamp(), f"{options['interval']:g}"
                    )
                close_old_connections()
                stop.wait(options["interval"])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if stop.is_set():
            log.info("后台任务已停止")

    def _tick(self, worker: _Worker, only: list[str]) -> None:
        for row in services.enqueue_due(only=only):
            log.debug("%s 已入队（%s）", row.job, row.slot)
        worker.run()

    @staticmethod
    def _quiet_library_logs(verbosity: int) -> None:
        # django-tasks logs each task's start and finish and django-tasks-db each batch; the
        # worker logs one line per task itself. Failures (with the traceback) are still logged.
        level = logging.DEBUG if verbosity > 2 else logging.WARNING
        logging.getLogger("django_tasks").setLevel(level)
        logging.getLogger("django_tasks_db").setLevel(level)
