"""A "one thing" bundle: one form, one set of materials, linked cases in stages."""

from __future__ import annotations

import pytest

from onewindow.cases import services
from onewindow.cases.choices import CaseStatus, MaterialStatus
from onewindow.catalogue.models import Bundle
from onewindow.core.errors import InvalidInput, InvalidTransition

from .conftest import applicant, pdf, user

pytestmark = pytest.mark.django_db


def first_answers(plan):  # type: ignore[no-untyped-def]
    return {field: situation.options.all()[0].key for field, situation in plan.questions}


def test_business_start_bundle_in_stages(days) -> None:  # type: ignore[no-untyped-def]
    bundle = Bundle.objects.get(code="YJS-001")
    plan = services.bundle_plan(bundle, {})
    assert plan.unanswered
    answers = first_answers(plan)
    plan = services.bundle_plan(bundle, answers)
    assert not plan.unanswered
    names = [m.name for m in plan.materials]
    assert len(names) == len(set(names))  # each material asked once
    licence = next(m for m in plan.materials if m.name == "营业执照")
    assert licence.provided_by == "营业执照"  # stage 1 produces it

    asked = [m for m in plan.materials if not m.provided_by]
    required = [m for m in asked if m.required]
    with pytest.raises(InvalidInput) as missing:
        services.bundle_submit(
            actor=applicant("13900000011"), bundle_code="YJS-001", answers=answers, uploads={}
        )
    assert missing.value.field == required[0].field
    application = services.bundle_submit(
        actor=applicant("13900000011"),
        bundle_code="YJS-001",
        answers=answers,
        uploads={m.field: pdf() for m in asked},
        submission_key="bundle-1",
    )
    again = services.bundle_submit(
        actor=applicant("13900000011"),
        bundle_code="YJS-001",
        answers=answers,
        uploads={m.field: pdf() for m in asked},
        submission_key="bundle-1",
    )
    assert again.pk == application.pk
    cases = list(application.cases.order_by("bundle_order", "pk"))
    assert len(cases) == 7
    first, later = cases[0], cases[1]
    assert first.version.name == "企业设立登记"
    assert later.waits_for.filter(pk=first.pk).exists()

    with pytest.raises(InvalidTransition, match="前置事项"):
        services.case_accept(case=later, actor=user("zc01"))

    first = services.case_accept(case=first, actor=user("zc01"))
    first = services.case_act(case=first, actor=user("scjg_sp2"), action="pass")
    first = services.case_act(case=first, actor=user("scjg_fzr"), action="approve")
    assert first.status == CaseStatus.APPROVED

    seal_licence = later.materials.get(name__startswith="营业执照")
    assert seal_licence.status == MaterialStatus.LICENCE
    assert seal_licence.licence.case == first
    later = services.case_accept(case=later, actor=user("zc01"))
    assert later.status in (CaseStatus.IN_PROGRESS, CaseStatus.APPROVED)
