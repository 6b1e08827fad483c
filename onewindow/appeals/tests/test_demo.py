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
    assert made == 14 and Appeal.objects.count() == 14
    merged = Appeal.objects.get(merged_into__isnull=False)
    assert merged.merged_into is not None and merged.merged_into.title == "村口桥梁护栏缺失"
    assert merged.merged_into.dispatches.filter(lead=False).exists()  # an assisting unit
    assert {a.status for a in Appeal.objects.all()} >= {"dispatched", "replied", "closed"}
    assert Escalation.objects.exists()  # the ones left waiting were swept
    assert build_appeals(count=12, end=dt.date(2026, 3, 31)) == 0
