import copy
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from onewindow.catalogue import services
from onewindow.catalogue.exchange import (
    ImportProblem,
    ImportProblems,
    export_catalogue,
    import_catalogue,
)
from onewindow.catalogue.models import Bundle, Item, ItemVersion, Material
from onewindow.core.errors import InvalidInput
from onewindow.org.models import Region

from .test_catalogue import FOOD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_catalogue")]

SECOND = copy.deepcopy(FOOD)
SECOND.update(
    code="000105002000",
    name="测试公共场所卫生许可",
    co_departments=["610799-CG"],
    department="610799-SCJG",
    kind="public_service",
    levels=["county", "town"],
    statutory_limit=20,
    promised_limit=10,
    fees=[
        {"name": "工本费", "standard": "10 元/件", "basis": "物价文件", "reduction": "低保户免收"}
    ],
    faqs=[{"q": "要本人去吗？", "a": "可委托。"}, {"q": "多久办好？", "a": "10 个工作日。"}],
    life_events=["work"],
    business_stages=["start", "operate"],
    special_procedures=[],
)


def county() -> Region:
    return Region.objects.get(code="610799000000")


def publish(data: dict) -> ItemVersion:  # type: ignore[type-arg]
    draft = services.item_draft_from_data(data=data, region=county(), actor=None)
    services.version_review(version=draft, actor=None)
    return services.version_publish(version=draft, actor=None)


@pytest.fixture
def catalogue() -> None:
    publish(FOOD)
    publish(SECOND)
    services.bundle_save(
        data={
            "code": "BUNDLE-001",
            "name": "我要开餐馆",
            "description": "一次办好",
            "target": "company",
            "promised_limit": 15,
            "order": [["000105001000"], ["000105002000"]],
            "shared_materials": ["营业执照"],
            "keywords": ["开餐馆"],
            "life_events": [],
            "business_stages": ["start"],
        },
        actor=None,
    )


def exported() -> io.BytesIO:
    stream = io.BytesIO()
    export_catalogue(stream)
    stream.seek(0)
    return stream


def cells(stream: io.BytesIO) -> dict[str, list[tuple[object, ...]]]:
    stream.seek(0)
    book = load_workbook(stream)
    return {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}


def edit(stream: io.BytesIO, sheet: str, column: str, row: int, value: object) -> io.BytesIO:
    stream.seek(0)
    book = load_workbook(stream)
    ws = book[sheet]
    header = [c.value for c in ws[1]]
    ws.cell(row=row, column=header.index(column) + 1).value = value
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def counts() -> tuple[int, int, int, int]:
    return (
        Item.objects.count(),
        ItemVersion.objects.count(),
        Material.objects.count(),
        Bundle.objects.count(),
    )


def problems_of(stream: io.BytesIO) -> list[ImportProblem]:
    before = counts()
    with pytest.raises(ImportProblems) as raised:
        import_catalogue(stream, actor=None)
    assert counts() == before  # nothing imported
    assert isinstance(raised.value, InvalidInput)
    return raised.value.problems


def test_export_layout(catalogue: None) -> None:
    stream = exported()
    book = load_workbook(stream)
    assert book.sheetnames == ["事项", "材料", "收费", "情形", "常见问题", "一件事"]
    items = book["事项"]
    assert items.freeze_panes == "A2" and items["A1"].font.b
    rows = list(items.iter_rows(values_only=True))
    header = rows[0]
    second = dict(zip(header, rows[2], strict=True))
    assert second["事项类型"] == "公共服务"
    assert second["可办理层级"] == "县级、乡镇（街道）"
    assert second["办件类型"] == "承诺件"
    assert second["协办部门编码"] == "610799-CG"
    assert second["法人主题"] == "设立开办、经营许可"
    materials = list(book["材料"].iter_rows(values_only=True))
    assert materials[1][:4] == ("000105001000", "application", "食品经营许可申请书", "是")
    assert len(materials) == 1 + 10
    situations = list(book["情形"].iter_rows(values_only=True))
    assert (
        "000105001000",
        "type",
        "新办还是延续？",
        "renew",
        "延续",
        "old_licence",
        "layout",
        None,
        None,  # 增加受理条件, 情形承诺时限, 情形法定时限: unchanged
        None,
        None,
    ) in situations
    bundles = list(book["一件事"].iter_rows(values_only=True))
    assert bundles[1][3] == "企业" and bundles[1][5] == "1:000105001000;2:000105002000"


def test_round_trip_changes_nothing(catalogue: None) -> None:
    stream = exported()
    first = cells(stream)
    before = counts()
    stream.seek(0)
    result = import_catalogue(stream, actor=None)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert (result.bundles, result.bundles_unchanged) == (0, 1)
    assert counts() == before
    assert cells(exported()) == first


def test_one_changed_cell_makes_one_new_published_version(catalogue: None) -> None:
    stream = edit(exported(), "事项", "承诺时限", 3, 8)  # row 3: the second item
    seen: list[int] = []
    result = import_catalogue(stream, actor=None, progress=seen.append)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert seen == [1, 2]  # items handled so far
    item = Item.objects.get(code="000105002000")
    assert item.published is not None
    assert item.published.number == 2 and item.published.promised_limit == 8
    assert Item.objects.get(code="000105001000").published.number == 1  # type: ignore[union-attr]
    # and the new state round-trips
    again = exported()
    stream = io.BytesIO(again.getvalue())
    assert import_catalogue(stream, actor=None).unchanged == 2
    assert cells(exported()) == cells(again)


def test_import_as_draft_and_new_items() -> None:
    publish(FOOD)
    stream = edit(exported(), "事项", "事项名称", 2, "改名后的食品经营许可")
    result = import_catalogue(stream, actor=None, publish=False)
    assert result.updated == 1
    item = Item.objects.get(code=FOOD["code"])
    assert item.published.name == FOOD["name"]  # type: ignore[union-attr]
    assert item.versions.get(number=2).status == "draft"


def test_import_creates_new_items(catalogue: None) -> None:
    stream = exported()
    Bundle.objects.all().delete()
    stream = edit(stream, "事项", "基本编码", 3, "000105003000")
    for sheet in ("材料", "收费", "情形", "常见问题"):
        book = load_workbook(stream)
        rows = [r for r in range(2, book[sheet].max_row + 1)]
        for r in rows:
            if book[sheet].cell(row=r, column=1).value == "000105002000":
                stream = edit(stream, sheet, "基本编码", r, "000105003000")
    stream = edit(stream, "一件事", "阶段", 2, "1:000105001000、000105003000")
    result = import_catalogue(stream, actor=None)
    assert (result.created, result.unchanged, result.bundles) == (1, 1, 1)
    new = Item.objects.get(code="000105003000")
    assert new.published is not None and new.published.fees.count() == 1
    assert new.published.co_departments.count() == 1
    steps = Bundle.objects.get(code="BUNDLE-001").steps.all()
    assert sorted((s.stage, s.item.code) for s in steps) == [
        (1, "000105001000"),
        (1, "000105003000"),
    ]


def where(problems: list[ImportProblem]) -> list[tuple[str, int | None, str | None]]:
    return [(p.sheet, p.row, p.column) for p in problems]


def test_missing_column(catalogue: None) -> None:
    stream = exported()
    book = load_workbook(stream)
    book["材料"].delete_cols(7)  # 材料形式
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    problems = problems_of(out)
    assert where(problems) == [("材料", 1, "材料形式")]
    assert "缺少列「材料形式」" in problems[0].message


def test_duplicate_code(catalogue: None) -> None:
    stream = edit(exported(), "事项", "基本编码", 3, "000105001000")
    problems = problems_of(stream)
    assert ("事项", 3, "基本编码") in where(problems)
    assert "重复" in problems[0].message


def test_promised_above_statutory(catalogue: None) -> None:
    problems = problems_of(edit(exported(), "事项", "承诺时限", 2, 30))
    assert where(problems) == [("事项", 2, "承诺时限")]
    assert "超过了法定时限" in problems[0].message


def test_unknown_label(catalogue: None) -> None:
    problems = problems_of(edit(exported(), "事项", "事项类型", 3, "行政审批"))
    assert where(problems) == [("事项", 3, "事项类型")]
    assert "行政审批" in problems[0].message


def test_material_without_item(catalogue: None) -> None:
    problems = problems_of(edit(exported(), "材料", "基本编码", 4, "000199999000"))
    assert ("材料", 4, "基本编码") in where(problems)
    assert "没有对应的事项" in problems[0].message


def test_option_adds_missing_material(catalogue: None) -> None:
    problems = problems_of(edit(exported(), "情形", "增加材料", 3, "proxy、passport"))
    assert where(problems) == [("情形", 3, "增加材料")]
    assert "passport" in problems[0].message


def test_non_number_limit_and_problems_are_collected(catalogue: None) -> None:
    stream = edit(exported(), "事项", "法定时限", 2, "二十")
    stream = edit(stream, "事项", "实施部门编码", 3, "610799-NOPE")
    stream = edit(stream, "材料", "材料形式", 11, "扫描件")
    problems = problems_of(stream)
    assert ("事项", 2, "法定时限") in where(problems)
    assert ("事项", 3, "实施部门编码") in where(problems)
    assert ("材料", 11, "材料形式") in where(problems)
    assert str(next(p for p in problems if p.sheet == "材料")).startswith(
        "工作表「材料」第 11 行「材料形式」："
    )


def test_not_an_excel_file(catalogue: None) -> None:
    problems = problems_of(io.BytesIO("基本编码,事项名称\n1,2\n".encode()))
    assert len(problems) == 1 and "Excel" in problems[0].message
    assert (problems[0].sheet, problems[0].row, problems[0].column) == ("", None, None)
    assert str(problems[0]).startswith("文件无法读取")


def test_command(catalogue: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "事项清单.xlsx"
    call_command("catalogue", "export", str(path))
    assert "已导出 2 个事项" in capsys.readouterr().out
    call_command("catalogue", "import", str(path))
    assert "未变 2 个" in capsys.readouterr().out
    path.write_bytes(edit(io.BytesIO(path.read_bytes()), "事项", "承诺时限", 2, 30).getvalue())
    with pytest.raises(CommandError, match="1 处问题"):
        call_command("catalogue", "import", str(path))
    assert "工作表「事项」第 2 行「承诺时限」：" in capsys.readouterr().err


def test_more_problems_each_in_its_place(catalogue: None) -> None:
    stream = edit(exported(), "材料", "材料名称", 2, "长" * 201)
    stream = edit(stream, "一件事", "阶段", 2, "2:000105001000")
    stream = edit(stream, "收费", "收费标准", 2, None)
    stream = edit(stream, "情形", "问题", 3, "别的问题")
    stream = edit(stream, "事项", "可办理层级", 2, "县级、省级")
    problems = problems_of(stream)
    assert sorted(where(problems), key=str) == sorted(
        [
            ("材料", 2, "材料名称"),
            ("一件事", 2, "阶段"),
            ("收费", 2, "收费标准"),
            ("情形", 3, "问题"),
            ("事项", 2, "可办理层级"),
        ],
        key=str,
    )
    assert "省级" in next(p.message for p in problems if p.column == "可办理层级")


def test_bundle_rules_of_the_service_are_reported_at_their_cell(catalogue: None) -> None:
    """The rules `services.bundle_check` holds beyond the sheet's own (code format, limit range)
    are found before anything is written, at the cell they concern."""
    stream = edit(exported(), "一件事", "承诺时限", 2, 400)
    problems = problems_of(stream)
    assert where(problems) == [("一件事", 2, "承诺时限")]
    assert "1 至 365 个工作日" in problems[0].message
    problems = problems_of(edit(exported(), "一件事", "编码", 2, "一件事 1"))
    assert where(problems) == [("一件事", 2, "编码")]
    assert "字母、数字" in problems[0].message


def test_a_bundle_stopped_and_restored_through_the_workbook(catalogue: None) -> None:
    from onewindow.audit.models import AuditEntry

    stream = edit(exported(), "一件事", "状态", 2, "停止办理")
    stream = edit(stream, "一件事", "停止原因", 2, "并入新的一件事")
    result = import_catalogue(stream, actor=None)
    assert (result.bundles, result.bundles_unchanged) == (1, 0)
    bundle = Bundle.objects.get(code="BUNDLE-001")
    assert (bundle.active, bundle.retire_reason) == (False, "并入新的一件事")
    assert AuditEntry.objects.filter(action="catalogue.bundle.retire").count() == 1
    assert cells(exported())["一件事"][1][-2:] == ("停止办理", "并入新的一件事")
    # another reason: the stopped bundle keeps stopped with the new reason
    import_catalogue(edit(exported(), "一件事", "停止原因", 2, "另有安排"), actor=None)
    bundle.refresh_from_db()
    assert (bundle.active, bundle.retire_reason) == (False, "另有安排")
    stream = edit(exported(), "一件事", "状态", 2, "办理中")
    import_catalogue(edit(stream, "一件事", "停止原因", 2, None), actor=None)
    bundle.refresh_from_db()
    assert (bundle.active, bundle.retire_reason) == (True, "")
    assert AuditEntry.objects.filter(action="catalogue.bundle.restore").count() == 1


def test_bundle_state_problems_are_reported_at_their_cell(catalogue: None) -> None:
    problems = problems_of(edit(exported(), "一件事", "状态", 2, "暂停"))
    assert where(problems) == [("一件事", 2, "状态")]
    assert "办理中" in problems[0].message and "停止办理" in problems[0].message
    problems = problems_of(edit(exported(), "一件事", "状态", 2, "停止办理"))
    assert where(problems) == [("一件事", 2, "停止原因")]
    problems = problems_of(edit(exported(), "一件事", "停止原因", 2, "不办了"))
    assert where(problems) == [("一件事", 2, "停止原因")]
    stream = edit(exported(), "一件事", "状态", 2, "停止办理")
    problems = problems_of(edit(stream, "一件事", "停止原因", 2, "长" * 201))
    assert where(problems) == [("一件事", 2, "停止原因")]
    assert Bundle.objects.get(code="BUNDLE-001").active


def test_item_with_an_unpublished_draft_is_refused(catalogue: None) -> None:
    item = Item.objects.get(code="000105001000")
    services.version_new_draft(item=item, actor=None)
    problems = problems_of(edit(exported(), "事项", "承诺时限", 2, 4))
    assert where(problems) == [("事项", 2, "基本编码")]
    assert "未发布的修订稿" in problems[0].message


def test_command_draft_and_progress_bar(
    catalogue: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from onewindow.catalogue.management.commands import catalogue as command

    monkeypatch.setattr(command, "PROGRESS_FROM", 1)
    path = tmp_path / "清单.xlsx"
    path.write_bytes(edit(exported(), "事项", "承诺时限", 2, 4).getvalue())
    call_command("catalogue", "import", str(path), "--draft")
    captured = capsys.readouterr()
    assert "更新 1 个" in captured.out and "2/2" in captured.err
    item = Item.objects.get(code="000105001000")
    assert item.published.promised_limit == 5  # type: ignore[union-attr]
    assert item.versions.get(number=2).status == "draft"


def test_command_not_excel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "清单.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(CommandError):
        call_command("catalogue", "import", str(path))
    assert "Excel" in capsys.readouterr().err
