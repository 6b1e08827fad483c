"""GET /api/v1/items on the demo catalogue: a region's hits are what it may handle (devolution),
and GET /api/v1/items/{code} is the whole guide."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from onewindow.catalogue import grants, search, services
from onewindow.catalogue.models import Bundle, Item
from onewindow.files import services as file_services
from onewindow.org.models import Region

pytestmark = pytest.mark.django_db

COUNTY = "610799000000"
UNDEVOLVED_VILLAGE = "610799001001"  # 人民路社区: nothing devolved to it
CODE_VILLAGE = "610799101001"  # a village of 青石镇, which takes 代办 of some items
TOWN = "610799001000"  # 城关街道


@pytest.fixture(autouse=True)
def fresh_index():  # type: ignore[no-untyped-def]
    search.clear_index()
    yield
    search.clear_index()


def hits(q: str, region: str | None = None, limit: int = 50) -> list[dict]:  # type: ignore[type-arg]
    params: dict[str, object] = {"q": q, "limit": limit}
    if region:
        params["region"] = region
    response = Client().get("/api/v1/items", params)
    assert response.status_code == 200, response.content
    return response.json()


def catalogue_of(code: str) -> set[str]:
    return set(
        grants.region_catalogue(Region.objects.get(code=code)).values_list("code", flat=True)
    )


def test_a_village_without_devolved_items_finds_nothing() -> None:
    assert catalogue_of(UNDEVOLVED_VILLAGE) == set()
    assert hits("登记")  # the county has plenty
    assert hits("登记", UNDEVOLVED_VILLAGE) == []
    assert hits("我想开饭店", UNDEVOLVED_VILLAGE) == []  # nor bundles


def test_a_region_finds_only_its_own_catalogue() -> None:
    for region in (TOWN, CODE_VILLAGE):
        own = catalogue_of(region)
        assert own, region
        names = Item.objects.filter(code__in=own).select_related("published")
        query = next(i.published.name for i in names if i.published)
        found = hits(query, region)
        assert found and found[0]["code"] in own
        for q in (query, "登记", "证明", "我想开饭店", "社保"):
            for hit in hits(q, region):
                assert hit["kind"] == "item" and hit["code"] in own, (region, q, hit)


def test_a_recalled_devolution_leaves_the_regions_search() -> None:
    own = catalogue_of(CODE_VILLAGE)
    code = sorted(own)[0]
    item = Item.objects.select_related("published").get(code=code)
    assert item.published is not None
    assert code in {h["code"] for h in hits(item.published.name, CODE_VILLAGE)}
    devolution = item.devolutions.get(region__code=CODE_VILLAGE, recalled_on__isnull=True)
    grants.devolution_recall(actor=None, devolution=devolution, reason="调整")
    assert code not in {h["code"] for h in hits(item.published.name, CODE_VILLAGE)}


def test_a_bundle_is_offered_where_all_its_items_may_be_handled() -> None:
    county = catalogue_of(COUNTY)
    restaurant = Bundle.objects.get(code="YJS-002")
    assert set(restaurant.steps.values_list("item__code", flat=True)) <= county
    assert "YJS-002" in {h["code"] for h in hits("我想开饭店", COUNTY)}
    assert "YJS-002" in {h["code"] for h in hits("我想开饭店")}
    # a county item the bundle needs can no longer be handled at the county: no bundle there
    first = restaurant.steps.order_by("stage", "id").first()
    assert first is not None
    item = Item.objects.select_related("published", "region").get(pk=first.item_id)
    assert item.published is not None
    data = services.version_as_data(item.published)
    data.update(levels=["town"], change_note="只在乡镇办理")
    draft = services.item_draft_from_data(data=data, region=item.region, actor=None)
    services.version_review(version=draft, actor=None)
    services.version_publish(version=draft, actor=None)
    search.clear_index()
    assert "YJS-002" not in {h["code"] for h in hits("我想开饭店", COUNTY)}


def test_the_guide_api_is_the_whole_guide() -> None:
    code = "002001005000"  # 食品经营许可
    item = Item.objects.select_related("published", "region").get(code=code)
    assert item.published is not None
    draft = services.version_new_draft(item=item, actor=None, change_note="上传空白表格")
    material = draft.materials.order_by("order", "id").first()
    assert material is not None
    pdf = io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    pdf.name = "申请书.pdf"
    stored = file_services.store_upload(upload=pdf, field="blank", actor=None, allowed=("pdf",))
    services.material_attach(
        version=draft, material=material, which="blank", stored=stored, actor=None
    )
    services.version_review(version=draft, actor=None)
    services.version_publish(version=draft, actor=None)
    v = Item.objects.select_related("published").get(code=code).published
    assert v is not None

    response = Client().get(f"/api/v1/items/{code}")
    assert response.status_code == 200
    guide = response.json()
    assert guide["power_source"] == v.power_source and v.power_source
    assert guide["special_procedures"] == v.special_procedures and v.special_procedures
    assert guide["intermediaries"] == v.intermediaries
    assert [f["question"] for f in guide["faqs"]] == [f.question for f in v.faqs.all()]
    assert guide["faqs"] and guide["faqs"][0]["answer"]
    steps = guide["flow"]
    assert [s["key"] for s in steps] == [s["key"] for s in v.flow["states"]]
    assert steps[0]["kind"] == "start" and steps[0]["kind_label"] == "开始" and steps[0]["actions"]
    assert steps[-1]["kind"] == "end" and steps[-1]["actions"] == []
    notes = {o["note"] for s in guide["situations"] for o in s["options"]}
    assert notes == {o.note for s in v.situations.all() for o in s.options.all()}
    first = guide["materials"][0]
    assert first["key"] == material.key
    assert first["blank_form_url"].startswith("http://testserver/")
    assert first["blank_form_url"].endswith("/blank/")
    assert first["example_url"].endswith("/example/")  # the demo's example, carried over
    with_form = {m.key: m.blank_file_id is not None for m in v.materials.all()}
    assert {m["key"]: m["blank_form_url"] is not None for m in guide["materials"]} == with_form
    download = Client().get(first["blank_form_url"])
    assert download.status_code == 200
    body = (
        b"".join(download.streaming_content)  # type: ignore[attr-defined]
        if download.streaming
        else download.content
    )
    assert body.startswith(b"%PDF")


def test_a_joint_flow_names_its_departments() -> None:
    item = (
        Item.objects.filter(published__isnull=False, published__co_departments__isnull=False)
        .select_related("published")
        .exclude(published__handling="immediate")
        .first()
    )
    assert item is not None and item.published is not None
    guide = Client().get(f"/api/v1/items/{item.code}").json()
    joint = [s for s in guide["flow"] if s["kind"] == "joint"]
    assert joint and len(joint[0]["branches"]) >= 2
    lead = [b for b in joint[0]["branches"] if b["lead"]]
    assert [b["department"] for b in lead] == [item.department.name]
