"""The rating endpoints: the applicant's own case, and the signed link; the project's error shape."""

from __future__ import annotations

import json

import pytest

from onewindow.cases.models import Case
from onewindow.evaluation import tokens
from onewindow.evaluation.models import Rating

from .conftest import Days, food_case

pytestmark = pytest.mark.django_db


def post(client, url: str, data: dict):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(data), content_type="application/json")


def test_applicant_rates_own_case_through_the_api(as_user, days: Days) -> None:  # type: ignore[no-untyped-def]
    case = food_case()
    client = as_user("13900000012")
    state = client.get(f"/api/v1/evaluation/cases/{case.number}").json()
    assert state["open_stages"] == ["completion", "acceptance"] and state["ratings"] == []
    bad = post(
        client, f"/api/v1/evaluation/cases/{case.number}", {"stage": "completion", "level": 7}
    )
    assert bad.status_code == 422
    assert (
        bad.json()["error"]["field"] == "level"
        and "评价等级“7”无效" in bad.json()["error"]["message"]
    )
    ok = post(
        client,
        f"/api/v1/evaluation/cases/{case.number}",
        {"stage": "completion", "level": 5, "reasons": ["efficiency"], "comment": "快"},
    )
    assert ok.status_code == 201 and ok.json()["level_label"] == "非常满意"
    again = post(
        client, f"/api/v1/evaluation/cases/{case.number}", {"stage": "completion", "level": 1}
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    other = as_user("13900000011")
    assert other.get(f"/api/v1/evaluation/cases/{case.number}").status_code == 404
    assert Rating.objects.count() == 1


def test_signed_link_endpoint(client, finished: Case) -> None:  # type: ignore[no-untyped-def]
    token = tokens.rating_token(finished.pk)
    assert client.get(f"/api/v1/rate/{token}").json()["number"] == finished.number
    forged = post(client, "/api/v1/rate/abc:def:ghi", {"stage": "completion", "level": 5})
    assert forged.status_code == 422 and forged.json()["error"]["code"] == "token_invalid"
    ok = post(client, f"/api/v1/rate/{token}", {"stage": "acceptance", "level": 4})
    assert ok.status_code == 201 and ok.json()["channel"] == "qr"


def test_anonymous_cannot_use_the_applicant_endpoint(client, finished: Case) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/evaluation/cases/{finished.number}")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"
