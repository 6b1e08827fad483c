"""The case pages through the test client: apply online, decide at the counter, approve in the
back office, hand the result over, track without signing in; refusals change nothing."""

from __future__ import annotations

import pytest

from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import Case
from onewindow.conftest import login_client

from .conftest import FOOD, SEAL, pdf

pytestmark = pytest.mark.django_db

FOOD_FILES = ("app_form", "licence", "id_card", "layout")


def apply_for_food(client):  # type: ignore[no-untyped-def]
    page = client.get(f"/cases/apply/{FOOD}/?s_apply_type=new&s_agent=self")
    assert page.status_code == 200
    key = page.context["submission_key"]
    data = {"submission_key": key, "s_apply_type": "new", "s_agent": "self", "delivery": "pickup"}
    data |= {f"m_{k}": pdf(f"{k}.pdf") for k in FOOD_FILES}
    return client.post(f"/cases/apply/{FOOD}/", data), key


def test_online_application_through_the_pages(days) -> None:  # type: ignore[no-untyped-def]
    applicant = login_client("13900000012")
    response, key = apply_for_food(applicant)
    assert response.status_code == 302
    case = Case.objects.get(submission_key=key)
    assert response["Location"] == f"/cases/mine/{case.number}/"
    mine = applicant.get(response["Location"])
    assert "待受理" in mine.content.decode()

    counter = login_client("zc01")
    queue = counter.get("/workbench/cases/")
    assert case.number in queue.content.decode()
    page = counter.get(f"/workbench/cases/{case.number}/")
    assert "受理决定" in page.content.decode()
    accepted = counter.post(
        f"/workbench/cases/{case.number}/do/accept/",
        {"revision": case.revision, "defer_rules": "1", "promise_rules": "2026-03-09"},
    )
    assert accepted.status_code == 302, accepted.content.decode()[:2000]
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.result_held

    # the same form sent again from the stale page: a conflict, nothing changes
    again = counter.post(
        f"/workbench/cases/{case.number}/do/accept/",
        {"revision": case.revision - 1, "defer_rules": "1", "promise_rules": "2026-03-09"},
    )
    assert again.status_code == 409
    assert "刚刚已被他人处理" in again.content.decode()

    approver = login_client("scjg_sp2")
    assert case.number in approver.get("/workbench/cases/").content.decode()
    case.refresh_from_db()
    passed = approver.post(
        f"/workbench/cases/{case.number}/do/act/", {"revision": case.revision, "action": "pass"}
    )
    assert passed.status_code == 302
    head = login_client("scjg_fzr")
    case.refresh_from_db()
    returned = head.post(
        f"/workbench/cases/{case.number}/do/act/",
        {"revision": case.revision, "action": "reconsider", "note": ""},
    )
    assert returned.status_code == 422 and "请填写理由" in returned.content.decode()
    approved = head.post(
        f"/workbench/cases/{case.number}/do/act/", {"revision": case.revision, "action": "approve"}
    )
    assert approved.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED

    # the applicant supplies the 容缺 material online; the result is then released
    supplied = applicant.post(
        f"/cases/mine/{case.number}/supply/", {"key": "rules", "m_rules": pdf("rules.pdf")}
    )
    assert supplied.status_code == 302
    case.refresh_from_db()
    assert not case.result_held
    detail = applicant.get(f"/cases/mine/{case.number}/").content.decode()
    assert case.pickup_code in detail

    tracked = login_client("13900000011").get(  # any visitor; signing in is not needed
        "/cases/track/", {"number": case.number, "phone_tail": "0012"}
    )
    body = tracked.content.decode()
    assert "准予许可" in body and "scjg_fzr" not in body and str(case.accepted_by) not in body

    window = login_client("chujian1")
    delivered = window.post(
        f"/workbench/cases/{case.number}/do/deliver/",
        {
            "revision": case.revision,
            "pickup_code": case.pickup_code,
            "id_tail": case.applicant_credit_code[-4:],
        },
    )
    assert delivered.status_code == 302
    case.refresh_from_db()
    assert case.delivered_at is not None


def test_a_forged_upload_is_refused_and_nothing_saved(days) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login_client("13900000012")
    before = Case.objects.count()
    data = {"submission_key": "forged", "s_apply_type": "new", "s_agent": "self"}
    data |= {f"m_{k}": pdf() for k in FOOD_FILES}
    data["m_layout"] = SimpleUploadedFile("layout.pdf", b"MZ\x90\x00fake", "application/pdf")
    response = client.post(f"/cases/apply/{FOOD}/", data)
    assert response.status_code == 422
    assert "不是" in response.context["error"].message
    assert Case.objects.count() == before


def test_counter_walk_in_for_an_immediate_item(days) -> None:  # type: ignore[no-untyped-def]
    from onewindow.accounts.models import Applicant

    client = login_client("zc01")
    page = client.get(f"/workbench/cases/counter/?item={SEAL}&s_seal_type=new&s_agent=self")
    assert page.status_code == 200
    company = Applicant.objects.get(name="陕西青石建设工程有限公司")
    bad = client.post(
        "/workbench/cases/counter/",
        {
            "item": SEAL,
            "s_seal_type": "new",
            "s_agent": "self",
            "applicant_kind": "legal",
            "applicant_name": company.name,
            "applicant_phone": "1390000",
            "applicant_credit_code": company.credit_code,
            "presented": ["licence", "lr_id"],
        },
    )
    assert bad.status_code == 422 and "手机号码" in bad.content.decode()
    made = client.post(
        "/workbench/cases/counter/",
        {
            "item": SEAL,
            "s_seal_type": "new",
            "s_agent": "self",
            "applicant_kind": "legal",
            "applicant_name": company.name,
            "applicant_phone": "13900000013",
            "applicant_credit_code": company.credit_code,
            "presented": ["licence", "lr_id"],
            "submission_key": "walk-in-1",
        },
    )
    assert made.status_code == 302
    case = Case.objects.get(submission_key="walk-in-1")
    done = client.post(f"/workbench/cases/{case.number}/do/accept/", {"revision": case.revision})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.immediate


def test_staff_outside_the_jurisdiction_see_nothing(days) -> None:  # type: ignore[no-untyped-def]
    _response, key = apply_for_food(login_client("13900000012"))
    case = Case.objects.get(submission_key=key)
    assert login_client("chengguan_sl1").get(f"/workbench/cases/{case.number}/").status_code == 404
    assert login_client("13900000011").get(f"/cases/mine/{case.number}/").status_code == 404
    assert login_client("shenji").get("/workbench/cases/").status_code == 403


def test_tracking_is_rate_limited(days, settings) -> None:  # type: ignore[no-untyped-def]
    client = login_client("13900000011")
    for _ in range(10):
        assert client.get("/cases/track/", {"number": "x", "phone_tail": "1234"}).status_code == 404
    assert client.get("/cases/track/", {"number": "x", "phone_tail": "1234"}).status_code == 429


def test_the_applicant_register_and_reveal_follow_the_jurisdiction(days) -> None:  # type: ignore[no-untyped-def]
    """A department's approver looks up only applicants with a case in their department; a
    town's counter only those with a case in the town; the county's comprehensive window all
    (walk-ins come from anywhere). Outside the reach, revealing a number is a 404."""
    from onewindow.accounts.models import User

    company = User.objects.get(phone="13900000012").applicant
    approver, town, county = (
        login_client("scjg_sp2"),
        login_client("chengguan_sl1"),
        login_client("zc01"),
    )
    register = "/workbench/applicants/?q=13900000012"
    assert company.name not in approver.get(register).content.decode()
    assert company.name not in town.get(register).content.decode()
    assert company.name in county.get(register).content.decode()
    reveal = f"/workbench/applicants/{company.pk}/reveal/"
    assert town.post(reveal, {"field": "phone"}).status_code == 404

    apply_for_food(login_client("13900000012"))  # a case in 市场监管's jurisdiction
    assert company.name in approver.get(register).content.decode()
    assert company.name not in town.get(register).content.decode()
    assert town.post(reveal, {"field": "phone"}).status_code == 404
    assert county.post(reveal, {"field": "phone"}).status_code == 200
