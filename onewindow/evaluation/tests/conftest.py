from __future__ import annotations

import datetime as dt

import pytest

from onewindow.cases import services as cases
from onewindow.cases.models import Case
from onewindow.cases.tests.conftest import (  # noqa: F401 - fixtures
    FOOD,
    SEAL,
    Days,
    applicant,
    days,
    pdf,
    user,
)

FOOD_NEW = {"apply_type": "new", "agent": "self"}
FOOD_UPLOADS = ("app_form", "licence", "id_card", "layout")


def seal_case() -> Case:
    """印章刻制备案 at the counter of 综合受理窗口 01: accepted and finished at once by zc01."""
    case = cases.case_submit(
        actor=user("zc01"),
        item_code=SEAL,
        channel="counter",
        applicant=cases.ApplicantData(
            kind="legal",
            name="陕西青石建设工程有限公司",
            phone="13900000013",
            credit_code=applicant("13900000013").applicant.credit_code,
        ),
        answers={"seal_type": "new", "agent": "self"},
        presented=["licence", "lr_id"],
    )
    return cases.case_accept(case=case, actor=user("zc01"))


def food_case(*, finish: bool = True) -> Case:
    """食品经营许可 applied online by 13900000012, accepted by zc01 (容缺), reviewed by scjg_sp2,
    approved by scjg_fzr."""
    case = cases.case_submit(
        actor=applicant("13900000012"),
        item_code=FOOD,
        answers=FOOD_NEW,
        uploads={k: pdf(f"{k}.pdf") for k in FOOD_UPLOADS},
    )
    case = cases.case_accept(case=case, actor=user("zc01"), deferred={"rules": dt.date(2026, 3, 9)})
    if finish:
        case = cases.case_act(case=case, actor=user("scjg_sp2"), action="pass")
        case = cases.case_act(case=case, actor=user("scjg_fzr"), action="approve")
    return case


@pytest.fixture
def finished(days: Days) -> Case:  # noqa: F811 - the imported fixture
    return seal_case()
