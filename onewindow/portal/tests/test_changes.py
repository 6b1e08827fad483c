"""The public change history (变更记录) reads like the guide: Chinese labels, no codes or Python
lists, and a change of the time-limit unit."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from onewindow.catalogue import services
from onewindow.catalogue.models import Item

pytestmark = pytest.mark.django_db

CODE = "002001005000"  # 食品经营许可, counted in working days


def revise(**changes: object) -> None:
    item = Item.objects.select_related("published", "region").get(code=CODE)
    assert item.published is not None
    data = services.version_as_data(item.published)
    data.update(changes, change_note="按新规修订")
    draft = services.item_draft_from_data(data=data, region=item.region, actor=None)
    services.version_review(version=draft, actor=None)
    services.version_publish(version=draft, actor=None)


def test_the_public_change_history_is_readable_and_shows_a_unit_change() -> None:
    before = Item.objects.select_related("published").get(code=CODE).published
    assert before is not None and before.limit_unit == "working_days"
    revise(
        kind="other_power",
        levels=[*before.levels, "village"] if "village" not in before.levels else ["county"],
        limit_unit="natural_days",
        complaint_phone="0916-5412315",
    )
    response = Client().get(reverse("portal:guide-changes", args=[CODE]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "第 1 版 → 第 2 版" in page
    assert "时限单位" in page and "工作日" in page and "自然日" in page
    assert "natural_days" not in page and "working_days" not in page
    assert "行政许可" in page and "其他行政权力" in page
    assert "other_power" not in page and "licence" not in page.split("<main")[-1]
    assert "村（社区）" in page or "县级" in page
    assert "['" not in page and "[&#x27;" not in page  # no Python list reprs
    assert "投诉电话" in page and "0916-5412315" in page


def test_the_staff_and_public_pages_share_the_readable_diff() -> None:
    from onewindow.catalogue import selectors, views

    assert views.diff_rows.__doc__ and "version_changes" in views.diff_rows.__doc__
    revise(limit_unit="natural_days")
    item = Item.objects.get(code=CODE)
    old, new = item.versions.order_by("number")
    rows = selectors.version_changes(old, new)
    assert ("时限单位", "工作日", "自然日") in rows
