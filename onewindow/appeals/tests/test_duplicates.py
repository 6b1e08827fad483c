"""Likely duplicates (same caller or place, similar text, recent) and merging them: the merged
appeal's dispatches end, its caller is told the master's number, and it shares the master's
reply, status and rating. Refusals: into itself, into a merged appeal, cycles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onewindow.appeals import duplicates, services
from onewindow.appeals.choices import Channel, DispatchState, Kind, Rating, Status
from onewindow.appeals.models import Appeal, AppealEvent
from onewindow.audit.models import AuditEntry
from onewindow.cases import clock
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed
from onewindow.notifications.models import Message
from onewindow.org.models import Region

from .test_flow import PHONE, VILLAGE, file, u

pytestmark = pytest.mark.django_db

MON = dt.date(2026, 3, 2)
OTHER_PHONE = "13700001111"
SAME_ROAD = {
    "title": "村口水泥路坑洼",
    "content": "青石村村口通往小学的路坑坑洼洼，一下雨就积水，学生上学很不方便。",
    "caller_name": "李秀英",
    "callback_phone": OTHER_PHONE,
}


def sms_to(phone: str, topic: str) -> list[Message]:
    return list(Message.objects.filter(phone=phone, channel="sms", topic=topic).order_by("pk"))


def test_similarity_tells_same_matter_from_others() -> None:
    road = "村口道路坑洼积水 青石村村口到小学的水泥路有多处坑洼，下雨积水，孩子上学不便。"
    assert duplicates.similarity(road, SAME_ROAD["title"] + SAME_ROAD["content"]) > 0.4
    rubbish = "村里垃圾清运不及时 青石村三组垃圾点已经一周没有清运，气味很大。"
    assert duplicates.similarity(road, rubbish) < 0.1
    assert duplicates.similarity(road, "") == 0.0


def test_found_by_place_or_caller_within_the_window_only() -> None:
    with clock.simulate(MON - dt.timedelta(days=45)):
        file()  # the same matter, but long ago
    with clock.simulate(MON):
        first = file()
        unrelated = file(title="垃圾清运不及时", content="青石村三组垃圾点已经一周没有清运。")
    elsewhere = Region.objects.get(code="610799101002")
    with clock.simulate(MON + dt.timedelta(days=3)):
        same_place = file(**SAME_ROAD)
        # another village, another caller: not a duplicate however alike the words
        far = file(**{**SAME_ROAD, "callback_phone": "13700002222"}, region_id=elsewhere.pk)
        # the same caller from another village, text only loosely alike: still shown
        same_caller = file(
            title="学校门口道路问题",
            content="上次反映的去小学那条路，下雨天又积水了，走路很不方便。",
            region_id=elsewhere.pk,
        )
        found = duplicates.of_appeal(same_place)
    assert [d.appeal for d in found] == [first]
    assert found[0].reasons == ("同一地点",) and found[0].percent >= 25
    assert unrelated not in [d.appeal for d in found]
    with clock.simulate(MON + dt.timedelta(days=3)):
        for_caller = [d.appeal for d in duplicates.of_appeal(same_caller)]
        assert first in for_caller and far not in for_caller
        # before filing: what the operator typed
        typed = duplicates.find(
            text="村口路面坑洼积水 小学门口的路下雨积水",
            region_id=Region.objects.get(code=VILLAGE).pk,
            on=clock.today(),
        )
    assert {d.appeal for d in typed} >= {first, same_place}


def test_window_is_a_setting(settings: Any) -> None:
    with clock.simulate(MON):
        first = file()
    with clock.simulate(MON + dt.timedelta(days=10)):
        later = file(**SAME_ROAD)
        assert [d.appeal for d in duplicates.of_appeal(later)] == [first]
        settings.ONEWINDOW_APPEAL_DUPLICATE_DAYS = 7
        assert duplicates.of_appeal(later) == []


def _master_and_duplicate() -> tuple[Appeal, Appeal]:
    with clock.simulate(MON):
        master = file()
        dup = file(**SAME_ROAD)
    return master, dup


def test_merge_closes_dispatches_tells_caller_and_shares_outcome(client: Any) -> None:
    master, dup = _master_and_duplicate()
    with clock.simulate(MON):
        services.merge(actor=u("jiancha"), appeal_id=dup.pk, into_id=master.pk, reason="同一路段")
    dup.refresh_from_db()
    assert dup.merged_into == master and dup.status == Status.DISPATCHED
    turn = dup.dispatches.get()
    assert turn.state == DispatchState.MERGED and turn.closed_on == MON
    told = sms_to(OTHER_PHONE, "appeal.merged")
    assert len(told) == 1 and master.number in told[0].subject
    assert Message.objects.filter(
        recipient=u("qingshi1_shouli"), topic="appeal.merged"
    ).exists()  # the unit need not handle it twice
    assert AppealEvent.objects.filter(appeal=dup, action="merge").exists()
    assert AppealEvent.objects.filter(appeal=master, action="merge_in").exists()
    for appeal in (dup, master):
        assert AuditEntry.objects.filter(
            object_id=str(appeal.pk), action__in=["appeal.merge", "appeal.merge_in"]
        ).exists()

    # the master is handled; the duplicate shares every step of the outcome
    with clock.simulate(MON + dt.timedelta(days=1)):
        lead = master.dispatches.get(state=DispatchState.WAITING)
        services.sign_for(actor=u("qingshi1_shouli"), appeal_id=master.pk, dispatch_id=lead.pk)
        dup.refresh_from_db()
        assert dup.status == Status.HANDLING
        services.reply(
            actor=u("qingshi1_shouli"),
            appeal_id=master.pk,
            dispatch_id=lead.pk,
            text="已安排村里组织修补坑洼并疏通排水沟。",
        )
    dup.refresh_from_db()
    assert dup.status == Status.REPLIED
    assert len(sms_to(OTHER_PHONE, "appeal.replied")) == 1
    page = client.get("/appeals/track/", {"number": dup.number, "phone_tail": OTHER_PHONE[-4:]})
    body = page.content.decode()
    assert page.status_code == 200
    assert "已安排村里组织修补坑洼" in body and master.number in body
    assert "提交评价" not in body  # the master's caller rates for both
    with pytest.raises(InvalidTransition, match=master.number):
        services.rate(number=dup.number, phone_last4=OTHER_PHONE[-4:], rating=Rating.SATISFIED)
    services.rate(number=master.number, phone_last4=PHONE[-4:], rating=Rating.SATISFIED)
    dup.refresh_from_db()
    assert dup.status == Status.CLOSED and dup.rating == Rating.SATISFIED
    assert len(sms_to(OTHER_PHONE, "appeal.closed")) == 1
    assert list(
        AppealEvent.objects.filter(appeal=dup).values_list("action", flat=True).order_by("pk")
    ) == ["file", "merge", "reply", "close"]
    # the sweep leaves the merged appeal's ended dispatch alone
    services.sweep(on=MON + dt.timedelta(days=20))
    assert not turn.escalations.exists()


def test_unsatisfied_master_reopens_the_merged_ones_too() -> None:
    master, dup = _master_and_duplicate()
    with clock.simulate(MON):
        services.merge(actor=u("jiancha"), appeal_id=dup.pk, into_id=master.pk)
        lead = master.dispatches.get()
        services.sign_for(actor=u("qingshi1_shouli"), appeal_id=master.pk, dispatch_id=lead.pk)
        services.reply(
            actor=u("qingshi1_shouli"),
            appeal_id=master.pk,
            dispatch_id=lead.pk,
            text="已安排村里组织修补坑洼并疏通排水沟。",
        )
        services.rate(number=master.number, phone_last4=PHONE[-4:], rating=Rating.UNSATISFIED)
    dup.refresh_from_db()
    assert dup.status == Status.DISPATCHED and dup.rating == Rating.UNSATISFIED
    assert AppealEvent.objects.filter(appeal=dup, action="reopen").count() == 1


def test_refusals_in_clear_chinese() -> None:
    master, dup = _master_and_duplicate()
    with clock.simulate(MON):
        third = file(title="村口道路又积水", content="青石村村口去小学的水泥路下雨积水坑洼。")
        with pytest.raises(InvalidInput, match="不能把诉求并入它自己"):
            services.merge(actor=u("jiancha"), appeal_id=master.pk, into_id=master.pk)
        services.merge(actor=u("jiancha"), appeal_id=dup.pk, into_id=master.pk)
        with pytest.raises(InvalidTransition, match=f"已并入 {master.number}，不能再次合并"):
            services.merge(actor=u("jiancha"), appeal_id=dup.pk, into_id=third.pk)
        with pytest.raises(InvalidTransition, match=f"请直接并入主诉求 {master.number}"):
            services.merge(actor=u("jiancha"), appeal_id=third.pk, into_id=dup.pk)
        with pytest.raises(InvalidTransition, match="会形成循环"):
            services.merge(actor=u("jiancha"), appeal_id=master.pk, into_id=dup.pk)
        # a handling unit may not merge; nor may the operator once a unit has signed
        with pytest.raises(NotAllowed):
            services.merge(actor=u("qingshi1_shouli"), appeal_id=third.pk, into_id=master.pk)
    assert Appeal.objects.get(pk=third.pk).merged_into is None
    assert not AppealEvent.objects.filter(appeal=third, action="merge").exists()


def test_closed_appeal_cannot_be_merged_and_chains_flatten() -> None:
    master, dup = _master_and_duplicate()
    with clock.simulate(MON):
        top = file(title="村口道路坑洼（三）", content="青石村村口到小学的水泥路坑洼积水。")
        services.merge(actor=u("jiancha"), appeal_id=dup.pk, into_id=master.pk)
        # the master itself turns out to repeat an earlier appeal: its own duplicate follows it
        services.merge(actor=u("jiancha"), appeal_id=master.pk, into_id=top.pk)
    dup.refresh_from_db()
    master.refresh_from_db()
    assert dup.merged_into == top and master.merged_into == top
    with clock.simulate(MON):
        lead = top.dispatches.get()
        services.sign_for(actor=u("qingshi1_shouli"), appeal_id=top.pk, dispatch_id=lead.pk)
        services.reply(
            actor=u("qingshi1_shouli"),
            appeal_id=top.pk,
            dispatch_id=lead.pk,
            text="已安排村里组织修补坑洼并疏通排水沟。",
        )
        services.rate(number=top.number, phone_last4=PHONE[-4:], rating=Rating.BASIC)
        late = file(**SAME_ROAD)
        with pytest.raises(InvalidTransition, match="已办结"):
            services.merge(actor=u("jiancha"), appeal_id=top.pk, into_id=late.pk)
    assert set(Appeal.objects.filter(merged_into=top).values_list("status", flat=True)) == {
        Status.CLOSED
    }


def test_operator_checks_before_filing_then_merges_the_new_appeal(as_user: Any) -> None:
    with clock.simulate(MON):
        master = file()
    operator = as_user("jiancha")
    form = {
        "kind": Kind.COMPLAINT,
        "category": str(master.category_id),
        "region": str(master.region_id),
        "title": SAME_ROAD["title"],
        "content": SAME_ROAD["content"],
        "caller_name": "李秀英",
        "callback_phone": OTHER_PHONE,
        "urgency": "normal",
        "recording_ref": "REC-1",
    }
    with clock.simulate(MON):
        checked = operator.post("/workbench/appeals/hotline/", {**form, "check": "1"})
    body = checked.content.decode()
    assert checked.status_code == 200 and master.number in body and "同一地点" in body
    assert Appeal.objects.count() == 1  # checking saves nothing
    with clock.simulate(MON):
        filed = operator.post("/workbench/appeals/hotline/", form)
    new = Appeal.objects.get(channel=Channel.HOTLINE)
    body = filed.content.decode()
    assert new.number in body and master.number in body and "将本件并入此件" in body
    response = operator.post(
        "/workbench/appeals/merge/",
        {
            "appeal": new.pk,
            "revision": new.revision,
            "into": master.pk,
            "into_revision": Appeal.objects.get(pk=master.pk).revision,
            "next": "/workbench/appeals/hotline/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/workbench/appeals/hotline/"
    new.refresh_from_db()
    assert new.merged_into == master


def test_centre_sees_duplicates_on_the_handling_page_and_merges_either_way(as_user: Any) -> None:
    master, dup = _master_and_duplicate()
    centre = as_user("jiancha")
    turn = master.dispatches.get()
    with clock.simulate(MON):
        page = centre.get(f"/workbench/appeals/{turn.pk}/").content.decode()
    assert "可能重复的诉求" in page and dup.number in page and "该件并入本件" in page
    # a unit's own staff do not see the duplicates panel
    village = as_user("qingshi1_shouli").get(f"/workbench/appeals/{turn.pk}/").content.decode()
    assert "可能重复的诉求" not in village
    # a stale page (the master changed since) is refused with 409
    master.refresh_from_db()
    stale = centre.post(
        "/workbench/appeals/merge/",
        {
            "dispatch": turn.pk,
            "appeal": dup.pk,
            "revision": dup.revision,
            "into": master.pk,
            "into_revision": master.revision + 1,
        },
    )
    assert stale.status_code == 409 and "已被他人处理" in stale.content.decode()
    done = centre.post(
        "/workbench/appeals/merge/",
        {
            "dispatch": turn.pk,
            "next": f"/workbench/appeals/{turn.pk}/",
            "appeal": dup.pk,
            "revision": dup.revision,
            "into": master.pk,
            "into_revision": master.revision,
        },
    )
    assert done.status_code == 302 and done["Location"] == f"/workbench/appeals/{turn.pk}/"
    page = centre.get(f"/workbench/appeals/{turn.pk}/").content.decode()
    assert "已并入本件的诉求" in page and dup.number in page
