"""The public form, tracking with rating, and the unit's workbench pages."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.appeals.choices import DispatchState, Status
from onewindow.appeals.models import Appeal, Category
from onewindow.org.models import Region

pytestmark = pytest.mark.django_db


def form(**over: str) -> dict[str, str]:
    data = {
        "kind": "help",
        "category": str(Category.objects.get(code="0503").pk),
        "region": str(Region.objects.get(code="610799101001").pk),
        "title": "村里垃圾清运不及时",
        "content": "青石村三组垃圾点已经一周没有清运，气味很大。",
        "caller_name": "李秀英",
        "callback_phone": "13900000001",
        "urgency": "normal",
    }
    data.update(over)
    return data


def test_public_form_files_and_track_rates(client: Any) -> None:
    assert client.get("/appeals/new/").status_code == 200
    response = client.post("/appeals/new/", form())
    assert response.status_code == 200
    appeal = Appeal.objects.get()
    assert appeal.number in response.content.decode()
    page = client.get("/appeals/track/", {"number": appeal.number, "phone_tail": "0001"})
    assert page.status_code == 200 and "已受理并派单" in page.content.decode()
    assert "李秀英" not in page.content.decode()
    assert (
        client.get("/appeals/track/", {"number": appeal.number, "phone_tail": "9999"}).status_code
        == 404
    )


def test_public_form_bad_input_keeps_values(client: Any) -> None:
    response = client.post("/appeals/new/", form(callback_phone="123"))
    assert response.status_code == 422
    body = response.content.decode()
    assert "请填写正确的回访电话" in body and "村里垃圾清运不及时" in body
    assert not Appeal.objects.exists()


def test_track_is_throttled(client: Any) -> None:
    for _ in range(10):
        client.get("/appeals/track/", {"number": "MQ1", "phone_tail": "0000"})
    assert client.get("/appeals/track/", {"number": "MQ1", "phone_tail": "0000"}).status_code == 429


def test_unit_signs_and_replies_in_workbench(client: Any, as_user: Any) -> None:
    client.post("/appeals/new/", form())
    appeal = Appeal.objects.get()
    turn = appeal.dispatches.get()
    outsider = as_user("liuwan1_shouli")
    assert outsider.get(f"/workbench/appeals/{turn.pk}/").status_code == 404
    staff = as_user("qingshi1_shouli")
    assert appeal.number in staff.get("/workbench/appeals/").content.decode()
    page = staff.get(f"/workbench/appeals/{turn.pk}/").content.decode()
    assert "13900000001" in page  # the counter acceptor holds personal.reveal
    daiban = as_user("qingshi1_daiban").get(f"/workbench/appeals/{turn.pk}/").content.decode()
    assert "13900000001" not in daiban and "139****0001" in daiban
    staff.post(f"/workbench/appeals/{turn.pk}/sign/")
    staff.post(f"/workbench/appeals/{turn.pk}/reply/", {"text": "已联系镇环卫所，当天完成清运。"})
    turn.refresh_from_db()
    appeal.refresh_from_db()
    assert turn.state == DispatchState.REPLIED and appeal.status == Status.REPLIED
    client.post(
        "/appeals/track/",
        {"number": appeal.number, "phone_tail": "0001", "rating": "satisfied"},
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.rating == "satisfied"


def test_hotline_form_for_operator_only(as_user: Any) -> None:
    operator = as_user("jiancha")
    assert operator.get("/workbench/appeals/hotline/").status_code == 200
    response = operator.post(
        "/workbench/appeals/hotline/", form(recording_ref="REC-20260302-001", kind="consultation")
    )
    assert response.status_code == 200
    appeal = Appeal.objects.get()
    assert appeal.channel == "hotline" and appeal.recording_ref == "REC-20260302-001"
    assert as_user("qingshi1_daiban").get("/workbench/appeals/hotline/").status_code in (302, 403)


def test_centre_transfers_and_unit_asks_extension_in_workbench(client: Any, as_user: Any) -> None:
    from onewindow.org.models import Department

    client.post("/appeals/new/", form(category=str(Category.objects.get(code="0801").pk)))
    appeal = Appeal.objects.get()
    turn = appeal.dispatches.get()
    assert turn.region.level == "county" and turn.department is None  # 办不成事 → command centre
    centre = as_user("jiancha")
    page = centre.get(f"/workbench/appeals/{turn.pk}/").content.decode()
    assert "转办县级部门" in page
    zj = Department.objects.get(code="610799-ZJ")
    centre.post(
        f"/workbench/appeals/{turn.pk}/transfer/", {"department": zj.pk, "reason": "属住建局职责"}
    )
    new = appeal.dispatches.get(state=DispatchState.WAITING)
    assert new.department == zj
    unit = as_user("zj_sp1")
    unit.post(f"/workbench/appeals/{new.pk}/sign/")
    unit.post(f"/workbench/appeals/{new.pk}/extend/", {"days": "2", "reason": "需现场勘查"})
    new.refresh_from_db()
    assert new.extension_state == "requested"
    due = new.handle_due
    centre.post(f"/workbench/appeals/{new.pk}/approve/")
    new.refresh_from_db()
    assert new.extension_state == "approved" and new.handle_due and due and new.handle_due > due
