"""A real third-party Open311 client — the `georeport` package from PyPI — against the server.

georeport 0.3.1 reads only (services, a service definition, requests, one request) and parses
XML with xmltodict; it cannot POST, so the request it reads back is posted with `requests`, as
an app would, form-encoded with the demo api_key."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from georeport import GeoReport

from onewindow.appeals.models import Appeal

from .helpers import PHONE, counts, form

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_reads_what_an_app_posted(live_server: Any, fmt: str) -> None:
    root = f"{live_server.url}/open311/v2"
    posted = requests.post(
        f"{root}/requests.json",
        data=form(service_code="0701", **{"attribute[SOURCE]": "construction"}),
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    number = posted.json()[0]["service_request_id"]
    assert Appeal.objects.filter(number=number, channel="open311").exists()

    client = GeoReport(root, output_format=fmt)
    services = client.get_service_list()
    noise = next(s for s in services if s["service_code"] == "0701")
    assert noise["service_name"] == "噪声扰民"
    assert noise["metadata"] in (True, "true")

    definition = client.get_service_definition("0701")
    assert definition["service_code"] == "0701"
    attributes = definition["attributes"]
    if fmt == "xml":  # xmltodict: <attributes><attribute>…</attribute>…</attributes>
        attributes = attributes["attribute"]
    assert "SOURCE" in {a["code"] for a in attributes}

    found = client.get_service_requests(service_request_id=number)
    one = found[0] if isinstance(found, list) else found  # xmltodict: one <request> is a dict
    assert one["service_request_id"] == number and one["status"] == "open"
    assert one["service_code"] == "0701"

    listed = client.get_service_requests(service_code="0701", status="open")
    rows = listed if isinstance(listed, list) else [listed]
    assert number in {r["service_request_id"] for r in rows}

    single = client.get_service_request(number)
    assert single["service_request_id"] == number
    assert single["agency_responsible"]
    assert PHONE not in str(single) and "欧阳" not in str(single)


def test_a_20_mb_photo_over_http_is_refused_and_nothing_stored(live_server: Any) -> None:
    before = counts()
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * (20 * 1024 * 1024)
    response = requests.post(
        f"{live_server.url}/open311/v2/requests.xml",
        data=form(),
        files={"media": ("photo.jpg", photo, "image/jpeg")},
        timeout=60,
    )
    assert response.status_code == 400
    assert b"<errors>" in response.content and b"<code>400</code>" in response.content
    assert counts() == before
