"""Helpers for supervision tests: cases made by the case engine's own services on simulated
days (`clock.simulate`), in the demo county."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from onewindow.accounts.models import User
from onewindow.calendar.selectors import add_working_days, clear_calendar_cache
from onewindow.cases import clock, services
from onewindow.cases.models import Case
from onewindow.catalogue.models import Item
from onewindow.catalogue.selectors import materials_for
from onewindow.supervision.services import supervise

FOOD = "002001005000"  # 食品经营许可: 市场监管, review 4 + decide 1, promised 5 / statutory 10
FOOD_ANSWERS = {"apply_type": "new", "agent": "self"}
MONDAY = dt.date(2026, 3, 2)


def user(username: str) -> User:
    return User.objects.get(username=username)


def working(day: dt.date, n: int) -> dt.date:
    return add_working_days(day, n)


def walk_in(
    item_code: str = FOOD,
    *,
    on: dt.date = MONDAY,
    actor: str = "zc01",
    answers: dict[str, str] | None = None,
    hold_back: tuple[str, ...] = (),
    accept: bool = True,
    deferred: dict[str, dt.date] | None = None,
) -> Case:
    """A walk-in application with every paper material checked (except `hold_back`), accepted at
    once on `on` unless `accept` is false."""
    item = Item.objects.get(code=item_code)
    assert item.published is not None
    if answers is None:
        answers = (
            FOOD_ANSWERS
            if item_code == FOOD
            else {q.key: q.options.all()[0].key for q in item.published.situations.all()}
        )
    selection = materials_for(item.published, answers)
    with clock.simulate(on):
        case = services.case_submit(
            actor=user(actor),
            item_code=item_code,
            channel="counter",
            applicant=services.ApplicantData(
                kind="legal",
                name="陕西青石建设工程有限公司",
                phone="13900000013",
                credit_code=User.objects.get(
                    phone="13900000013", kind="applicant"
                ).applicant.credit_code,
            ),
            answers=selection.answers,
            presented=[m.key for m in selection.materials if m.key not in hold_back],
        )
        if accept:
            case = services.case_accept(case=case, actor=user(actor), deferred=deferred)
    return case


def sweep(on: dt.date, **kwargs: object):  # type: ignore[no-untyped-def]
    with clock.simulate(on):
        return supervise(day=on, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    clear_calendar_cache()  # another test may have left its own calendar cached
    yield
    clear_calendar_cache()
