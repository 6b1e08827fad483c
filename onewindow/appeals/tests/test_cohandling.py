"""Co-handling: the command centre adds assisting units beside the lead; each signs for and
answers its part on its own clocks; the lead answers the citizen only when all have. And the
revision on every action form: a stale page is refused with 409."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onewindow.appeals import handling, services
from onewindow.appeals.choices import DispatchState, Rating, Status
from onewindow.appeals.models import Appeal, AppealEvent, Dispatch
from onewindow.cases import clock
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed
from onewindow.notifications.models import Message
from onewindow.org.models import Department, Region

from .test_flow import PHONE, file, topics, u

pytestmark = pytest.mark.django_db

MON = dt.date(2026, 3, 2)
LEAD_REPLY = "村里已组织修补坑洼，县住建局已疏通边沟，问题已解决。"


def zj() -> Department:
    return Department.objects.get(code="610799-ZJ")


def signed_appeal() -> tuple[Appeal, Dispatch]:
    with clock.simulate(MON):
        appeal = file()
        lead = appeal.dispatches.get()
        services.sign_for(actor=u("qingshi1_shouli"), appeal_id=appeal.pk, dispatch_id=lead.pk)
    return Appeal.objects.get(pk=appeal.pk), Dispatch.objects.get(pk=lead.pk)


def test_assisting_unit_on_its_own_clocks_and_the_lead_waits_for_it() -> None:
    appeal, lead = signed_appeal()
    with clock.simulate(dt.date(2026, 3, 3)):
        assist = services.add_assist(actor=u("jiancha"), appeal_id=appeal.pk, department_id=zj().pk)
    appeal.refresh_from_db()
    assert not assist.lead and assist.department == zj()
    assert assist.sign_due == dt.date(2026, 3, 4)  # its own sign-for clock, from today
    assert appeal.status == Status.HANDLING  # the lead's turn goes on
    told = Message.objects.filter(recipient=u("zj_sp1"), topic="appeal.dispatched").get()
    assert "协办" in told.subject
    assert [d.pk for d in handling.outstanding(appeal)] == [assist.pk]

    with clock.simulate(dt.date(2026, 3, 4)):
        with pytest.raises(InvalidTransition) as caught:
            services.reply(
                actor=u("qingshi1_shouli"),
                appeal_id=appeal.pk,
                dispatch_id=lead.pk,
                text=LEAD_REPLY,
            )
        assert f"协办单位尚未反馈：{zj().name}" in caught.value.message
        assist = services.sign_for(actor=u("zj_sp1"), appeal_id=appeal.pk, dispatch_id=assist.pk)
    assert assist.handle_due == dt.date(2026, 3, 23)  # complaint: 13 working days from 3/4
    appeal.refresh_from_db()
    assert appeal.status == Status.HANDLING
    with clock.simulate(dt.date(2026, 3, 5)):
        services.reply(
            actor=u("zj_sp1"),
            appeal_id=appeal.pk,
            dispatch_id=assist.pk,
            text="县住建局已派人疏通村口边沟，排水已恢复。",
        )
    appeal.refresh_from_db()
    assert appeal.status == Status.HANDLING  # an assisting answer does not reply to the citizen
    assert "appeal.assist" in topics(u("qingshi1_shouli"))
    assert not Message.objects.filter(phone=PHONE, topic="appeal.replied").exists()
    assert handling.outstanding(appeal) == []
    with clock.simulate(dt.date(2026, 3, 6)):
        services.reply(
            actor=u("qingshi1_shouli"), appeal_id=appeal.pk, dispatch_id=lead.pk, text=LEAD_REPLY
        )
    appeal.refresh_from_db()
    assert appeal.status == Status.REPLIED
    assert Message.objects.filter(phone=PHONE, topic="appeal.replied").count() == 1
    # the citizen sees the lead's reply, though the assisting turn was created later
    assert handling.outcome_reply(appeal).pk == lead.pk  # type: ignore[union-attr]
    actions = list(AppealEvent.objects.filter(appeal=appeal).values_list("action", flat=True))
    assert actions == ["file", "sign", "assist_add", "sign", "assist_reply", "reply"]
    # unsatisfied: reopened to the lead unit, not the assisting one
    appeal = services.rate(number=appeal.number, phone_last4=PHONE[-4:], rating=Rating.UNSATISFIED)
    again = appeal.dispatches.get(state=DispatchState.WAITING)
    assert again.lead and again.region_id == lead.region_id and again.department is None


def test_who_may_add_and_whom() -> None:
    appeal, lead = signed_appeal()
    with clock.simulate(MON):
        with pytest.raises(NotAllowed):
            services.add_assist(
                actor=u("qingshi1_shouli"), appeal_id=appeal.pk, department_id=zj().pk
            )
        with pytest.raises(InvalidInput, match="已在办理本诉求"):
            services.add_assist(actor=u("jiancha"), appeal_id=appeal.pk, region_id=lead.region_id)
        county = Region.objects.get(level="county", parent__isnull=True)
        with pytest.raises(InvalidInput, match="县指挥中心不能作为协办单位"):
            services.add_assist(actor=u("jiancha"), appeal_id=appeal.pk, region_id=county.pk)
        with pytest.raises(InvalidInput):
            services.add_assist(actor=u("jiancha"), appeal_id=appeal.pk)
        town = Region.objects.get(code="610799101000")
        services.add_assist(actor=u("jiancha"), appeal_id=appeal.pk, region_id=town.pk)
        with pytest.raises(InvalidInput, match="已在办理本诉求"):
            services.add_assist(actor=u("jiancha"), appeal_id=appeal.pk, region_id=town.pk)
    assert appeal.dispatches.filter(lead=False).count() == 1


def test_assisting_bounce_ends_its_part_and_overdue_assist_escalates_as_assist() -> None:
    appeal, lead = signed_appeal()
    town = Region.objects.get(code="610799101000")
    with clock.simulate(MON):
        a1 = services.add_assist(actor=u("jiancha"), appeal_id=appeal.pk, department_id=zj().pk)
        a2 = services.add_assist(actor=u("jiancha"), appeal_id=appeal.pk, region_id=town.pk)
        services.sign_for(actor=u("zj_sp1"), appeal_id=appeal.pk, dispatch_id=a1.pk)
        services.bounce(
            actor=u("zj_sp1"), appeal_id=appeal.pk, dispatch_id=a1.pk, reason="不属住建局职责"
        )
    a1.refresh_from_db()
    assert a1.state == DispatchState.BOUNCED
    assert "appeal.assist" in topics(u("jiancha"))
    # no new turn for the command centre: the lead is still the village
    assert not appeal.dispatches.filter(region__level="county", department=None).exists()
    # the town never signs: reminded, supervised, then its assisting part goes up a level
    services.sweep(on=dt.date(2026, 3, 6))
    a2.refresh_from_db()
    assert a2.state == DispatchState.ESCALATED
    up = appeal.dispatches.get(state=DispatchState.WAITING)
    assert not up.lead and up.region.level == "county"
    lead.refresh_from_db()
    assert lead.state == DispatchState.SIGNED and lead.lead  # the lead's own clock is untouched
    appeal.refresh_from_db()
    assert appeal.status == Status.HANDLING


def test_fan_out_on_the_page_and_adding_an_assist_there(as_user: Any) -> None:
    appeal, lead = signed_appeal()
    centre = as_user("jiancha")
    page = centre.get(f"/workbench/appeals/{lead.pk}/").content.decode()
    assert "增加协办单位" in page and 'id="fan-out"' in page
    response = centre.post(
        f"/workbench/appeals/{lead.pk}/assist/",
        {"unit": f"d{zj().pk}", "revision": Appeal.objects.get(pk=appeal.pk).revision},
    )
    assert response.status_code == 302
    assist = appeal.dispatches.get(lead=False)
    page = centre.get(f"/workbench/appeals/{lead.pk}/").content.decode()
    assert zj().name in page and "协办" in page and 'id="outstanding"' in page
    # the assisting unit's page asks for its part, not the citizen's reply
    unit = as_user("zj_sp1")
    unit.post(
        f"/workbench/appeals/{assist.pk}/sign/",
        {"revision": Appeal.objects.get(pk=appeal.pk).revision},
    )
    page = unit.get(f"/workbench/appeals/{assist.pk}/").content.decode()
    assert "提交协办意见" in page and ">答复诉求人</button>" not in page
    # the lead's reply while the assist is open: refused, saying who is outstanding
    village = as_user("qingshi1_shouli")
    refused = village.post(
        f"/workbench/appeals/{lead.pk}/reply/",
        {"text": LEAD_REPLY, "revision": Appeal.objects.get(pk=appeal.pk).revision},
        follow=True,
    )
    assert "协办单位尚未反馈" in refused.content.decode()
    assert Appeal.objects.get(pk=appeal.pk).status == Status.HANDLING


def test_stale_revision_is_refused_with_409(as_user: Any) -> None:
    with clock.simulate(MON):
        appeal = file()
    turn = appeal.dispatches.get()
    seen = Appeal.objects.get(pk=appeal.pk).revision
    first, second = as_user("qingshi1_shouli"), as_user("jiancha")
    assert first.post(f"/workbench/appeals/{turn.pk}/sign/", {"revision": seen}).status_code == 302
    # the command centre's page was drawn before the village signed
    stale = second.post(
        f"/workbench/appeals/{turn.pk}/transfer/",
        {"revision": seen, "department": zj().pk, "reason": "属住建局职责"},
    )
    body = stale.content.decode()
    assert stale.status_code == 409
    assert "该诉求已被他人处理" in body and "页面已过期" in body and 'id="fan-out"' in body
    turn.refresh_from_db()
    assert turn.state == DispatchState.SIGNED  # nothing transferred
    # the village replies; a second reply from the old page finds the turn ended
    current = Appeal.objects.get(pk=appeal.pk).revision
    first.post(
        f"/workbench/appeals/{turn.pk}/reply/",
        {"revision": current, "text": "已组织修补坑洼并疏通排水沟。"},
    )
    again = first.post(
        f"/workbench/appeals/{turn.pk}/reply/",
        {"revision": current, "text": "已组织修补坑洼并疏通排水沟。"},
    )
    assert again.status_code == 409 and "页面已过期" in again.content.decode()
    # an outsider learns nothing about the ended turn
    outsider = as_user("liuwan1_shouli")
    assert (
        outsider.post(f"/workbench/appeals/{turn.pk}/reply/", {"revision": current}).status_code
        == 404
    )
    # the service refuses a stale revision by itself
    with pytest.raises(InvalidTransition) as caught:
        services.revisit(actor=u("jiancha"), appeal_id=appeal.pk, note="电话回访", revision=0)
    assert caught.value.code == "revision_conflict" and caught.value.status == 409


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_centre_page_with_duplicates_and_co_handling_in_a_browser(
    browser: Any, live_server: Any, demo_password: str
) -> None:
    from onewindow.conftest import SHOTS, follow, sign_in

    SHOTS.mkdir(parents=True, exist_ok=True)
    master = file()
    dup = file(
        title="村口水泥路坑洼",
        content="青石村村口通往小学的路坑坑洼洼，一下雨就积水，学生上学很不方便。",
        caller_name="李秀英",
        callback_phone="13700001111",
    )
    lead = master.dispatches.get()
    services.sign_for(actor=u("qingshi1_shouli"), appeal_id=master.pk, dispatch_id=lead.pk)
    page = sign_in(browser, live_server.url, "jiancha", demo_password)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/workbench/appeals/{lead.pk}/")
    page.get_by_label("增加协办单位").select_option(label=zj().name)
    follow(page, page.get_by_role("button", name="增加协办"))
    page.get_by_text("已增加协办单位").wait_for()
    page.locator("#duplicates").get_by_text(dup.number).wait_for()
    page.screenshot(path=str(SHOTS / "appeal-detail-cohandling-duplicates.png"), full_page=True)
    follow(page, page.get_by_role("button", name="该件并入本件"))
    page.get_by_text(f"已将诉求 {dup.number} 并入 {master.number}").wait_for()
    page.screenshot(path=str(SHOTS / "appeal-detail-merged.png"), full_page=True)
    assert Appeal.objects.get(pk=dup.pk).merged_into_id == master.pk
    assert not [e for e in errors if "Content Security Policy" in e]
