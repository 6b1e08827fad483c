"""Two sweeps at the same moment on PostgreSQL (cron fired twice, two workers): every event and
every notice still happens exactly once. Commits for real; the demo county is reloaded after."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import close_old_connections, connections

from onewindow.notifications.models import Message
from onewindow.supervision.models import ClockAlert, Escalation
from onewindow.supervision.services import SweepResult, supervise

from .conftest import walk_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_sweeps_at_once_send_each_notice_once(require_postgres: None) -> None:
    cases = [walk_in() for _ in range(4)]
    day = dt.date(2026, 3, 13)  # every review is five working days overdue: all four rungs due
    results: list[SweepResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def run() -> None:
        close_old_connections()
        try:
            start.wait()
            results.append(supervise(day=day, chunk_size=2))
        except BaseException as exc:  # collected for the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(results) == 3
    alerts = ClockAlert.objects.filter(case__in=cases)
    assert sum(r.alerts for r in results) == alerts.count()
    assert sum(r.notices for r in results) == Escalation.objects.count()
    rungs = Counter(Escalation.objects.values_list("alert_id", "level"))
    assert rungs and all(n == 1 for n in rungs.values())
    inbox = Message.objects.filter(topic__startswith="supervision.", channel="inbox")
    assert inbox.count() == sum(len(e.recipients) for e in Escalation.objects.all())
