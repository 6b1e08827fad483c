"""The whole path over simulated days, as issue 6 states it: filed by a village resident → the
village does not sign in time → (the sweep) escalates to the town → the town bounces it (退单)
→ the command centre transfers it to a county department → resolved (reply) → the citizen is
unsatisfied → reopened → resolved → satisfied. Every clock is checked against the working-day
calendar and every notice in the outbox: each 催办/督办 once, the citizen told at each step.

The sweep runs every day, as the cron job would (twice on some days: it must stay idempotent).
test_flow.py walks a similar path with services only; this one goes through the citizen's own
pages and the `appeals sweep` command and checks the outbox end to end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from onewindow.appeals import services
from onewindow.appeals.choices import DispatchState, Status
from onewindow.appeals.models import Appeal, AppealEvent, Category, Dispatch, Escalation
from onewindow.calendar.selectors import add_working_days
from onewindow.cases import clock
from onewindow.cases.tests.conftest import Days
from onewindow.notifications.models import Message
from onewindow.org.models import Department, Region

from .test_flow import u

pytestmark = pytest.mark.django_db

VILLAGE = "610799101001"  # 青石镇青石村
TOWN = "610799101000"  # 青石镇
PHONE = "13900000001"  # 李秀英, a resident of 青石村


@pytest.fixture
def days(monkeypatch: pytest.MonkeyPatch) -> Iterator[Days]:
    from onewindow.calendar.selectors import clear_calendar_cache

    clear_calendar_cache()
    simulated = Days(dt.date(2026, 3, 2))  # a Monday
    monkeypatch.setattr(clock, "today", simulated)
    yield simulated
    clear_calendar_cache()


def walk(days: Days, to: dt.date) -> None:
    """Go forward day by day to `to`, running the daily sweep on each day after today."""
    while days.on < to:
        days.on += dt.timedelta(days=1)
        call_command("appeals", "sweep")


def citizen_told() -> list[str]:
    return list(
        Message.objects.filter(phone=PHONE, channel="sms")
        .order_by("pk")
        .values_list("topic", flat=True)
    )


def inbox(username: str) -> list[str]:
    return list(
        Message.objects.filter(recipient=u(username), channel="inbox")
        .order_by("pk")
        .values_list("topic", flat=True)
    )


def test_village_late_town_bounces_centre_transfers_reopened_then_satisfied(
    days: Days, client: Any
) -> None:
    # Mon 3/2 — a resident of 青石村 files on the public form
    response = client.post(
        "/appeals/new/",
        {
            "kind": "complaint",
            "category": str(Category.objects.get(code="0501").pk),  # 农业农村 / 农村道路
            "region": str(Region.objects.get(code=VILLAGE).pk),
            "title": "村口道路坑洼积水",
            "content": "青石村村口到小学的水泥路有多处坑洼，下雨积水，孩子上学不便。",
            "caller_name": "李秀英",
            "callback_phone": PHONE,
            "urgency": "normal",
            "publish_consent": "1",
        },
    )
    assert response.status_code == 200
    appeal = Appeal.objects.get()
    assert appeal.filed_on == dt.date(2026, 3, 2) and appeal.number == "MQ202603020001"
    village = appeal.dispatches.get()
    assert (village.region.code, village.lead, village.state) == (VILLAGE, True, "waiting")
    assert village.sign_due == dt.date(2026, 3, 3)  # 1 working day
    assert citizen_told() == ["appeal.filed"]
    assert inbox("qingshi1_shouli") == inbox("qingshi1_daiban") == ["appeal.dispatched"]

    # the village does not sign. Tue 3/3: still in time. Wed 3/4: 催办. Thu 3/5: 督办 to the
    # town's head. Fri 3/6: 提级 to the town.
    walk(days, dt.date(2026, 3, 3))
    assert not Escalation.objects.exists()
    walk(days, dt.date(2026, 3, 4))
    call_command("appeals", "sweep")  # a second run the same day adds nothing
    assert inbox("qingshi1_shouli") == ["appeal.dispatched", "appeal.remind"]
    walk(days, dt.date(2026, 3, 5))
    assert inbox("qingshi_fzr") == ["appeal.supervise"]
    walk(days, dt.date(2026, 3, 6))
    call_command("appeals", "sweep")
    assert list(Escalation.objects.order_by("pk").values_list("clock", "step", "on")) == [
        ("sign", "remind", dt.date(2026, 3, 4)),
        ("sign", "supervise", dt.date(2026, 3, 5)),
        ("sign", "escalate", dt.date(2026, 3, 6)),
    ]
    village.refresh_from_db()
    assert village.state == DispatchState.ESCALATED and village.closed_on == dt.date(2026, 3, 6)
    town = appeal.dispatches.get(state=DispatchState.WAITING)
    assert town.region.code == TOWN and town.lead
    assert town.sign_due == dt.date(2026, 3, 9)  # Friday + 1 working day = Monday
    assert citizen_told() == ["appeal.filed", "appeal.escalated"]
    assert inbox("qingshi_sp1") == ["appeal.dispatched"]
    assert inbox("qingshi_fzr") == ["appeal.supervise", "appeal.dispatched"]

    # the weekend passes; Mon 3/9 the town signs in time, then bounces: a county matter
    walk(days, dt.date(2026, 3, 9))
    town = services.sign_for(actor=u("qingshi_sp1"), appeal_id=appeal.pk, dispatch_id=town.pk)
    assert town.signed_on == dt.date(2026, 3, 9)
    assert town.handle_due == dt.date(2026, 3, 26)  # complaint: 13 working days
    centre = services.bounce(
        actor=u("qingshi_sp1"),
        appeal_id=appeal.pk,
        dispatch_id=town.pk,
        reason="县道养护属县住建局职责，镇无权处置",
    )
    assert centre.region.level == "county" and centre.department is None
    assert centre.sign_due == dt.date(2026, 3, 10)
    assert inbox("jiancha") == ["appeal.dispatched"]
    assert citizen_told() == ["appeal.filed", "appeal.escalated"]  # 退单 is internal

    # Tue 3/10 the command centre transfers it to the county 住建局
    walk(days, dt.date(2026, 3, 10))
    zj = Department.objects.get(code="610799-ZJ")
    dept = services.transfer(
        actor=u("jiancha"),
        appeal_id=appeal.pk,
        dispatch_id=centre.pk,
        department_id=zj.pk,
        reason="属县住建局道路养护职责",
    )
    assert dept.department == zj and dept.sign_due == dt.date(2026, 3, 11)
    assert citizen_told()[-1] == "appeal.transferred"
    assert zj.name in Message.objects.filter(phone=PHONE).latest("pk").subject
    assert inbox("zj_sp1") == ["appeal.dispatched"]

    # Wed 3/11 signed; Fri 3/20 resolved, well within its clock
    walk(days, dt.date(2026, 3, 11))
    dept = services.sign_for(actor=u("zj_sp1"), appeal_id=appeal.pk, dispatch_id=dept.pk)
    assert dept.handle_due == dt.date(2026, 3, 30) == add_working_days(dt.date(2026, 3, 11), 13)
    walk(days, dt.date(2026, 3, 20))
    services.reply(
        actor=u("zj_sp1"),
        appeal_id=appeal.pk,
        dispatch_id=dept.pk,
        text="已安排养护队于3月19日完成坑洼修补并疏通边沟。",
    )
    assert citizen_told()[-1] == "appeal.replied"

    # Mon 3/23 the citizen, on the tracking page, is unsatisfied: reopened to the 住建局
    walk(days, dt.date(2026, 3, 23))
    page = client.get("/appeals/track/", {"number": appeal.number, "phone_tail": PHONE[-4:]})
    assert "已安排养护队于3月19日完成坑洼修补" in page.content.decode()
    client.post(
        "/appeals/track/",
        {
            "number": appeal.number,
            "phone_tail": PHONE[-4:],
            "rating": "unsatisfied",
            "comment": "小学门口还有一处没修",
        },
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.DISPATCHED and appeal.reopen_count == 1
    again = appeal.dispatches.get(state=DispatchState.WAITING)
    assert again.department == zj and again.lead and again.sign_due == dt.date(2026, 3, 24)
    assert citizen_told()[-1] == "appeal.reopened"
    assert inbox("zj_sp1") == ["appeal.dispatched", "appeal.dispatched"]

    # Tue 3/24 signed (a new 13-working-day clock), Wed 3/25 resolved; the citizen is satisfied
    walk(days, dt.date(2026, 3, 24))
    again = services.sign_for(actor=u("zj_fzr"), appeal_id=appeal.pk, dispatch_id=again.pk)
    assert again.handle_due == add_working_days(dt.date(2026, 3, 24), 13)
    assert dt.date(2026, 4, 10) <= again.handle_due <= dt.date(2026, 4, 14)  # past 清明
    walk(days, dt.date(2026, 3, 25))
    services.reply(
        actor=u("zj_fzr"),
        appeal_id=appeal.pk,
        dispatch_id=again.pk,
        text="复查发现小学门口一处漏修，已于当日补修完毕。",
    )
    client.post(
        "/appeals/track/",
        {"number": appeal.number, "phone_tail": PHONE[-4:], "rating": "satisfied"},
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.rating == "satisfied"

    # a month of daily sweeps later nothing more happens to a closed appeal
    walk(days, dt.date(2026, 4, 24))
    assert Escalation.objects.count() == 3

    # every notice, once and in order
    assert citizen_told() == [
        "appeal.filed",
        "appeal.escalated",
        "appeal.transferred",
        "appeal.replied",
        "appeal.reopened",
        "appeal.replied",
        "appeal.closed",
    ]
    assert Message.objects.filter(topic="appeal.remind").count() == 2  # the village's two posts
    assert Message.objects.filter(topic="appeal.supervise").count() == 1  # the town's head
    assert inbox("qingshi1_shouli") == ["appeal.dispatched", "appeal.remind"]
    assert inbox("jiancha") == ["appeal.dispatched"]
    # every turn, with its clocks
    turns = list(
        Dispatch.objects.filter(appeal=appeal)
        .order_by("pk")
        .values_list("region__code", "department__code", "state", "sign_due", "signed_on")
    )
    assert turns == [
        (VILLAGE, None, "escalated", dt.date(2026, 3, 3), None),
        (TOWN, None, "bounced", dt.date(2026, 3, 9), dt.date(2026, 3, 9)),
        ("610799000000", None, "transferred", dt.date(2026, 3, 10), None),
        (zj.region.code, "610799-ZJ", "replied", dt.date(2026, 3, 11), dt.date(2026, 3, 11)),
        (zj.region.code, "610799-ZJ", "replied", dt.date(2026, 3, 24), dt.date(2026, 3, 24)),
    ]
    actions = list(AppealEvent.objects.filter(appeal=appeal).values_list("action", "on"))
    assert actions == [
        ("file", dt.date(2026, 3, 2)),
        ("remind", dt.date(2026, 3, 4)),
        ("supervise", dt.date(2026, 3, 5)),
        ("escalate", dt.date(2026, 3, 6)),
        ("sign", dt.date(2026, 3, 9)),
        ("bounce", dt.date(2026, 3, 9)),
        ("transfer", dt.date(2026, 3, 10)),
        ("sign", dt.date(2026, 3, 11)),
        ("reply", dt.date(2026, 3, 20)),
        ("reopen", dt.date(2026, 3, 23)),
        ("sign", dt.date(2026, 3, 24)),
        ("reply", dt.date(2026, 3, 25)),
        ("close", dt.date(2026, 3, 25)),
    ]
    page = client.get("/appeals/track/", {"number": appeal.number, "phone_tail": PHONE[-4:]})
    body = page.content.decode()
    assert "已办结" in body and "满意" in body and "已上报上一级" in body
