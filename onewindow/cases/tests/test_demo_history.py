"""The demo's year of cases, replayed through the services on the simulated clock."""

from __future__ import annotations

import datetime as dt

import pytest

from onewindow.cases import demo
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import Case

pytestmark = pytest.mark.django_db


def test_a_year_of_history_in_every_state_and_idempotent() -> None:
    from onewindow.calendar.selectors import clear_calendar_cache

    clear_calendar_cache()  # another test on this worker may have left its own calendar cached
    made = demo.build_history(count=60, end=dt.date(2026, 11, 27))
    assert made == 60
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {CaseStatus.APPROVED, CaseStatus.IN_PROGRESS} <= statuses
    assert len(statuses) >= 4
    first = Case.objects.order_by("submitted_at").first()
    assert first is not None and first.submitted_at.date() < dt.date(2026, 3, 1)
    # timelines carry the simulated days, not the day the demo was loaded
    assert first.events.order_by("at").first().at.date() == first.submitted_at.date()  # type: ignore[union-attr]
    assert Case.objects.filter(delivered_at__isnull=False).exists()
    assert demo.build_history(count=60, end=dt.date(2026, 11, 27)) == 0
