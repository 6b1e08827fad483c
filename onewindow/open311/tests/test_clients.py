"""API clients: `onewindow open311 newkey NAME` shows a key once and keeps only its hash; the
demo county's client answers to demo-open311-key; disabling a client stops its key."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from onewindow.audit.models import AuditEntry
from onewindow.open311 import seed, selectors
from onewindow.open311.demo import DEMO_KEY, build_open311
from onewindow.open311.models import Client as ApiClient
from onewindow.open311.models import ServiceAttribute, ServiceRequest

from .helpers import BASE, error_of, post

pytestmark = pytest.mark.django_db


def test_newkey_prints_the_key_once_and_keeps_its_hash(client: Any) -> None:
    out = io.StringIO()
    call_command("open311", "newkey", "青溪通 App", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert len(key) >= 40
    made = ApiClient.objects.get(name="青溪通 App")
    assert made.key_hash == selectors.key_hash(key) and key not in made.key_hash
    assert made.key_prefix == key[:8]
    entry = AuditEntry.objects.get(action="open311.client_create", object_id=str(made.pk))
    assert key not in str(entry.changes) and "控制台" in entry.actor_name
    assert post(client, api_key=key).status_code == 200
    listing = io.StringIO()
    call_command("open311", "list", stdout=listing)
    assert "青溪通 App" in listing.getvalue() and key not in listing.getvalue()

    call_command("open311", "disable", "青溪通 App", stdout=io.StringIO())
    response = post(client, api_key=key)
    assert response.status_code == 403 and error_of(response, "json")[0] == 403
    assert AuditEntry.objects.filter(action="open311.client_active").exists()
    call_command("open311", "enable", "青溪通 App", stdout=io.StringIO())
    assert post(client, api_key=key).status_code == 200

    with pytest.raises(CommandError):
        call_command("open311", "newkey", "青溪通 App", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("open311", "disable", "没有这个", stdout=io.StringIO())


def test_demo_client_and_attributes_are_loaded_once() -> None:
    demo = selectors.client_for_key(DEMO_KEY)
    assert demo is not None and demo.name == "青溪县演示客户端"
    assert ServiceAttribute.objects.filter(category__isnull=True).count() == 2
    assert build_open311() == 0  # idempotent
    assert seed.load(apps) == 0
    assert ApiClient.objects.filter(name="青溪县演示客户端").count() == 1


def test_rate_limit_counts_per_client(client: Any, settings: Any) -> None:
    settings.ONEWINDOW_OPEN311_POSTS_PER_HOUR = 1
    out = io.StringIO()
    call_command("open311", "newkey", "第二个应用", stdout=out)
    other = out.getvalue().strip().splitlines()[-1]
    assert post(client).status_code == 200
    assert post(client).status_code == 429
    assert post(client, api_key=other).status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200  # reads are not counted


def test_back_office_pages_for_the_system_administrator(as_user: Any) -> None:
    admin = as_user("xitong")
    demo = ApiClient.objects.get(name="青溪县演示客户端")
    attribute = ServiceAttribute.objects.filter(category__isnull=True).first()
    assert attribute is not None
    pages = [
        "/sysadmin/open311/client/",
        f"/sysadmin/open311/client/{demo.pk}/change/",
        "/sysadmin/open311/serviceattribute/",
        f"/sysadmin/open311/serviceattribute/{attribute.pk}/change/",
        "/sysadmin/open311/servicerequest/",
    ]
    for page in pages:
        response = admin.get(page)
        assert response.status_code == 200, page
        assert DEMO_KEY not in response.content.decode()
    assert admin.get("/sysadmin/open311/client/add/").status_code == 403
    assert post(admin).status_code == 200
    record = ServiceRequest.objects.get()
    page = admin.get(f"/sysadmin/open311/servicerequest/{record.pk}/change/")
    assert page.status_code == 200 and record.appeal.number in page.content.decode()
    assert "ouyang" not in page.content.decode()  # the e-mail is left out of the page
    assert as_user("jiancha").get("/sysadmin/open311/client/").status_code in (302, 403)
