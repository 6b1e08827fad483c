"""/api/v1/appeals: a unit's queue, one dispatch, sign-for, reply and bounce; every error in the
common shape {"error": {"code", "message", "field"}}."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from onewindow.appeals import services
from onewindow.appeals.choices import Channel, DispatchState, Kind, Status
from onewindow.appeals.models import Appeal, Category, Dispatch
from onewindow.audit.models import AuditEntry
from onewindow.cases import clock
from onewindow.conftest import login_client
from onewindow.org.models import Region

pytestmark = pytest.mark.django_db

MON = dt.date(2026, 3, 2)
TUE = dt.date(2026, 3, 3)
PHONE = "13812345678"
API = "/api/v1/appeals"


@pytest.fixture(autouse=True)
def on_tuesday() -> Any:
    with clock.simulate(TUE):
        yield


def file(village: str = "610799101001", **over: Any) -> Appeal:
    data: dict[str, Any] = {
        "channel": Channel.WEB,
        "kind": Kind.HELP,
        "category_id": Category.objects.get(code="0503").pk,
        "region_id": Region.objects.get(code=village).pk,
        "title": "垃圾点清运不及时",
        "content": "组里垃圾点三天没有清运，气味很大。",
        "caller_name": "王建国",
        "callback_phone": PHONE,
    }
    data.update(over)
    with clock.simulate(MON):
        return services.file_appeal(**data)


def turn(appeal: Appeal) -> Dispatch:
    return appeal.dispatches.order_by("-pk").first()  # type: ignore[return-value]


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code and error["message"]
    assert "field" in error
    return error


def post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data or {}, content_type="application/json")


def test_queue_lists_the_units_own_dispatches() -> None:
    mine = file()
    other = file("610799102001")  # 柳湾村
    staff = login_client("qingshi1_shouli")
    body = staff.get(f"{API}/queue").json()
    numbers = [i["number"] for i in body["items"]]
    assert numbers == [mine.number] and body["count"] == 1
    item = body["items"][0]
    assert item["id"] == turn(mine).pk and item["state"] == "waiting"
    assert item["unit"] == "青石村" and item["place"] == "青石镇 / 青石村"
    assert item["sign_due"] == "2026-03-03" and item["handle_due"] is None
    assert other.number not in str(body)
    centre = login_client("jiancha").get(f"{API}/queue").json()
    assert {mine.number, other.number} <= {i["number"] for i in centre["items"]}
    signed_only = staff.get(f"{API}/queue", {"state": "signed"}).json()
    assert signed_only == {"count": 0, "items": []}
    paged = login_client("jiancha").get(f"{API}/queue", {"limit": 1, "offset": 1}).json()
    assert len(paged["items"]) == 1 and paged["count"] >= 2


def test_detail_masks_the_phone_and_reveals_it_on_record() -> None:
    appeal = file()
    d = turn(appeal)
    daiban = login_client("qingshi1_daiban")  # 代办员: no personal.reveal
    body = daiban.get(f"{API}/dispatches/{d.pk}").json()
    assert body["caller"] == {
        "anonymous": False,
        "name": "王建国",
        "phone": "138****5678",
        "masked": True,
    }
    assert body["content"] == appeal.content and body["status"] == "dispatched"
    assert body["timeline"][0]["label"] == "已受理并派单"
    assert PHONE not in daiban.get(f"{API}/dispatches/{d.pk}").content.decode()
    error_of(daiban.get(f"{API}/dispatches/{d.pk}", {"reveal": "true"}), 403, "forbidden")
    shouli = login_client("qingshi1_shouli")  # the counter acceptor holds personal.reveal
    revealed = shouli.get(f"{API}/dispatches/{d.pk}", {"reveal": "true"}).json()
    assert revealed["caller"]["phone"] == PHONE and revealed["caller"]["masked"] is False
    assert AuditEntry.objects.filter(action="personal.reveal", object_id=str(appeal.pk)).exists()


def test_sign_reply_and_the_wrong_state() -> None:
    appeal = file()
    d = turn(appeal)
    staff = login_client("qingshi1_shouli")
    early = post(
        staff, f"{API}/dispatches/{d.pk}/reply", {"text": "已联系镇环卫所，当天完成清运。"}
    )
    error_of(early, 409, "invalid_transition")
    signed = post(staff, f"{API}/dispatches/{d.pk}/sign")
    assert signed.status_code == 200
    body = signed.json()
    assert body["state"] == "signed" and body["signed_on"] == "2026-03-03"
    assert body["handle_due"] == "2026-03-10" and body["status"] == "handling"
    error_of(post(staff, f"{API}/dispatches/{d.pk}/sign"), 409, "invalid_transition")
    short = error_of(
        post(staff, f"{API}/dispatches/{d.pk}/reply", {"text": "好"}), 422, "invalid_input"
    )
    assert short["field"] == "text"
    replied = post(
        staff, f"{API}/dispatches/{d.pk}/reply", {"text": "已联系镇环卫所，当天完成清运。"}
    )
    assert replied.status_code == 200
    assert replied.json()["state"] == "replied" and replied.json()["reply"].startswith("已联系")
    appeal.refresh_from_db()
    assert appeal.status == Status.REPLIED
    # the closed dispatch is still the unit's to read, no longer in its queue
    assert staff.get(f"{API}/dispatches/{d.pk}").status_code == 200
    assert staff.get(f"{API}/queue").json()["count"] == 0
    error_of(
        post(staff, f"{API}/dispatches/{d.pk}/bounce", {"reason": "不属于本村职责"}),
        409,
        "invalid_transition",
    )


def test_bounce_goes_back_to_the_command_centre() -> None:
    appeal = file()
    d = turn(appeal)
    staff = login_client("qingshi1_shouli")
    short = error_of(
        post(staff, f"{API}/dispatches/{d.pk}/bounce", {"reason": "不"}), 422, "invalid_input"
    )
    assert short["field"] == "reason"
    response = post(staff, f"{API}/dispatches/{d.pk}/bounce", {"reason": "属县级部门职责"})
    assert response.status_code == 200
    assert response.json()["state"] == "bounced" and response.json()["reason"] == "属县级部门职责"
    new = turn(appeal)
    assert new.pk != d.pk and new.region.level == "county" and new.department is None
    assert new.state == DispatchState.WAITING
    centre = login_client("jiancha")
    assert new.pk in [i["id"] for i in centre.get(f"{API}/queue").json()["items"]]
    error_of(
        post(centre, f"{API}/dispatches/{new.pk}/bounce", {"reason": "中心不能退单"}),
        409,
        "invalid_transition",
    )


def test_stale_revision_is_a_conflict() -> None:
    appeal = file()
    d = turn(appeal)
    staff = login_client("qingshi1_shouli")
    seen = staff.get(f"{API}/dispatches/{d.pk}").json()["revision"]
    stale = post(staff, f"{API}/dispatches/{d.pk}/sign", {"expected_revision": seen - 1})
    error_of(stale, 409, "revision_conflict")
    assert (
        post(staff, f"{API}/dispatches/{d.pk}/sign", {"expected_revision": seen}).status_code == 200
    )


def test_who_may_call() -> None:
    appeal = file()
    d = turn(appeal)
    error_of(Client().get(f"{API}/queue"), 401, "unauthenticated")
    error_of(login_client("13900000001").get(f"{API}/queue"), 403, "forbidden")  # applicant
    error_of(login_client("qingshi_db1").get(f"{API}/queue"), 403, "forbidden")  # 导办: no appeals
    error_of(login_client("shenji").get(f"{API}/queue"), 403, "forbidden")  # audit administrator
    outsider = login_client("liuwan1_shouli")
    assert outsider.get(f"{API}/queue").json()["count"] == 0
    missing = error_of(outsider.get(f"{API}/dispatches/{d.pk}"), 404, "not_found")
    assert missing["field"] == "dispatch_id"
    error_of(post(outsider, f"{API}/dispatches/{d.pk}/sign"), 404, "not_found")
    error_of(
        post(outsider, f"{API}/dispatches/{d.pk}/bounce", {"reason": "不属于本村职责"}),
        404,
        "not_found",
    )
    d.refresh_from_db()
    assert d.state == DispatchState.WAITING  # nothing happened


def test_bad_input_has_the_common_shape() -> None:
    d = turn(file())
    staff = login_client("qingshi1_shouli")
    missing = error_of(post(staff, f"{API}/dispatches/{d.pk}/reply", {}), 422, "invalid_input")
    # the common validation handler names the body field by its path: data.text
    assert missing["field"] == "data.text" and missing["details"][0]["type"] == "missing"
    error_of(staff.get(f"{API}/queue", {"limit": "0"}), 422, "invalid_input")
    error_of(staff.get(f"{API}/queue", {"state": "lost"}), 422, "invalid_input")
    error_of(staff.get(f"{API}/dispatches/abc"), 422, "invalid_input")
    not_json = staff.post(f"{API}/dispatches/{d.pk}/sign", "{", content_type="application/json")
    assert not_json.status_code in (400, 422)
    assert "error" in not_json.json()
    error_of(staff.get(f"{API}/dispatches/999999"), 404, "not_found")


def test_session_writes_need_the_csrf_token() -> None:
    d = turn(file())
    signed_in = login_client("qingshi1_shouli")
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = signed_in.cookies
    assert strict.get(f"{API}/queue").status_code == 200
    refused = post(strict, f"{API}/dispatches/{d.pk}/sign")
    assert refused.status_code == 403 and refused.json()["error"]["message"]
    d.refresh_from_db()
    assert d.state == DispatchState.WAITING


def test_openapi_documents_the_appeal_endpoints() -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    for path, method in (
        ("/queue", "get"),
        ("/dispatches/{dispatch_id}", "get"),
        ("/dispatches/{dispatch_id}/sign", "post"),
        ("/dispatches/{dispatch_id}/reply", "post"),
        ("/dispatches/{dispatch_id}/bounce", "post"),
    ):
        operation = spec["paths"][f"{API}{path}"][method]
        assert operation["summary"] and {"200", "403", "404", "422"} <= set(operation["responses"])
        assert operation.get("security")  # signed-in staff only
