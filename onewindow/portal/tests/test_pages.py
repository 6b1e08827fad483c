import datetime as dt

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_public_home_is_chinese_and_lists_service_points() -> None:
    response = Client().get("/")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-CN"' in page
    assert "青溪县政务服务中心" in page and "便民服务中心" in page
    assert "https://" not in page  # nothing from a CDN


def test_security_headers() -> None:
    response = Client().get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_csrf_is_enforced() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "zc01", "password": "x"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def test_error_pages_are_chinese() -> None:
    from onewindow.conftest import login_client

    assert "找不到您要的页面" in Client().get("/no-such-page/").content.decode()
    response = login_client("shenji").get("/workbench/windows/")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_display_modes_work_without_javascript() -> None:
    client = Client()
    response = client.get("/display/?large=1&next=/service-points/")
    assert response.status_code == 302 and response["Location"] == "/service-points/"
    assert 'class="large' in client.get("/").content.decode()
    evil = client.get("/display/?contrast=1&next=https://evil.example/")
    assert evil["Location"] == "/"


def test_search_and_service_points() -> None:
    client = Client()
    assert "市场监督管理局" in client.get("/search/?q=市场").content.decode()
    assert "没有找到与“量子纠缠”相关的事项" in client.get("/search/?q=量子纠缠").content.decode()
    assert "青石村便民服务站" in client.get("/service-points/").content.decode()


def test_openapi_is_served() -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/calendar/add-working-days" in spec["paths"]
    assert Client().get("/api/v1/docs").status_code == 200


def test_a_town_or_village_lists_what_it_may_handle_and_a_recall_takes_it_off() -> None:
    from onewindow.catalogue.grants import region_catalogue
    from onewindow.catalogue.models import Devolution
    from onewindow.org.models import Region

    town = Region.objects.get(name="青石镇")
    village = Region.objects.get(name="青石村")
    expected = list(region_catalogue(town))
    assert expected and len(list(region_catalogue(village))) < len(expected)
    page = Client().get("/guide/", {"region": town.code}).content.decode()
    assert "青石镇可办事项" in page and f"（共 {len(expected)} 项）" in page
    for item in expected:
        assert item.published is not None and item.published.name in page
    assert "青石村" in page  # the list offers the villages too

    letter = Devolution.objects.filter(region=town, recalled_on__isnull=True).first()
    assert letter is not None
    Devolution.objects.filter(pk=letter.pk).update(recalled_on=dt.date(2026, 3, 2))
    page = Client().get("/guide/", {"region": town.code}).content.decode()
    assert f"（共 {len(expected) - 1} 项）" in page

    response = Client().get("/guide/", {"region": "999999999999"})
    assert response.status_code == 400
    assert "没有这个乡镇（街道）或村（社区），请从列表中选择。" in response.content.decode()
