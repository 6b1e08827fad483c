import copy

import pytest

from onewindow.accounts.models import User
from onewindow.catalogue import grants
from onewindow.catalogue.models import Devolution, Item
from onewindow.catalogue.tests.test_catalogue import FOOD, publish
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed
from onewindow.org.models import Region, Window

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_catalogue")]

LETTER = {
    "letter_no": "青政务授〔2026〕3号",
    "scope": "受理、审批、出件",
    "seal": "城关街道便民服务中心业务专用章",
    "responsible": "王主任",
}


@pytest.fixture
def items() -> tuple[Item, Item]:
    town_item = copy.deepcopy(FOOD)
    town_item.update(
        code="000109001000",
        name="城乡居民医保参保登记",
        department="610799-YB",
        levels=["county", "town", "village"],
        situations=[],
    )
    town_item["materials"] = [m for m in town_item["materials"] if not m["situational"]]
    publish(town_item)
    publish(FOOD)  # county only
    return Item.objects.get(code="000109001000"), Item.objects.get(code=FOOD["code"])


def test_devolve_authorise_and_recall(items) -> None:  # type: ignore[no-untyped-def]
    town_item, county_item = items
    sysadmin = User.objects.get(username="xitong")
    town = Region.objects.get(code="610799001000")
    assert not grants.region_catalogue(town).exists()
    grant = grants.devolution_grant(actor=sysadmin, item=town_item, region=town, **LETTER)
    assert list(grants.region_catalogue(town)) == [town_item]
    assert county_item in grants.region_catalogue(Region.objects.get(code="610799000000"))
    window = Window.objects.get(service_point__region=town, number="01")
    grants.window_authorise(
        actor=sysadmin,
        window=window,
        item=town_item,
        powers=["accept", "issue"],
        **{k: LETTER[k] for k in ("letter_no", "seal", "responsible")},
    )
    assert grants.window_may(window, town_item, "accept")
    assert not grants.window_may(window, town_item, "approve")
    grants.devolution_recall(actor=sysadmin, devolution=grant, reason="乡镇人员不足")
    assert not grants.region_catalogue(town).exists()
    with pytest.raises(InvalidTransition):
        grants.devolution_recall(actor=sysadmin, devolution=grant, reason="再次")
    # granted again after the recall: a new letter, the old one stays on record
    grants.devolution_grant(actor=sysadmin, item=town_item, region=town, **LETTER)
    assert Devolution.objects.filter(item=town_item, region=town).count() == 2


def test_devolution_refusals(items) -> None:  # type: ignore[no-untyped-def]
    town_item, county_item = items
    town = Region.objects.get(code="610799001000")
    with pytest.raises(InvalidInput, match="未列明乡镇（街道）可以办理"):
        grants.devolution_grant(actor=None, item=county_item, region=town, **LETTER)
    with pytest.raises(InvalidInput, match="只能下沉到乡镇"):
        grants.devolution_grant(
            actor=None, item=town_item, region=Region.objects.get(code="610799000000"), **LETTER
        )
    with pytest.raises(InvalidInput, match="授权书文号"):
        grants.devolution_grant(
            actor=None, item=town_item, region=town, **{**LETTER, "letter_no": " "}
        )
    with pytest.raises(NotAllowed):
        grants.devolution_grant(
            actor=User.objects.get(username="zc01"), item=town_item, region=town, **LETTER
        )
    assert not Devolution.objects.exists()


def test_window_authorisation_refusals(items) -> None:  # type: ignore[no-untyped-def]
    _town_item, county_item = items
    town_window = Window.objects.get(service_point__region__code="610799001000", number="01")
    ga_window = Window.objects.get(service_point__name="青溪县政务服务中心", number="D03")
    common = {k: LETTER[k] for k in ("letter_no", "seal", "responsible")}
    with pytest.raises(InvalidInput, match="事项清单中没有该事项"):
        grants.window_authorise(
            actor=None, window=town_window, item=county_item, powers=["accept"], **common
        )
    with pytest.raises(InvalidInput, match="部门专窗只能受理本部门"):
        grants.window_authorise(
            actor=None, window=ga_window, item=county_item, powers=["accept"], **common
        )
    with pytest.raises(InvalidInput, match="至少选择一项权限"):
        grants.window_authorise(actor=None, window=ga_window, item=county_item, powers=[], **common)
