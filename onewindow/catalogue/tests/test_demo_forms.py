"""The demo catalogue's blank forms and filled example: attached to the published guide, offered
on the public page, downloaded as real PDFs (read back with pdftotext), Chinese included."""

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from onewindow.cases.tests.test_documents import text_of
from onewindow.catalogue.choices import VersionStatus
from onewindow.catalogue.demo_forms import form_kind
from onewindow.catalogue.models import Item, Material

pytestmark = pytest.mark.django_db

FOOD = "002001005000"


def test_each_form_the_demo_can_draw_has_a_blank_form(tmp_path: Path) -> None:
    forms = Material.objects.filter(
        version__status=VersionStatus.PUBLISHED, has_blank_form=True
    ).select_related("blank_file", "version")
    kinds: dict[str, list[Material]] = {}
    for m in forms:
        kind = form_kind(m.name)
        if kind is not None:
            kinds.setdefault(kind[0], []).append(m)
    assert {k: len(v) >= 2 for k, v in kinds.items()} == dict.fromkeys(
        ("application", "mandate", "pledge", "table"), True
    )
    drawn = [m for ms in kinds.values() for m in ms]
    assert len(drawn) >= 90 and all(m.blank_file is not None for m in drawn)
    assert {m.blank_file.content_type for m in drawn if m.blank_file} == {"application/pdf"}
    # one of each kind, read back: the form's own name, the item, its own fields
    expected = {
        "mandate": ("授权委托书", "委托权限", "受托人（签字）"),
        "pledge": ("承诺", "法律责任", "承诺（声明）人（签字或盖章）"),
        "table": ("序号", "经办人", "12"),
        "application": ("申请人承诺", "申请人（签字或盖章）", "受理标准"),
    }
    for kind, words in expected.items():
        material = kinds[kind][0]
        response = Client().get(reverse("catalogue:material-file", args=[material.pk, "blank"]))
        text = text_of(response.content, tmp_path)
        assert material.version.name in text and all(w in text for w in words), (kind, text)
    roster = next(m for m in kinds["table"] if "增员表" in m.name)
    text = text_of(
        Client().get(reverse("catalogue:material-file", args=[roster.pk, "blank"])).content,
        tmp_path,
    )
    assert "参保人员增员表" in text and "缴费工资" in text and "（职工姓名" not in text


def test_the_food_permit_guide_offers_its_form_and_an_example(tmp_path: Path) -> None:
    version = Item.objects.get(code=FOOD).published
    assert version is not None
    form = version.materials.get(example_file__isnull=False)
    assert form.example_file_id is not None
    page = Client().get(f"/guide/{FOOD}/").content.decode()
    blank_url = reverse("catalogue:material-file", args=[form.pk, "blank"])
    example_url = reverse("catalogue:material-file", args=[form.pk, "example"])
    assert f'href="{blank_url}">下载空白表格' in page and f'href="{example_url}">填写样例' in page

    blank = Client().get(blank_url)
    assert blank.status_code == 200 and blank["Content-Type"] == "application/pdf"
    assert "attachment" in blank["Content-Disposition"]
    text = text_of(blank.content, tmp_path)
    assert "食品经营许可申请书" in text and "申请人（签字或盖章）" in text
    assert "好味道" not in text  # blank

    text = text_of(Client().get(example_url).content, tmp_path)
    assert "填写样例" in text and "青溪县好味道餐饮有限公司" in text
