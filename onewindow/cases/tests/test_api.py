"""The case API: apply with files, the counter and back office through the staff endpoints, the
result downloaded; the error shape of every refusal; public tracking with its limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from onewindow.audit.models import AuditEntry
from onewindow.cases.models import Case
from onewindow.conftest import login_client

from .conftest import FOOD, pdf

pytestmark = pytest.mark.django_db

FOOD_UPLOADS = ("app_form", "licence", "id_card", "layout")
APPLICANT = "13900000012"


def apply(client: Client, *, key: str = "", skip: str = "", **files: Any) -> Any:
    data: dict[str, Any] = {
        "item_code": FOOD,
        "answers": json.dumps({"apply_type": "new", "agent": "self"}),
        "delivery": "pickup",
    }
    for material in FOOD_UPLOADS:
        if material != skip:
            data[f"m_{material}"] = pdf(f"{material}.pdf")
    data.update({f"m_{k}": v for k, v in files.items()})
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/cases", data, headers=headers)


def post_json(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def error_of(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    assert set(error) >= {"code", "message", "field"}
    return error


def test_apply_accept_act_approve_and_download_the_result(days) -> None:  # type: ignore[no-untyped-def]
    me = login_client(APPLICANT)
    created = apply(me, key="api-1")
    assert created.status_code == 201, created.content.decode()
    body = created.json()
    number = body["number"]
    assert body["status"] == "submitted" and body["status_label"] == "待受理"
    # the same Idempotency-Key is the same case
    assert apply(me, key="api-1").json()["number"] == number
    assert Case.objects.filter(submission_key="api-1").count() == 1

    receipt = me.get(body["receipt_url"])
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF")

    mine = me.get("/api/v1/cases").json()
    assert [c["number"] for c in mine] == [number]

    counter = login_client("zc01")
    queue = counter.get("/api/v1/staff/queue").json()
    seen = next(c for c in queue["acceptance"] if c["number"] == number)
    assert "****" in seen["applicant_phone"]
    accepted = post_json(
        counter,
        f"/api/v1/staff/cases/{number}/accept",
        {"deferred": {"rules": "2026-03-09"}, "expected_revision": seen["revision"]},
    )
    assert accepted.status_code == 200, accepted.content.decode()
    case = accepted.json()
    assert case["status"] == "in_progress" and case["result_held"]
    assert case["promised_due"] == "2026-03-09"
    assert case["applicant"]["masked"]

    reviewer = login_client("scjg_sp2")
    step = next(
        s for s in reviewer.get("/api/v1/staff/queue").json()["steps"] if s["number"] == number
    )
    passed = post_json(
        reviewer,
        f"/api/v1/staff/cases/{number}/act",
        {"action": "pass", "expected_revision": step["revision"]},
    )
    assert passed.status_code == 200, passed.content.decode()
    head = login_client("scjg_fzr")
    approved = post_json(
        head,
        f"/api/v1/staff/cases/{number}/act",
        {"action": "approve", "expected_revision": passed.json()["revision"]},
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    # held back until the 容缺 material arrives
    held = me.get(f"/api/v1/cases/{number}/documents/result")
    assert held.status_code == 409 and "容缺" in error_of(held)["message"]
    supplied = me.post(f"/api/v1/cases/{number}/deferred/rules", {"file": pdf("rules.pdf")})
    assert supplied.status_code == 200, supplied.content.decode()
    detail = supplied.json()
    assert not detail["result_held"] and detail["pickup_code"]
    kinds = [d["kind"] for d in detail["documents"]]
    assert kinds == ["receipt", "acceptance", "result"]

    result = me.get(f"/api/v1/cases/{number}/documents/result")
    assert result.status_code == 200 and result.content.startswith(b"%PDF")
    acceptance = me.get(f"/api/v1/cases/{number}/documents/acceptance")
    assert acceptance.status_code == 200

    window = login_client("chujian1")
    waiting = [c["number"] for c in window.get("/api/v1/staff/queue").json()["results"]]
    assert number in waiting
    credit = Case.objects.get(number=number).applicant_credit_code
    delivered = post_json(
        window,
        f"/api/v1/staff/cases/{number}/deliver",
        {"pickup_code": detail["pickup_code"], "id_tail": credit[-4:]},
    )
    assert delivered.status_code == 200, delivered.content.decode()
    assert delivered.json()["delivered_at"]


def test_submission_errors_name_the_field(days) -> None:  # type: ignore[no-untyped-def]
    me = login_client(APPLICANT)
    missing = apply(me, skip="licence")
    assert missing.status_code == 422
    assert error_of(missing)["field"] == "m_licence"

    fake = SimpleUploadedFile("layout.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    forged = apply(me, layout=fake)
    assert forged.status_code == 422
    assert error_of(forged)["field"] == "m_layout"

    bad_answers = me.post("/api/v1/cases", {"item_code": FOOD, "answers": "[1, 2"})
    assert bad_answers.status_code == 422 and error_of(bad_answers)["field"] == "answers"

    unknown = me.post("/api/v1/cases", {"item_code": "999999999999"})
    assert unknown.status_code == 404
    assert not Case.objects.exists()


def test_wrong_state_stale_revision_and_wrong_role_are_refused(days) -> None:  # type: ignore[no-untyped-def]
    me = login_client(APPLICANT)
    number = apply(me).json()["number"]
    counter = login_client("zc01")
    first = post_json(
        counter, f"/api/v1/staff/cases/{number}/accept", {"deferred": {"rules": "2026-03-09"}}
    )
    assert first.status_code == 200
    revision = first.json()["revision"]

    again = post_json(counter, f"/api/v1/staff/cases/{number}/accept", {})
    assert again.status_code == 409 and error_of(again)["code"] == "conflict"

    reviewer = login_client("scjg_sp2")
    stale = post_json(
        reviewer,
        f"/api/v1/staff/cases/{number}/act",
        {"action": "pass", "expected_revision": revision - 1},
    )
    assert stale.status_code == 409
    assert error_of(stale)["code"] == "conflict"

    wrong_action = post_json(reviewer, f"/api/v1/staff/cases/{number}/act", {"action": "approve"})
    assert wrong_action.status_code == 409 and error_of(wrong_action)["field"] == "action"

    # the counter cannot take the reviewer's step
    not_theirs = post_json(counter, f"/api/v1/staff/cases/{number}/act", {"action": "pass"})
    assert not_theirs.status_code == 403 and error_of(not_theirs)["code"] == "forbidden"

    no_reason = post_json(reviewer, f"/api/v1/staff/cases/{number}/act", {"action": "return"})
    assert no_reason.status_code == 422 and error_of(no_reason)["field"] == "note"

    too_early = me.get(f"/api/v1/cases/{number}/documents/denial")
    assert too_early.status_code == 409
    assert me.get(f"/api/v1/cases/{number}/documents/nonsense").status_code == 404
    withdrawn = post_json(me, f"/api/v1/cases/{number}/withdraw", {"reason": "不再经营"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    twice = post_json(me, f"/api/v1/cases/{number}/withdraw", {})
    assert twice.status_code == 409


def test_cases_outside_ones_reach_are_not_found(days) -> None:  # type: ignore[no-untyped-def]
    number = apply(login_client(APPLICANT)).json()["number"]

    other = login_client("13900000013")
    assert other.get(f"/api/v1/cases/{number}").status_code == 404
    assert error_of(other.get(f"/api/v1/cases/{number}/documents/receipt"))["code"] == "not_found"
    assert post_json(other, f"/api/v1/cases/{number}/withdraw", {}).status_code == 404
    assert other.get("/api/v1/cases").json() == []

    # an approver of another department: outside the jurisdiction
    police = login_client("ga_sp1")
    assert police.get(f"/api/v1/staff/cases/{number}").status_code == 404
    assert post_json(police, f"/api/v1/staff/cases/{number}/accept", {}).status_code == 404

    anonymous = Client()
    for response in (
        anonymous.get("/api/v1/cases"),
        anonymous.get(f"/api/v1/cases/{number}"),
        anonymous.get("/api/v1/staff/queue"),
        apply(anonymous),
    ):
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthenticated"

    # applicants and staff keep to their own endpoints
    assert login_client(APPLICANT).get("/api/v1/staff/queue").status_code == 403
    assert login_client("zc01").get("/api/v1/cases").status_code == 403


def test_supplement_through_the_api(days) -> None:  # type: ignore[no-untyped-def]
    me = login_client(APPLICANT)
    number = apply(me).json()["number"]
    counter = login_client("zc01")
    asked = post_json(
        counter,
        f"/api/v1/staff/cases/{number}/supplement",
        {"items": [{"key": "layout", "reason": "未标注设备位置"}]},
    )
    assert asked.status_code == 200 and asked.json()["status"] == "supplement"
    detail = me.get(f"/api/v1/cases/{number}").json()
    assert detail["supplement"] == [
        {"key": "layout", "name": detail["supplement"][0]["name"], "reason": "未标注设备位置"}
    ]
    notice = me.get(f"/api/v1/cases/{number}/documents/supplement")
    assert notice.status_code == 200 and notice.content.startswith(b"%PDF")

    empty = me.post(f"/api/v1/cases/{number}/supplement", {})
    assert empty.status_code == 422 and error_of(empty)["field"] == "m_layout"
    supplied = me.post(f"/api/v1/cases/{number}/supplement", {"m_layout": pdf("layout.pdf")})
    assert supplied.status_code == 200 and supplied.json()["status"] == "submitted"


def test_personal_data_is_masked_unless_revealed_by_a_role_that_may(days) -> None:  # type: ignore[no-untyped-def]
    number = apply(login_client(APPLICANT)).json()["number"]
    case = Case.objects.get(number=number)
    counter = login_client("zc01")
    masked = counter.get(f"/api/v1/staff/cases/{number}").json()["applicant"]
    assert masked["masked"] and masked["phone"] != case.applicant_phone
    assert masked["phone"].endswith(case.applicant_phone[-4:])

    whole = counter.get(f"/api/v1/staff/cases/{number}?reveal=true").json()["applicant"]
    assert not whole["masked"] and whole["phone"] == case.applicant_phone
    assert AuditEntry.objects.filter(action="personal.reveal", object_id=str(case.pk)).count() == 1

    head = login_client("scjg_fzr")  # a department head may see the case, not whole numbers
    assert head.get(f"/api/v1/staff/cases/{number}").status_code == 200
    refused = head.get(f"/api/v1/staff/cases/{number}?reveal=true")
    assert refused.status_code == 403


def test_public_tracking_shows_the_public_timeline_and_is_limited(days) -> None:  # type: ignore[no-untyped-def]
    number = apply(login_client(APPLICANT)).json()["number"]
    post_json(
        login_client("zc01"),
        f"/api/v1/staff/cases/{number}/accept",
        {"deferred": {"rules": "2026-03-09"}},
    )
    tail = Case.objects.get(number=number).applicant_phone[-4:]
    public = Client()

    found = public.get("/api/v1/track", {"number": number, "phone_tail": tail})
    assert found.status_code == 200, found.content.decode()
    body = found.json()
    assert [e["label"] for e in body["timeline"]] == ["提交申请", "容缺受理"]
    assert set(body["timeline"][0]) == {"label", "department", "time"}
    assert "zc01" not in found.content.decode()

    wrong = public.get(
        "/api/v1/track", {"number": number, "phone_tail": "0000" if tail != "0000" else "1111"}
    )
    assert wrong.status_code == 404 and error_of(wrong)["code"] == "not_found"
    malformed = public.get("/api/v1/track", {"number": number, "phone_tail": "12"})
    assert malformed.status_code == 422

    for _ in range(8):  # 10 counted tries in all (the malformed one never reached the count)
        assert (
            public.get("/api/v1/track", {"number": number, "phone_tail": tail}).status_code == 200
        )
    limited = public.get("/api/v1/track", {"number": number, "phone_tail": tail})
    assert limited.status_code == 429
    assert error_of(limited)["code"] == "throttled"


def test_openapi_documents_the_case_endpoints() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert paths["/api/v1/cases"]["post"]["summary"] == "提交办件申请"
    assert "/api/v1/track" in paths
    assert "/api/v1/staff/cases/{number}/act" in paths


def test_list_endpoints_do_not_grow_queries_with_the_number_of_cases(days) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    me = login_client(APPLICANT)
    counter = login_client("zc01")

    def queries(client: Client, url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    apply(me)
    queries(me, "/api/v1/cases")  # warm up: the session and the idle timeout write once
    queries(counter, "/api/v1/staff/queue")
    one = (queries(me, "/api/v1/cases"), queries(counter, "/api/v1/staff/queue"))
    apply(me)
    apply(me)
    three = (queries(me, "/api/v1/cases"), queries(counter, "/api/v1/staff/queue"))
    assert one == three


def test_session_writes_need_the_csrf_token(days) -> None:  # type: ignore[no-untyped-def]
    signed_in = login_client(APPLICANT)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = signed_in.cookies
    assert strict.get("/api/v1/cases").status_code == 200
    refused = apply(strict)
    assert refused.status_code == 403
    assert error_of(refused)["message"]
    assert not Case.objects.exists()
