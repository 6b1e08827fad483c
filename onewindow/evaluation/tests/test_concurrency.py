"""Real concurrent connections on PostgreSQL: the same stage rated from two phones at the same
moment is one rating; two department heads' pages answering at once, one wins."""

from __future__ import annotations

import pytest

from onewindow.cases.tests.test_concurrency import run_together
from onewindow.core.errors import InvalidTransition
from onewindow.evaluation import services, tokens
from onewindow.evaluation.models import Rating, Rectification

from .conftest import seal_case, user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_stage_rated_twice_at_once_is_one_rating(require_postgres: None, days) -> None:  # type: ignore[no-untyped-def]
    case = seal_case()
    token = tokens.rating_token(case.pk)
    results, errors = run_together(
        [
            lambda level=level: services.rate_by_token(token=token, stage="completion", level=level)
            for level in (5, 1, 4, 2)
        ]
    )
    assert len(results) == 1 and len(errors) == 3, errors
    assert all(isinstance(e, InvalidTransition) and e.code == "conflict" for e in errors)
    assert Rating.objects.filter(case=case, stage="completion").count() == 1
    rating = Rating.objects.get(case=case)
    assert Rectification.objects.filter(rating=rating).count() == (1 if rating.is_bad else 0)


def test_two_pages_investigating_at_once_one_wins(require_postgres: None, days) -> None:  # type: ignore[no-untyped-def]
    case = seal_case()
    services.rate_by_token(token=tokens.rating_token(case.pk), stage="completion", level=1)
    task = Rectification.objects.get()
    seen = task.revision
    head = user("ga_fzr")
    results, errors = run_together(
        [
            lambda n=n: services.rectification_investigate(
                task=task, actor=head, finding=f"第 {n} 份调查", expected_revision=seen
            )
            for n in range(3)
        ]
    )
    assert len(results) == 1 and len(errors) == 2
    assert all(isinstance(e, InvalidTransition) and e.code == "conflict" for e in errors)
    task.refresh_from_db()
    assert task.status == "investigated" and task.revision == seen + 1
