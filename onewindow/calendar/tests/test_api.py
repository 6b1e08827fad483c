"""/api/v1/calendar/: the answers, and every bad input in the API's one error shape."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from onewindow.calendar import services
from onewindow.calendar.models import CalendarYear

pytestmark = pytest.mark.django_db

BASE = "/api/v1/calendar"


def get(path: str, **params: object) -> tuple[int, dict]:
    response = Client().get(f"{BASE}{path}", params)
    return response.status_code, response.json()


def assert_error(status: int, body: dict, *, code: str, field: str | None, message: str) -> None:
    assert status == 422
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["field"] == field
    assert body["error"]["message"] == message


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2026-03-13", 1, "2026-03-16"),
        ("2026-09-30", 1, "2026-10-08"),
        ("2025-09-30", 1, "2025-10-09"),
        ("2026-09-19", 1, "2026-09-20"),
        ("2026-10-03", 0, "2026-10-03"),
        ("2004-01-01", 3650, None),  # the largest offset allowed: about 15 years later
    ],
)
def test_add_working_days(start, days, expected):
    status, body = get("/add-working-days", start=start, days=days)
    assert status == 200, body
    assert set(body) == {"start", "days", "date"}
    assert body["start"] == start and body["days"] == days
    if expected:
        assert body["date"] == expected
    dt.date.fromisoformat(body["date"])


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-02-30", "days": 1}, "start", "参数 start 不是有效日期，应为 YYYY-MM-DD"),
        ({"start": "yesterday", "days": 1}, "start", "参数 start 不是有效日期，应为 YYYY-MM-DD"),
        ({"start": "20260301", "days": 1}, "start", "参数 start 不是有效日期，应为 YYYY-MM-DD"),
        ({"start": "0", "days": 1}, "start", "参数 start 不是有效日期，应为 YYYY-MM-DD"),
        ({"start": "", "days": 1}, "start", "参数 start 不是有效日期，应为 YYYY-MM-DD"),
        ({"start": "2026-03-01", "days": -1}, "days", "参数 days 数值过小（最小为 0）"),
        ({"start": "2026-03-01", "days": 3651}, "days", "参数 days 数值过大（最大为 3650）"),
        ({"start": "2026-03-01", "days": "ten"}, "days", "参数 days 应为整数"),
        ({"start": "2026-03-01", "days": "1.5"}, "days", "参数 days 应为整数"),
        ({"days": 1}, "start", "参数 start 缺少必填参数"),
        ({"start": "2026-03-01"}, "days", "参数 days 缺少必填参数"),
        ({}, "start", "参数 start 缺少必填参数"),
    ],
)
def test_add_working_days_bad_input(params, field, message):
    status, body = get("/add-working-days", **params)
    assert_error(status, body, code="invalid_input", field=field, message=message)
    assert body["error"]["details"][0]["field"] == field


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2027-01-04", "days": 1}, "start"),
        ({"start": "2027-01-04", "days": 0}, "start"),
        ({"start": "2026-12-31", "days": 1}, "days"),
        ({"start": "2026-06-01", "days": 3650}, "days"),
    ],
)
def test_add_working_days_into_2027_is_refused(params, field):
    status, body = get("/add-working-days", **params)
    assert_error(
        status, body, code="calendar_year_missing", field=field, message="2027 年工作日历尚未发布"
    )


def test_earlier_years_are_refused_too():
    status, body = get("/add-working-days", start="2003-12-31", days=1)
    assert_error(
        status, body, code="calendar_year_missing", field="start", message="2003 年工作日历尚未发布"
    )


def test_publishing_2027_opens_it_to_the_api(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.calendar_year_publish(
            year=2027,
            holidays=[(dt.date(2027, 1, 1), dt.date(2027, 1, 3), "元旦")],
            makeup_workdays=[],
            notice_ref="国办发明电〔2026〕7号",
            actor=None,
        )
    assert get("/add-working-days", start="2026-12-31", days=1) == (
        200,
        {"start": "2026-12-31", "days": 1, "date": "2027-01-04"},
    )


def test_count_working_days():
    assert get("/count-working-days", start="2026-09-30", end="2026-10-08") == (
        200,
        {"start": "2026-09-30", "end": "2026-10-08", "working_days": 1},
    )
    assert get("/count-working-days", start="2026-03-13", end="2026-03-13")[1]["working_days"] == 0
    assert (
        get("/count-working-days", start="2025-12-31", end="2026-12-31")[1]["working_days"]
        == CalendarYear.objects.get(year=2026).days.filter(is_workday=True).count()
    )


@pytest.mark.parametrize(
    ("params", "code", "field", "message"),
    [
        ({"start": "2026-03-13"}, "invalid_input", "end", "参数 end 缺少必填参数"),
        (
            {"start": "x", "end": "2026-03-13"},
            "invalid_input",
            "start",
            "参数 start 不是有效日期，应为 YYYY-MM-DD",
        ),
        (
            {"start": "2026-03-13", "end": "2026-03-12"},
            "invalid_input",
            "end",
            "参数 end 不能早于 start",
        ),
        (
            {"start": "2026-03-13", "end": "2027-01-04"},
            "calendar_year_missing",
            "end",
            "2027 年工作日历尚未发布",
        ),
        (
            {"start": "2003-03-13", "end": "2026-01-04"},
            "calendar_year_missing",
            "start",
            "2003 年工作日历尚未发布",
        ),
    ],
)
def test_count_working_days_bad_input(params, code, field, message):
    status, body = get("/count-working-days", **params)
    assert_error(status, body, code=code, field=field, message=message)


def test_natural_deadline():
    assert get("/natural-deadline", start="2026-09-30", days=1) == (
        200,
        {"start": "2026-09-30", "days": 1, "date": "2026-10-08", "extended": True},
    )
    assert get("/natural-deadline", start="2026-03-02", days=15)[1] == {
        "start": "2026-03-02",
        "days": 15,
        "date": "2026-03-17",
        "extended": False,
    }
    status, body = get("/natural-deadline", start="2026-12-20", days=15)
    assert_error(
        status, body, code="calendar_year_missing", field="days", message="2027 年工作日历尚未发布"
    )
    status, body = get("/natural-deadline", start="2026-12-20", days=-3)
    assert_error(
        status, body, code="invalid_input", field="days", message="参数 days 数值过小（最小为 0）"
    )


def test_days_of_a_year():
    status, body = get("/days/2026")
    assert status == 200
    assert body["year"] == 2026
    assert body["source"] == "chinese-calendar"
    assert (
        body["workdays"] == CalendarYear.objects.get(year=2026).days.filter(is_workday=True).count()
    )
    days = {d["date"]: d for d in body["days"]}
    assert days["2026-10-01"] == {
        "date": "2026-10-01",
        "kind": "holiday",
        "name": "国庆节",
        "is_workday": False,
    }
    assert days["2026-09-20"]["kind"] == "makeup_workday" and days["2026-09-20"]["is_workday"]
    assert "2026-03-14" not in days  # an ordinary Saturday is not listed
    assert {d["kind"] for d in body["days"]} == {"holiday", "makeup_workday"}


@pytest.mark.parametrize(
    ("year", "code", "message"),
    [
        ("2027", "calendar_year_missing", "2027 年工作日历尚未发布"),
        ("1999", "invalid_input", "参数 year 数值过小（最小为 2000）"),
        ("abc", "invalid_input", "参数 year 应为整数"),
    ],
)
def test_days_of_a_year_bad_input(year, code, message):
    status, body = get(f"/days/{year}")
    assert status == 422
    assert body["error"]["code"] == code
    assert body["error"]["message"] == message


def test_the_calendar_is_public_and_documented():
    client = Client()
    assert client.get(f"{BASE}/add-working-days?start=2026-03-13&days=1").status_code == 200
    spec = client.get("/api/v1/openapi.json").json()
    for path in ("add-working-days", "count-working-days", "natural-deadline", "days/{year}"):
        operation = spec["paths"][f"{BASE}/{path}"]["get"]
        assert {"200", "422"} <= set(operation["responses"])
        assert "security" not in operation
