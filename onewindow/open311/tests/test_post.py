"""POST Service Request: filed as an appeal through the Open311 channel, answered in both
formats; every bad input refused with the spec's error and nothing stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from onewindow.appeals.choices import Channel, Kind
from onewindow.appeals.models import Appeal
from onewindow.audit.models import AuditEntry
from onewindow.open311.models import ServiceRequest

from .helpers import BASE, EMAIL, KEY, PHONE, counts, error_of, form, post, xml

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2048


def test_post_json_files_an_open311_appeal() -> None:
    client = Client(enforce_csrf_checks=True)  # api_key, not a session: no CSRF token needed
    before = counts()
    response = post(client)
    assert response.status_code == 200, response.content
    (body,) = response.json()
    assert list(body) == ["service_request_id", "service_notice", "account_id"]
    appeal = Appeal.objects.get(number=body["service_request_id"])
    assert appeal.channel == Channel.OPEN311 and appeal.kind == Kind.HELP
    assert appeal.caller_name == "欧阳秀英" and appeal.callback_phone == PHONE
    assert appeal.region.code == "610799101001" and appeal.publish_consent
    assert str(appeal.latitude) == "33.050000" and appeal.address == "幸福巷十七号院"
    assert body["account_id"] == "acct-0815"
    assert "工作日" in body["service_notice"]
    record = ServiceRequest.objects.get(appeal=appeal)
    assert record.email == EMAIL and record.media_url == "https://img.example.cn/p/1.jpg"
    assert record.client.name == "青溪县演示客户端"
    after = counts()
    assert after["appeal"] == before["appeal"] + 1 and after["record"] == before["record"] + 1
    actions = set(
        AuditEntry.objects.filter(pk__gt=0).order_by("-pk")[:5].values_list("action", flat=True)
    )
    assert {"appeal.file", "open311.request"} <= actions
    entry = AuditEntry.objects.get(action="open311.request", object_id=str(record.pk))
    assert "青溪县演示客户端" in entry.actor_name
    assert PHONE not in str(entry.changes) and EMAIL not in str(entry.changes)


def test_post_xml_and_attributes(client: Any) -> None:
    response = client.post(
        f"{BASE}/requests.xml",
        form(
            service_code="0701",
            **{
                "attribute[SOURCE]": "construction",
                "attribute[WHEN][]": ["night", "day"],
                "attribute[APPEAL_KIND]": "complaint",
            },
        ),
    )
    assert response.status_code == 200, response.content
    root = xml(response)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request is not None
    assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    appeal = Appeal.objects.get(number=request.findtext("service_request_id"))
    assert appeal.kind == Kind.COMPLAINT
    assert "【噪声来源】建筑施工" in appeal.content and "夜间（22:00–6:00）" in appeal.content
    record = ServiceRequest.objects.get(appeal=appeal)
    assert record.attributes["WHEN"] == ["night", "day"]


def test_anonymous_report_and_address_id(client: Any) -> None:
    response = post(
        client,
        first_name=None,
        last_name=None,
        phone=None,
        lat=None,
        long=None,
        address_string=None,
        jurisdiction_id="610799000000",  # the county; the place is the address_id
        address_id="610799102002",  # 杨家庄村
        **{"attribute[APPEAL_KIND]": "report"},
    )
    assert response.status_code == 200, response.content
    appeal = Appeal.objects.get(number=response.json()[0]["service_request_id"])
    assert appeal.anonymous and appeal.kind == Kind.REPORT and appeal.caller_name == ""
    assert appeal.region.code == "610799102002"


def test_media_upload_is_kept(client: Any, media_root: Path) -> None:
    data = form()
    data["media"] = SimpleUploadedFile("photo.jpg", JPEG, content_type="image/jpeg")
    response = client.post(f"{BASE}/requests.json", data)
    assert response.status_code == 200, response.content
    appeal = Appeal.objects.get(number=response.json()[0]["service_request_id"])
    assert appeal.attachments.count() == 1


BAD = [
    # (what, changes to the valid form, HTTP status, words in the description)
    ("missing api_key", {"api_key": None}, 403, "api_key"),
    ("wrong api_key", {"api_key": "not-a-key"}, 403, "api_key"),
    ("unknown service_code", {"service_code": "9999"}, 404, "service_code"),
    ("missing service_code", {"service_code": None}, 400, "service_code"),
    ("group, not a service", {"service_code": "01"}, 404, "service_code"),
    ("region not in the county", {"jurisdiction_id": "110101001001"}, 404, "jurisdiction_id"),
    ("missing jurisdiction", {"jurisdiction_id": None}, 400, "jurisdiction_id"),
    ("coordinates outside the county", {"lat": "39.90", "long": "116.40"}, 400, "outside"),
    ("latitude alone", {"long": None}, 400, "long"),
    ("coordinates not numbers", {"lat": "north", "long": "east"}, 400, "lat"),
    (
        "address_id outside the jurisdiction",
        {"jurisdiction_id": "610799101000", "address_id": "610799102001"},
        400,
        "address_id",
    ),
    ("no location", {"lat": None, "long": None, "address_string": None}, 400, "location"),
    ("no description", {"description": ""}, 400, "description"),
    ("description over 4000", {"description": "很" * 4001}, 400, "description"),
    ("no phone for help", {"phone": None}, 400, "phone"),
    ("bad phone", {"phone": "12345"}, 400, "phone"),
    ("no name for help", {"first_name": None, "last_name": None}, 400, "first_name"),
    ("bad email", {"email": "not-mail"}, 400, "email"),
    ("media_url not http", {"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ("unknown attribute", {"attribute[COLOUR]": "red"}, 400, "COLOUR"),
    ("attribute value not listed", {"attribute[APPEAL_KIND]": "rant"}, 400, "APPEAL_KIND"),
    ("required attribute missing", {"service_code": "0701"}, 400, "SOURCE"),
    (
        "malformed datetime attribute",
        {"service_code": "0103", "attribute[UTILITY]": "water", "attribute[SINCE]": "yesterday"},
        400,
        "SINCE",
    ),
    (
        "number attribute not a number",
        {"service_code": "0501", "attribute[LENGTH]": "long"},
        400,
        "LENGTH",
    ),
    (
        "praise cannot be anonymous",
        {"attribute[APPEAL_KIND]": "praise", "phone": None},
        400,
        "phone",
    ),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("what", "over", "status", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_and_nothing_stored(
    client: Any, media_root: Path, fmt: str, what: str, over: dict, status: int, words: str
) -> None:
    before = counts()
    response = post(client, fmt, **over)
    assert response.status_code == status, response.content.decode()
    code, text = error_of(response, fmt)
    assert code == status and words in text, text
    assert counts() == before
    assert not any(media_root.rglob("*"))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_20_mb_attachment_is_refused_and_nothing_stored(
    client: Any, media_root: Path, fmt: str
) -> None:
    before = counts()
    data = form()
    data["media"] = SimpleUploadedFile(
        "photo.jpg", JPEG + b"\x00" * (20 * 1024 * 1024), content_type="image/jpeg"
    )
    response = client.post(f"{BASE}/requests.{fmt}", data)
    assert response.status_code == 400
    code, text = error_of(response, fmt)
    assert code == 400 and "MB" in text
    assert counts() == before
    assert not any(media_root.rglob("*"))


def test_photo_over_the_open311_limit_is_refused(
    client: Any, media_root: Path, settings: Any
) -> None:
    settings.ONEWINDOW_OPEN311_MEDIA_MAX_BYTES = 1024  # below the Content-Length shortcut
    before = counts()
    data = form()
    data["media"] = SimpleUploadedFile("photo.jpg", JPEG, content_type="image/jpeg")
    response = client.post(f"{BASE}/requests.json", data)
    assert response.status_code == 400 and "media" in error_of(response, "json")[1]
    assert counts() == before and not any(media_root.rglob("*"))


def test_media_that_is_not_a_photo_is_refused(client: Any, media_root: Path) -> None:
    before = counts()
    data = form()
    data["media"] = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo")
    response = client.post(f"{BASE}/requests.json", data)
    assert response.status_code == 400 and "JPEG" in error_of(response, "json")[1]
    assert counts() == before and not any(media_root.rglob("*"))


def test_posts_are_rate_limited_per_client(client: Any, settings: Any) -> None:
    settings.ONEWINDOW_OPEN311_POSTS_PER_HOUR = 2
    assert post(client).status_code == 200
    assert post(client, description="").status_code == 400  # refused posts count too
    before = counts()
    response = post(client)
    assert response.status_code == 429
    assert error_of(response, "json")[0] == 429
    assert counts() == before


def test_batch_mode_returns_a_token_that_resolves(client: Any, settings: Any) -> None:
    settings.ONEWINDOW_OPEN311_TYPE = "batch"
    assert {s["type"] for s in client.get(f"{BASE}/services.json").json()} == {"batch"}
    (body,) = post(client).json()
    assert list(body) == ["token", "service_notice", "account_id"]
    token = body["token"]
    (resolved,) = client.get(f"{BASE}/tokens/{token}.json").json()
    record = ServiceRequest.objects.get(token=token)
    assert resolved == {"service_request_id": record.appeal.number, "token": token}
    root = xml(client.get(f"{BASE}/tokens/{token}.xml"))
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request is not None and [c.tag for c in request] == ["service_request_id", "token"]
    assert KEY not in client.get(f"{BASE}/tokens/{token}.json").content.decode()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_token_is_404(client: Any, fmt: str) -> None:
    response = client.get(f"{BASE}/tokens/deadbeef.{fmt}")
    assert response.status_code == 404 and error_of(response, fmt)[0] == 404
