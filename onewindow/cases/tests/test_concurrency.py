"""Real concurrent connections on PostgreSQL: case numbers stay unique, and of two people acting
on the same case at the same moment exactly one wins while the other is told of the conflict.

These tests commit for real (transaction=True); Django flushes the database afterwards and the
next test reloads the demo county (onewindow/conftest.py)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connections

from onewindow.cases import services
from onewindow.cases.models import Case, CaseEvent
from onewindow.core.errors import InvalidTransition

from .conftest import FOOD, applicant, pdf, user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FOOD_NEW = {"apply_type": "new", "agent": "self"}


def run_together(targets: list[Callable[[], object]]) -> tuple[list[object], list[BaseException]]:
    results: list[object] = []
    errors: list[BaseException] = []
    start = threading.Barrier(len(targets))

    def wrap(target: Callable[[], object]) -> threading.Thread:
        def run() -> None:
            close_old_connections()
            try:
                start.wait()
                results.append(target())
            except BaseException as exc:  # collected for the test
                errors.append(exc)
            finally:
                connections.close_all()

        return threading.Thread(target=run)

    threads = [wrap(t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, errors


def submit(key: str) -> Case:
    return services.case_submit(
        actor=applicant("13900000012"),
        item_code=FOOD,
        answers=FOOD_NEW,
        uploads={k: pdf() for k in ("app_form", "licence", "id_card", "layout")},
        submission_key=key,
    )


def test_case_numbers_are_unique_under_concurrency(require_postgres: None, days) -> None:  # type: ignore[no-untyped-def]
    results, errors = run_together([lambda n=n: submit(f"n{n}") for n in range(8)])
    assert not errors, errors
    numbers = sorted(c.number for c in results)  # type: ignore[attr-defined]
    assert len(set(numbers)) == 8
    assert [n[-4:] for n in numbers] == [f"{i:04d}" for i in range(1, 9)]


def test_the_same_submission_at_the_same_moment_is_one_case(require_postgres: None, days) -> None:  # type: ignore[no-untyped-def]
    results, errors = run_together([lambda: submit("double-click")] * 4)
    assert not errors, errors
    assert len({c.pk for c in results}) == 1  # type: ignore[attr-defined]
    assert Case.objects.filter(submission_key="double-click").count() == 1


def test_two_acceptors_at_the_same_moment_one_wins(require_postgres: None, days) -> None:  # type: ignore[no-untyped-def]
    case = submit("race")
    seen = case.revision

    def accept(username: str) -> Callable[[], object]:
        return lambda: services.case_accept(
            case=case,
            actor=user(username),
            deferred={"rules": dt.date(2026, 3, 9)},
            expected_revision=seen,
        )

    results, errors = run_together([accept("zc01"), accept("zc02")])
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], InvalidTransition) and errors[0].code == "conflict"
    assert "刷新" in errors[0].message
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1
    assert case.steps.count() == 1
