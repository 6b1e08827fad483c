"""Satisfaction and rectification rates come through the one adapter (`stats.ratings`) from the
evaluation app; checked here against the rating rows themselves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps

from onewindow.cases.choices import FINISHED_STATUSES
from onewindow.cases.models import Case
from onewindow.core.demo_county import COUNTY_CODE
from onewindow.org.models import Region
from onewindow.stats import selectors
from onewindow.stats.choices import Dimension, PeriodKind
from onewindow.stats.periods import Period

from .conftest import END

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not apps.is_installed("onewindow.evaluation"), reason="the evaluation app is not here"
    ),
]


def test_satisfaction_and_rectification_rates(history: int) -> None:
    from onewindow.evaluation import services as evaluation
    from onewindow.evaluation.models import Rating, Rectification

    period = Period(PeriodKind.CUSTOM, dt.date(2025, 10, 1), END)
    finished = Case.objects.filter(
        status__in=list(FINISHED_STATUSES),
        submitted_by__kind="applicant",
        completed_on__gte=period.start,
        completed_on__lte=period.end,
    ).select_related("submitted_by")
    rated = list(finished[:6])
    assert len(rated) >= 3
    for n, case in enumerate(rated):
        evaluation.rate_online(
            case=case, actor=case.submitted_by, stage="completion", level=1 if n % 3 == 0 else 5
        )
    tasks = Rectification.objects.filter(case__in=rated)
    assert tasks.exists()
    Rectification.objects.filter(pk=tasks.first().pk).update(status="closed")  # type: ignore[union-attr]

    scope = selectors.scope_for_region(Region.objects.get(code=COUNTY_CODE))
    table = selectors.figures(scope, period, Dimension.DEPARTMENT)
    # expected, from the rows
    levels: dict[int, list[int]] = {}
    for case_id, level in Rating.objects.values_list("case_id", "level"):
        levels.setdefault(case_id, []).append(level)
    in_period = set(
        Case.objects.filter(
            status__in=list(FINISHED_STATUSES),
            completed_on__gte=period.start,
            completed_on__lte=period.end,
        ).values_list("pk", flat=True)
    )
    rated_ids = [c for c in levels if c in in_period]
    satisfied = [c for c in rated_ids if min(levels[c]) >= 3]
    assert table.total.satisfaction_rate == pytest.approx(len(satisfied) / len(rated_ids))
    closed = Rectification.objects.filter(case__in=in_period, status="closed").count()
    total = Rectification.objects.filter(case__in=in_period).count()
    assert table.total.rectification_rate == pytest.approx(closed / total)
    assert 0 < table.total.satisfaction_rate < 1  # type: ignore[operator]
    # per department too, and the rows' rated cases add up
    assert sum(r.ratings.rated for r in table.rows if r.ratings) == len(rated_ids)
