"""The demo's ratings, made through the services on the simulated days of the year of cases."""

from __future__ import annotations

import datetime as dt

import pytest

from onewindow.cases import demo as cases_demo
from onewindow.cases.models import Case
from onewindow.evaluation import demo, selectors
from onewindow.evaluation.choices import RectificationStatus
from onewindow.evaluation.models import Rating, Rectification

pytestmark = pytest.mark.django_db


def test_demo_ratings_with_rectifications_in_several_states_and_idempotent() -> None:
    from onewindow.calendar.selectors import clear_calendar_cache

    clear_calendar_cache()
    end = dt.date(2026, 11, 27)
    cases_demo.build_history(count=140, end=end)
    made = demo.build_ratings(end=end)
    assert made > 60
    summary = selectors.rating_summary(Case.objects.filter(completed_on__isnull=False))
    assert summary.unrated > 0 and summary.bad >= 3
    assert summary.satisfaction_rate is not None and summary.satisfaction_rate > 0.9
    channels = set(Rating.objects.values_list("channel", flat=True))
    assert {"qr", "counter"} <= channels
    states = set(Rectification.objects.values_list("status", flat=True))
    assert RectificationStatus.CLOSED in states and len(states) >= 3
    # rated on the simulated days, not on the day the demo was loaded
    first = Rating.objects.filter(stage="completion").order_by("rated_on").first()
    assert first is not None and first.rated_on < dt.date(2026, 6, 1)
    assert first.case is not None and first.case.completed_on is not None
    assert first.rated_on >= first.case.completed_on
    for rating in Rating.objects.filter(stage="acceptance").select_related("case"):
        assert rating.case is not None and rating.rated_on == rating.case.accepted_on
    assert demo.build_ratings(end=end) == 0
