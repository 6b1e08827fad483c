import copy

import pytest
from django.test import Client

from onewindow.catalogue import grants, search
from onewindow.catalogue.models import Item
from onewindow.catalogue.tests.test_catalogue import FOOD, publish
from onewindow.org.models import Region

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_catalogue")]


def variant(code: str, name: str, department: str, keywords: list[str], **extra) -> dict:  # type: ignore[no-untyped-def,type-arg]
    data = copy.deepcopy(FOOD)
    data.update(
        code=code,
        name=name,
        department=department,
        keywords=keywords,
        result_name=extra.pop("result_name", name),
        situations=[],
        **extra,
    )
    data["materials"] = [m for m in data["materials"] if not m["situational"]]
    return data


@pytest.fixture
def catalogue() -> None:
    search.clear_index()
    publish(FOOD)
    publish(
        variant(
            "000101001000",
            "出生登记",
            "610799-GA",
            ["孩子上户口", "新生儿落户"],
            levels=["county", "town"],
            result_name="居民户口簿",
        )
    )
    publish(
        variant(
            "000101003000",
            "居民身份证申领、换领、补领",
            "610799-GA",
            ["办身份证", "身份证丢了"],
            result_name="居民身份证",
        )
    )
    publish(
        variant("000107001000", "结婚登记", "610799-MZ", ["领结婚证", "领证"], result_name="结婚证")
    )
    yield
    search.clear_index()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("我想开饭店", "000105001000"),
        ("开个饭馆要办什么", "000105001000"),
        ("孩子上户口", "000101001000"),
        ("宝宝落户", "000101001000"),
        ("身份证丢了怎么办", "000101003000"),
        ("sfz", "000101003000"),
        ("我们要领证结婚", "000107001000"),
        ("食品经营许可", "000105001000"),
    ],
)
def test_colloquial_queries_find_the_item(catalogue, query: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    hits = search.search(query, limit=3)
    assert hits and hits[0].code == expected, [(h.name, h.score) for h in hits]


def test_level_filter_and_nonsense(catalogue) -> None:  # type: ignore[no-untyped-def]
    assert [h.code for h in search.search("户口", level="town")] == ["000101001000"]
    assert search.search("量子计算机") == []
    assert search.search("   ") == []


def test_suggestions(catalogue) -> None:  # type: ignore[no-untyped-def]
    assert "居民身份证申领、换领、补领" in search.get_index().suggest("居民")
    assert "身份证丢了" in search.get_index().suggest("身份证")


def test_items_api(catalogue) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    hits = client.get("/api/v1/items", {"q": "我想开饭店"}).json()
    assert hits[0] == {
        "code": "000105001000",
        "name": "测试食品经营许可",
        "kind": "item",
        "department": "青溪县市场监督管理局",
        "score": hits[0]["score"],
    }
    # a town handles what was devolved to it (a town-level item is not enough)
    assert client.get("/api/v1/items", {"q": "户口", "region": "610799001000"}).json() == []
    grants.devolution_grant(
        actor=None,
        item=Item.objects.get(code="000101001000"),
        region=Region.objects.get(code="610799001000"),
        letter_no="青公发〔2025〕1号",
        scope="受理、登记",
        seal="户籍专用章",
        responsible="张三",
    )
    town = client.get("/api/v1/items", {"q": "户口", "region": "610799001000"}).json()
    assert [h["code"] for h in town] == ["000101001000"]
    guide = client.get("/api/v1/items/000105001000").json()
    assert guide["promised_limit"] == 5 and len(guide["materials"]) == 5
    assert guide["situations"][0]["options"][1]["adds"] == ["proxy"]
    assert guide["implementation_code"].startswith("000105001000610799")


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"q": ""}, 422, "q"),
        ({}, 422, "q"),
        ({"q": "饭店", "region": "6107"}, 422, "region"),
        ({"q": "饭店", "region": "999999999999"}, 404, "region"),
        ({"q": "饭店", "limit": 500}, 422, "limit"),
    ],
)
def test_items_api_bad_input(catalogue, params, status, field) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/api/v1/items", params)
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


def test_unknown_guide_is_404(catalogue) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/api/v1/items/000000000000")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
