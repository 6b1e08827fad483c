"""Shared pieces of the Open311 tests: a valid POST, counts of everything a POST may write."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from django.test import Client

from onewindow.appeals.models import Appeal, AppealEvent, Dispatch
from onewindow.audit.models import AuditEntry
from onewindow.files.models import StoredFile
from onewindow.notifications.models import Message
from onewindow.open311.models import ServiceRequest

BASE = "/open311/v2"
KEY = "demo-open311-key"
VILLAGE = "610799101001"  # 青石村, 青石镇
NAME_FIRST, NAME_LAST = "秀英", "欧阳"
PHONE = "13987654321"
EMAIL = "ouyang.xiuying@example.cn"
STREET = "幸福巷十七号院"


def form(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "api_key": KEY,
        "jurisdiction_id": VILLAGE,
        "service_code": "0503",
        "lat": "33.05",
        "long": "107.10",
        "address_string": STREET,
        "email": EMAIL,
        "device_id": "device-4711",
        "account_id": "acct-0815",
        "first_name": NAME_FIRST,
        "last_name": NAME_LAST,
        "phone": PHONE,
        "description": "村口垃圾点三天没有清运，气味很大，请尽快处理。",
        "media_url": "https://img.example.cn/p/1.jpg",
        "attribute[PUBLISH]": "true",
    }
    for key, value in over.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def counts() -> dict[str, int]:
    return {
        "appeal": Appeal.objects.count(),
        "event": AppealEvent.objects.count(),
        "dispatch": Dispatch.objects.count(),
        "record": ServiceRequest.objects.count(),
        "audit": AuditEntry.objects.count(),
        "file": StoredFile.objects.count(),
        "message": Message.objects.count(),
    }


def post(client: Client, fmt: str = "json", **over: Any) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", form(**over))


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return ET.fromstring(response.content)  # noqa: S314 - our own response


def error_of(response: Any, fmt: str) -> tuple[int, str]:
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        body = response.json()
        assert isinstance(body, list) and set(body[0]) == {"code", "description"}
        return body[0]["code"], body[0]["description"]
    root = xml(response)
    assert root.tag == "errors"
    error = root.find("error")
    assert error is not None and [c.tag for c in error] == ["code", "description"]
    return int(error.findtext("code") or 0), error.findtext("description") or ""
