"""Excel round trip of the whole demo catalogue: export → import changes nothing, and a catalogue
rebuilt from the workbook equals the one it was exported from (limits' unit, complaint phone,
materials, situations, flows, bundles with their shared materials and themes)."""

from __future__ import annotations

import contextlib
import copy
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from onewindow.catalogue import services
from onewindow.catalogue.exchange import (
    ITEMS,
    ImportProblems,
    export_catalogue,
    import_catalogue,
    read_catalogue,
    write_catalogue,
)
from onewindow.catalogue.models import (
    Bundle,
    Devolution,
    Item,
    ItemVersion,
    WindowAuthorisation,
)

pytestmark = pytest.mark.django_db

NATURAL_DAYS_ITEM = "003003003000"  # counts its limits in natural days
HAND_MADE = "002001005000"  # gets a flow made by hand below


def exported() -> io.BytesIO:
    stream = io.BytesIO()
    export_catalogue(stream)
    stream.seek(0)
    return stream


def cells(stream: io.BytesIO) -> dict[str, list[tuple[Any, ...]]]:
    stream.seek(0)
    book = load_workbook(stream, read_only=True)
    out = {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}
    book.close()
    stream.seek(0)
    return out


def guides() -> dict[str, dict[str, Any]]:
    out = {}
    for item in Item.objects.filter(published__isnull=False).select_related("published"):
        assert item.published is not None
        data = services.version_as_data(item.published)
        for situation in data["situations"]:
            for option in situation["options"]:
                option["add"], option["remove"] = sorted(option["add"]), sorted(option["remove"])
        out[item.code] = data
    return out


def bundles() -> dict[str, dict[str, Any]]:
    return {
        b.code: {**services.bundle_as_data(b), "state": (b.active, b.retire_reason)}
        for b in Bundle.objects.prefetch_related("steps__item")
    }


def stop_one_bundle() -> str:
    """A stopped bundle, whose state and reason the workbook must carry too."""
    code = Bundle.objects.order_by("code").values_list("code", flat=True).first()
    assert code is not None
    services.bundle_set_active(code=code, active=False, reason="合并到新的一件事", actor=None)
    return code


def hand_made_flow() -> None:
    """A published version of HAND_MADE with a flow that is not the default one."""
    item = Item.objects.select_related("published").get(code=HAND_MADE)
    assert item.published is not None
    data = services.version_as_data(item.published)
    flow = copy.deepcopy(data["flow"])
    for state in flow["states"]:
        if state["key"] == "review":
            state["name"] = "现场核查与审查"
    data.update(flow=flow, change_note="自定义流程")
    draft = services.item_draft_from_data(data=data, region=item.region, actor=None)
    services.version_review(version=draft, actor=None)
    services.version_publish(version=draft, actor=None)


def empty() -> None:
    from onewindow.catalogue import models

    # published versions are otherwise never deleted
    guard_off = getattr(models, "frozen_guard_off", contextlib.nullcontext)
    Bundle.objects.all().delete()
    Devolution.objects.all().delete()
    WindowAuthorisation.objects.all().delete()
    Item.objects.update(published=None)
    with guard_off():
        ItemVersion.objects.all().delete()
    Item.objects.all().delete()


def test_the_demo_catalogue_needs_what_the_new_columns_carry() -> None:
    """The round trip below is only worth something if the demo has what used to be lost."""
    shared = [m for b in Bundle.objects.all() for m in b.shared_materials]
    assert any("、" in m or "，" in m for m in shared)
    assert ItemVersion.objects.get(item__code=NATURAL_DAYS_ITEM, status="published").limit_unit == (
        "natural_days"
    )
    assert any(b.life_events or b.business_stages for b in Bundle.objects.all())


def test_export_then_import_changes_nothing_and_exports_the_same_cells() -> None:
    hand_made_flow()
    stop_one_bundle()
    first = exported()
    versions = ItemVersion.objects.count()
    saved = {b.code: b.updated_at for b in Bundle.objects.all()}
    items, rows = read_catalogue(first)
    result = write_catalogue(items, rows, actor=None)
    assert (result.created, result.updated, result.bundles) == (0, 0, 0)
    assert result.unchanged == Item.objects.filter(published__isnull=False).count()
    assert result.bundles_unchanged == len(saved)
    assert ItemVersion.objects.count() == versions
    assert {b.code: b.updated_at for b in Bundle.objects.all()} == saved
    assert cells(exported()) == cells(first)


def test_a_catalogue_rebuilt_from_its_workbook_equals_the_original() -> None:
    hand_made_flow()
    stopped = stop_one_bundle()
    before_guides, before_bundles = guides(), bundles()
    stream = exported()
    empty()
    result = import_catalogue(stream, actor=None)
    assert result.created == len(before_guides)
    after = guides()
    assert after.keys() == before_guides.keys()
    for code, data in before_guides.items():
        assert after[code] == data, code
    assert after[NATURAL_DAYS_ITEM]["limit_unit"] == "natural_days"
    assert after[HAND_MADE]["flow"]["states"][1]["name"] == "现场核查与审查"
    assert bundles() == before_bundles
    assert before_bundles[stopped]["state"] == (False, "合并到新的一件事")


def test_an_edited_row_keeps_its_unit_and_flow() -> None:
    """Editing another cell of a natural-day item re-imports it in natural days."""
    hand_made_flow()
    stream = exported()
    book = load_workbook(stream)
    sheet = book[ITEMS]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value in (NATURAL_DAYS_ITEM, HAND_MADE):
            row[header.index("时限说明")].value = "（已修订）"
    edited = io.BytesIO()
    book.save(edited)
    edited.seek(0)
    result = import_catalogue(edited, actor=None)
    assert result.updated == 2
    natural = Item.objects.select_related("published").get(code=NATURAL_DAYS_ITEM).published
    assert natural is not None and natural.number == 2
    assert (natural.limit_unit, natural.limit_note) == ("natural_days", "（已修订）")
    flow = Item.objects.select_related("published").get(code=HAND_MADE).published
    assert flow is not None and flow.flow["states"][1]["name"] == "现场核查与审查"


def test_a_broken_flow_cell_is_reported_on_its_cell() -> None:
    hand_made_flow()
    stream = exported()
    book = load_workbook(stream)
    sheet = book[ITEMS]
    header = [c.value for c in sheet[1]]
    column = header.index("办理流程")
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    rows[HAND_MADE][column].value = rows[HAND_MADE][column].value.replace('"approver"', '"nobody"')
    rows[NATURAL_DAYS_ITEM][column].value = "{not json"
    broken = io.BytesIO()
    book.save(broken)
    broken.seek(0)
    with pytest.raises(ImportProblems) as caught:
        import_catalogue(broken, actor=None)
    where = {(p.sheet, p.row, p.column): p.message for p in caught.value.problems}
    natural_row, hand_row = rows[NATURAL_DAYS_ITEM][0].row, rows[HAND_MADE][0].row
    assert "不是有效的流程数据" in where[(ITEMS, natural_row, "办理流程")]
    assert "未知角色：nobody" in where[(ITEMS, hand_row, "办理流程")]
    assert ItemVersion.objects.filter(item__code=HAND_MADE).count() == 2  # nothing written


def test_a_workbook_without_the_new_columns_keeps_what_they_hold() -> None:
    """An older workbook (no 时限单位, 投诉电话, 办理流程, bundle themes and state) is still read,
    the natural-day item stays in natural days and a stopped bundle stays stopped."""
    stopped = stop_one_bundle()
    stream = exported()
    book = load_workbook(stream)
    for title, headers in (
        (ITEMS, ("时限单位", "投诉电话", "办理流程")),
        ("一件事", ("个人主题", "法人主题", "状态", "停止原因")),
    ):
        sheet = book[title]
        for name in headers:
            index = [c.value for c in sheet[1]].index(name) + 1
            sheet.delete_cols(index)
    old = io.BytesIO()
    book.save(old)
    old.seek(0)
    before = bundles()
    result = import_catalogue(old, actor=None)
    assert (result.created, result.updated, result.bundles) == (0, 0, 0)
    assert bundles() == before
    assert before[stopped]["state"][0] is False


def test_the_command_reports_nothing_to_change(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    path = tmp_path / "事项清单.xlsx"
    call_command("catalogue", "export", str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("catalogue", "import", str(path), stdout=out, stderr=io.StringIO())
    published = Item.objects.filter(published__isnull=False).count()
    assert (
        f"新建 0 个事项，更新 0 个，未变 {published} 个；"
        f"一件事保存 0 个，未变 {Bundle.objects.count()} 个" in out.getvalue()
    )


def test_an_older_layout_joined_free_text_with_commas() -> None:
    """A sheet without the later columns was written with “、” between entries: a cell without a
    line break is split there; the current layout keeps “、” inside an entry."""
    stream = exported()
    book = load_workbook(stream)
    sheet = book["一件事"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("常用说法") + 1).value = "开公司、注册公司"
    current = io.BytesIO()
    book.save(current)
    current.seek(0)
    assert read_catalogue(current)[1][0]["keywords"] == ["开公司、注册公司"]
    for name in ("个人主题", "法人主题", "状态", "停止原因"):
        sheet.delete_cols([c.value for c in sheet[1]].index(name) + 1)
    older = io.BytesIO()
    book.save(older)
    older.seek(0)
    assert read_catalogue(older)[1][0]["keywords"] == ["开公司", "注册公司"]
