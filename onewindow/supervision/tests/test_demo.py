"""The demo's year of history, swept once as the demo does, leaves red and yellow on the board."""

from __future__ import annotations

import datetime as dt

import pytest

from onewindow.cases import clock, demo
from onewindow.core.demo_county import DemoBuilder
from onewindow.supervision import selectors
from onewindow.supervision.models import ClockAlert, Escalation, Sweep

from .conftest import user

pytestmark = pytest.mark.django_db


def test_the_demo_shows_red_and_yellow_cases() -> None:
    end = dt.date(2026, 11, 27)
    assert demo.build_history(end=end) > 0
    with clock.simulate(end):
        DemoBuilder(history=True).build_supervision()
        DemoBuilder(history=True).build_supervision()  # idempotent: one sweep a day
    assert Sweep.objects.filter(day=end).count() == 1
    counts = selectors.state_counts(
        selectors.board_cases(user("jiancha"), selectors.BoardFilters(), end)
    )
    assert counts["overdue"] >= 1 and counts["warning"] >= 1, counts
    assert ClockAlert.objects.filter(state="overdue").exists()
    assert Escalation.objects.exists()
