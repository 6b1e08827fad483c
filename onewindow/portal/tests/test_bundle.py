"""The public "one thing" (一件事) page, and the links that lead to it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from onewindow.catalogue import search
from onewindow.catalogue.demo_items import BUNDLES

pytestmark = pytest.mark.django_db

RESTAURANT = next(b for b in BUNDLES if b["code"] == "YJS-002")


def test_bundle_page_lists_items_stage_by_stage(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_max_num_queries(12):
        response = Client().get("/guide/bundle/YJS-002/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "开餐馆一件事" in page and "5 个工作日" in page
    # every item links to its guide, the first stage before the second
    positions = [page.index(f"/guide/{code}/") for stage in RESTAURANT["order"] for code in stage]
    first = RESTAURANT["order"][0]
    assert max(positions[: len(first)]) < min(positions[len(first) :])
    assert "须在第 1 阶段办结后办理" in page
    assert "可同时办理" in page
    # the bundle's shared materials are listed once
    for name in RESTAURANT["shared_materials"]:
        assert page.count(f'<th scope="row">{name}</th>') == 1


def test_materials_asked_by_several_items_are_listed_once() -> None:
    from onewindow.portal.selectors import bundle_guide

    found = bundle_guide("YJS-001")
    assert found is not None
    shared = {m.name for m in found.shared}
    for stage in found.stages:
        for step in stage.steps:
            assert not shared & {m.name for m in step.own_materials}
    assert [stage.after for stage in found.stages] == [[], [1], [1, 2]]


def test_unknown_bundle_is_not_found() -> None:
    assert Client().get("/guide/bundle/YJS-999/").status_code == 404


def test_search_and_guide_index_link_to_the_bundle() -> None:
    search.clear_index()
    page = Client().get("/search/?q=我想开饭店").content.decode()
    assert 'href="/guide/bundle/YJS-002/"' in page
    index = Client().get("/guide/").content.decode()
    assert all(f'href="/guide/bundle/{b["code"]}/"' in index for b in BUNDLES)
    search.clear_index()


def test_an_item_links_to_its_bundles() -> None:
    page = Client().get("/guide/002001005000/").content.decode()
    assert 'href="/guide/bundle/YJS-002/"' in page


def test_search_boxes_load_suggestions_from_a_static_file() -> None:
    for url in ("/", "/search/?q=开饭"):
        page = Client().get(url).content.decode()
        assert 'data-suggest="/api/v1/items/suggest"' in page
        assert re.search(r'<script src="/static/portal/suggest[^"]*\.js" defer></script>', page)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script
        assert "style=" not in page


def test_natural_day_items_show_their_unit() -> None:
    """A limit counted in natural days says so on the guide (whatever the demo data loaded)."""
    from onewindow.catalogue.choices import LimitUnit
    from onewindow.catalogue.models import ItemVersion, frozen_guard_off

    version = ItemVersion.objects.filter(status="published", handling="promised").first()
    assert version is not None
    with frozen_guard_off():  # a published version is frozen; the test stands in for a new one
        ItemVersion.objects.filter(pk=version.pk).update(limit_unit=LimitUnit.NATURAL_DAYS)
    page = Client().get(f"/guide/{version.item.code}/").content.decode()
    assert f"{version.promised_limit} 个自然日" in page


def test_api_returns_a_bundle_for_a_bundle_code() -> None:
    search.clear_index()
    hits = Client().get("/api/v1/items", {"q": "我想开饭店"}).json()
    hit = next(h for h in hits if h["kind"] == "bundle")
    body = Client().get(f"/api/v1/items/{hit['code']}").json()
    assert body["kind"] == "bundle" and body["name"] == "开餐馆一件事"
    assert [[s["code"] for s in stage] for stage in body["stages"]] == RESTAURANT["order"]
    assert body["shared_materials"] == RESTAURANT["shared_materials"]
    item = Client().get("/api/v1/items/002001005000").json()
    assert item["code"] == "002001005000" and "materials" in item
    missing = Client().get("/api/v1/items/YJS-999")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "code"
    search.clear_index()


@pytest.mark.parametrize(
    ("code", "statutory", "promised"),
    [
        ("003003003000", 60, 14),  # 居民身份证：《居民身份证法》第十二条 60 日
        ("015001001000", 90, 42),  # 民办学校：三个月，按 90 个自然日
    ],
)
def test_demo_items_counted_in_natural_days(code: str, statutory: int, promised: int) -> None:
    from onewindow.catalogue.demo_items import ITEMS
    from onewindow.catalogue.models import Item

    raw = next(i for i in ITEMS if i["code"] == code)
    assert raw["limit_unit"] == "natural_days"
    version = Item.objects.select_related("published").get(code=code).published
    assert version is not None
    assert (version.statutory_limit, version.promised_limit) == (statutory, promised)
    assert version.limit_unit == "natural_days"
    page = Client().get(f"/guide/{code}/").content.decode()
    assert f"{promised} 个自然日" in page and f"法定 {statutory} 个自然日" in page
