"""A published (or superseded) version never changes: not by saving or deleting its children, not
by bulk updates or deletes, not by its situation options, not through its many-to-many links. A
draft stays editable. (Raw SQL and the through tables used directly are not guarded; see
models.py.)"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from onewindow.catalogue import services
from onewindow.catalogue.models import (
    Faq,
    Fee,
    ItemVersion,
    Material,
    Situation,
    SituationOption,
    frozen_guard_off,
)
from onewindow.core.errors import InvalidTransition
from onewindow.org.models import Department

from .test_catalogue import FOOD, county

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_catalogue")]

FROZEN = "已发布的版本不能修改"

DATA = copy.deepcopy(FOOD)
DATA["fees"] = [{"name": "工本费", "standard": "免费", "basis": "", "reduction": ""}]


def published() -> ItemVersion:
    draft = services.item_draft_from_data(data=DATA, region=county(), actor=None)
    services.version_review(version=draft, actor=None)
    return services.version_publish(version=draft, actor=None)


def snapshot(version: ItemVersion) -> dict[str, Any]:
    return services.version_as_data(ItemVersion.objects.get(pk=version.pk))


def refused(version: ItemVersion, change: Callable[[], Any]) -> None:
    before = snapshot(version)
    # a savepoint: a many-to-many change runs in atomic(savepoint=False), so its error would
    # otherwise leave the test's transaction unusable
    with pytest.raises(InvalidTransition, match=FROZEN), transaction.atomic():
        change()
    assert snapshot(version) == before


def option_of(version: ItemVersion, key: str = "renew") -> SituationOption:
    return SituationOption.objects.get(situation__version=version, key=key)


def test_deleting_a_child_of_a_published_version_is_refused() -> None:
    v = published()
    refused(v, lambda: Material.objects.filter(version=v).first().delete())  # type: ignore[union-attr]
    refused(v, lambda: Fee.objects.get(version=v).delete())
    refused(v, lambda: Faq.objects.get(version=v).delete())
    refused(v, lambda: Situation.objects.filter(version=v).first().delete())  # type: ignore[union-attr]
    refused(v, lambda: option_of(v).delete())
    refused(v, lambda: ItemVersion.objects.get(pk=v.pk).delete())


def test_a_superseded_version_is_frozen_too() -> None:
    v1 = published()
    draft = services.version_new_draft(item=v1.item, actor=None)
    services.version_review(version=draft, actor=None)
    services.version_publish(version=draft, actor=None)
    v1.refresh_from_db()
    assert v1.status == "superseded"
    refused(v1, lambda: Material.objects.filter(version=v1).delete())
    refused(v1, lambda: ItemVersion.objects.get(pk=v1.pk).delete())


def test_situation_options_are_frozen_with_their_version() -> None:
    v = published()

    def save_option() -> None:
        option = option_of(v)
        option.answer = "换证"
        option.save()

    def new_option() -> None:
        SituationOption.objects.create(
            situation=Situation.objects.get(version=v, key="type"), key="x", answer="新选项"
        )

    def new_effect() -> None:
        option = option_of(v, "new")
        option.promised_limit = 1
        option.save(update_fields=["promised_limit"])

    refused(v, save_option)
    refused(v, new_option)
    refused(v, new_effect)


def test_bulk_writes_touching_a_published_version_are_refused() -> None:
    v = published()
    refused(v, lambda: Material.objects.filter(version=v).update(name="改过的名称"))
    refused(v, lambda: Material.objects.all().delete())
    refused(v, lambda: Fee.objects.filter(version=v).update(standard="100 元"))
    refused(v, lambda: Situation.objects.filter(version=v).update(question="？"))
    refused(v, lambda: SituationOption.objects.all().update(promised_limit=1))
    refused(v, lambda: SituationOption.objects.filter(situation__version=v).delete())
    refused(v, lambda: ItemVersion.objects.filter(pk=v.pk).update(name="改名"))
    refused(v, lambda: ItemVersion.objects.filter(item=v.item).delete())
    refused(
        v,
        lambda: Faq.objects.bulk_create([Faq(version=v, question="新问题", answer="新解答")]),
    )

    def bulk_update() -> None:
        materials = list(Material.objects.filter(version=v))
        for m in materials:
            m.copies = 9
        Material.objects.bulk_update(materials, ["copies"])

    refused(v, bulk_update)


def test_many_to_many_links_of_a_published_version_are_refused() -> None:
    v = published()
    department = Department.objects.get(code="610799-CG")
    material = Material.objects.get(version=v, key="proxy")
    refused(v, lambda: v.co_departments.add(department))
    refused(v, lambda: v.co_departments.set([department]))
    refused(v, lambda: department.co_item_versions.add(v))  # from the other side
    refused(v, lambda: option_of(v).adds.add(material))
    refused(v, lambda: option_of(v).removes.clear())
    refused(v, lambda: option_of(v, "agent").adds.remove(material))
    refused(v, lambda: material.added_by.clear())  # reverse clear
    refused(v, lambda: material.removed_by.add(option_of(v, "new")))


def test_co_departments_clear_of_a_published_version_is_refused() -> None:
    data = dict(DATA, co_departments=["610799-CG"])
    draft = services.item_draft_from_data(data=data, region=county(), actor=None)
    services.version_review(version=draft, actor=None)
    v = services.version_publish(version=draft, actor=None)
    department = Department.objects.get(code="610799-CG")
    refused(v, lambda: v.co_departments.clear())
    refused(v, lambda: department.co_item_versions.clear())


def test_a_draft_stays_editable_in_every_way() -> None:
    v = published()
    draft = services.version_new_draft(item=v.item, actor=None)
    department = Department.objects.get(code="610799-CG")
    Material.objects.filter(version=draft).update(copies=2)
    draft.co_departments.add(department)
    option = option_of(draft)
    option.promised_limit = 3
    option.save()
    option.adds.clear()
    Faq.objects.filter(version=draft).delete()
    Fee.objects.get(version=draft).delete()
    Situation.objects.filter(version=draft, key="who").first().delete()  # type: ignore[union-attr]
    data = snapshot(draft)
    assert {m["copies"] for m in data["materials"]} == {2}
    assert data["co_departments"] == ["610799-CG"] and data["faqs"] == [] and data["fees"] == []
    assert [s["key"] for s in data["situations"]] == ["type"]
    # the published one did not move
    assert {m["copies"] for m in snapshot(v)["materials"]} == {1}
    # and the edited draft still publishes, superseding the first
    services.version_review(version=draft, actor=None)
    services.version_publish(version=draft, actor=None)
    assert ItemVersion.objects.get(pk=v.pk).status == "superseded"


def test_the_guard_can_be_lifted_only_explicitly_to_purge() -> None:
    v = published()
    with frozen_guard_off():
        v.item.published = None
        v.item.save(update_fields=["published"])
        ItemVersion.objects.filter(pk=v.pk).delete()
    assert not ItemVersion.objects.filter(pk=v.pk).exists()
    assert not Material.objects.filter(version_id=v.pk).exists()
