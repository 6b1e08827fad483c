from __future__ import annotations

import datetime as dt

import pytest

from onewindow.appeals.demo import build_appeals
from onewindow.appeals.models import Appeal, Escalation

pytestmark = pytest.mark.django_db


def test_demo_history_through_services_once() -> None:
    from onewindow.calendar.selectors import clear_calendar_cache

    clear_calendar_cache()
    made = build_appeals(count=12, end=dt.date(2026, 3, 31))
    assert made == 12 and Appeal.objects.count() == 12
    assert {a.status for a in Appeal.objects.all()} >= {"dispatched", "replied", "closed"}
    assert Escalation.objects.exists()  # the ones left waiting were swept
    assert build_appeals(count=12, end=dt.date(2026, 3, 31)) == 0
