"""GET Service Requests and GET Service Request: what may be shown, filters, defaults, errors;
personal data never appears."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.appeals import services as appeals
from onewindow.appeals.models import Appeal

from .helpers import BASE, EMAIL, KEY, NAME_FIRST, NAME_LAST, PHONE, STREET, error_of, post, xml

pytestmark = pytest.mark.django_db

FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
PERSONAL = [NAME_FIRST, NAME_LAST, PHONE, PHONE[-4:], EMAIL, STREET, "device-4711", "acct-0815"]


def filed(client: Any, **over: Any) -> str:
    response = post(client, **over)
    assert response.status_code == 200, response.content
    return response.json()[0]["service_request_id"]


def test_request_json_and_xml_show_the_spec_fields_and_no_personal_data(client: Any) -> None:
    number = filed(client, description=f"我叫{NAME_LAST}{NAME_FIRST}，电话 {PHONE}，垃圾没人收。")
    (body,) = client.get(f"{BASE}/requests/{number}.json").json()
    assert list(body) == FIELDS
    assert body["service_request_id"] == number and body["status"] == "open"
    assert body["service_code"] == "0503" and body["service_name"] == "农村人居环境"
    assert body["address"] == "青石村, 青石镇, 青溪县" and body["address_id"] == "610799101001"
    assert body["lat"] == 33.05 and body["long"] == 107.1
    assert body["agency_responsible"] == "青石村"
    assert body["media_url"] == "https://img.example.cn/p/1.jpg"
    assert body["requested_datetime"].endswith("+08:00")
    assert dt.datetime.fromisoformat(body["requested_datetime"]) <= timezone.now()
    assert body["expected_datetime"] is None  # not signed for yet

    root = xml(client.get(f"{BASE}/requests/{number}.xml"))
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request is not None and [c.tag for c in request] == FIELDS
    assert request.findtext("status") == "open"

    for url in (
        f"{BASE}/requests/{number}.json",
        f"{BASE}/requests/{number}.xml",
        f"{BASE}/requests.json",
        f"{BASE}/requests.xml",
        f"{BASE}/requests.json?service_request_id={number}",
        f"{BASE}/requests.xml?api_key={KEY}",
    ):
        text = client.get(url).content.decode()
        assert number in text, url
        for secret in PERSONAL:
            assert secret not in text, (url, secret)


def test_published_appeals_of_other_channels_and_never_reports(client: Any) -> None:
    from onewindow.appeals.models import Category
    from onewindow.org.models import Region

    def web(kind: str, consent: bool) -> str:
        return appeals.file_appeal(
            channel="web",
            kind=kind,
            category_id=Category.objects.get(code="0601").pk,
            region_id=Region.objects.get(code="610799103002").pk,
            title="饭馆卫生差",
            content="街边饭馆后厨卫生很差，请检查。",
            caller_name="王建国",
            callback_phone="13900001234",
            publish_consent=consent,
        ).number

    shown, private, report = web("complaint", True), web("complaint", False), web("report", True)
    numbers = {r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()}
    assert shown in numbers and private not in numbers and report not in numbers
    (body,) = client.get(f"{BASE}/requests/{shown}.json").json()
    assert body["media_url"] is None and body["lat"] is None
    assert body["address"] == "高坎村, 白河镇, 青溪县"
    assert "王建国" not in str(body) and "13900001234" not in str(body)


def test_control_characters_do_not_break_the_xml(client: Any) -> None:
    number = filed(client, description="垃圾点\x01没人清运\x0b，请处理。")
    request = xml(client.get(f"{BASE}/requests/{number}.xml")).find("request")
    assert request is not None
    assert request.findtext("description", "").startswith("垃圾点没人清运，请处理。")


def test_status_notes_dates_and_closed(client: Any) -> None:
    number = filed(client)
    appeal = Appeal.objects.get(number=number)
    centre = User.objects.get(username="jiancha")
    turn = appeal.dispatches.get()
    appeals.sign_for(actor=centre, appeal_id=appeal.pk, dispatch_id=turn.pk)
    (body,) = client.get(f"{BASE}/requests/{number}.json").json()
    assert body["status_notes"] == "办理中"
    assert body["expected_datetime"].endswith("T23:59:59+08:00")
    appeals.reply(
        actor=centre, appeal_id=appeal.pk, dispatch_id=turn.pk, text="已清运，电话 13911112222。"
    )
    appeal.refresh_from_db()
    appeals.rate(number=number, phone_last4=PHONE[-4:], rating="satisfied")
    (body,) = client.get(f"{BASE}/requests/{number}.json").json()
    assert body["status"] == "closed"
    assert "已清运" in body["status_notes"] and "13911112222" not in body["status_notes"]
    closed = client.get(f"{BASE}/requests.json", {"status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [number]
    assert number not in {
        r["service_request_id"]
        for r in client.get(f"{BASE}/requests.json", {"status": "open"}).json()
    }


def test_unpublished_requests_only_for_the_client_that_filed_them(client: Any) -> None:
    number = filed(client, **{"attribute[PUBLISH]": None})
    assert not Appeal.objects.get(number=number).publish_consent
    response = client.get(f"{BASE}/requests/{number}.json")
    assert response.status_code == 404 and error_of(response, "json")[0] == 404
    assert client.get(f"{BASE}/requests.json", {"service_request_id": number}).json() == []
    mine = client.get(f"{BASE}/requests/{number}.json", {"api_key": KEY})
    assert mine.status_code == 200 and mine.json()[0]["service_request_id"] == number
    wrong = client.get(f"{BASE}/requests.json", {"api_key": "nope"})
    assert wrong.status_code == 403 and error_of(wrong, "json")[0] == 403


def test_filters(client: Any) -> None:
    a = filed(client)
    b = filed(
        client,
        service_code="0701",
        jurisdiction_id="610799102001",
        **{"attribute[SOURCE]": "business"},
    )
    both = client.get(f"{BASE}/requests.json", {"service_request_id": f"{a},{b},MQ0"}).json()
    assert {r["service_request_id"] for r in both} == {a, b}
    noise = client.get(f"{BASE}/requests.json", {"service_code": "0701"}).json()
    assert [r["service_request_id"] for r in noise] == [b]
    town = client.get(f"{BASE}/requests.json", {"jurisdiction_id": "610799102000"}).json()
    assert [r["service_request_id"] for r in town] == [b]
    recent = client.get(f"{BASE}/requests.json").json()
    assert [r["service_request_id"] for r in recent][:2] == [b, a]  # newest first
    now = timezone.localtime()
    window = {
        "start_date": (now - dt.timedelta(hours=1)).isoformat(timespec="seconds"),
        "end_date": (now + dt.timedelta(hours=1)).isoformat(timespec="seconds"),
    }
    assert len(client.get(f"{BASE}/requests.json", window).json()) == 2
    old = {"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-03-01T00:00:00Z"}
    assert client.get(f"{BASE}/requests.xml", old).content.decode().count("<request>") == 0
    root = xml(client.get(f"{BASE}/requests.xml", old))
    assert root.tag == "service_requests" and list(root) == []
    only_start = {"start_date": (now - dt.timedelta(days=1)).date().isoformat()}
    assert len(client.get(f"{BASE}/requests.json", only_start).json()) == 2


BAD_QUERIES = [
    ({"start_date": "yesterday"}, 400, "start_date"),
    ({"end_date": "2026-13-01T00:00:00Z"}, 400, "end_date"),
    ({"start_date": "2026-01-01T10:00:00"}, 400, "start_date"),  # no time zone
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400, "90"),
    ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, 400, "after"),
    ({"status": "pending"}, 400, "status"),
    ({"service_code": "9999"}, 400, "service_code"),
    ({"jurisdiction_id": "999999999999"}, 404, "jurisdiction_id"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("query", "status", "words"), BAD_QUERIES)
def test_bad_queries(client: Any, fmt: str, query: dict, status: int, words: str) -> None:
    response = client.get(f"{BASE}/requests.{fmt}", query)
    assert response.status_code == status
    code, text = error_of(response, fmt)
    assert code == status and words in text


def test_list_query_count_does_not_grow(client: Any) -> None:
    for _ in range(2):
        filed(client)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(f"{BASE}/requests.json").json()) == 2
    for _ in range(4):
        filed(client)
    with CaptureQueriesContext(connection) as more:
        assert len(client.get(f"{BASE}/requests.json").json()) == 6
    assert len(more) == len(few) <= 8
