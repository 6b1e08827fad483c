"""Excel exchange of the catalogue (事项清单导入导出), in the layout service centres pass around.

One workbook, one sheet per kind of row; every cell holds what a clerk reads (labels such as
“行政许可”, “即办件”, “是/否”), never an internal code:

  事项      one row per item (基本编码 … 办理流程); free-text lists one entry per line (设定依据,
            受理条件, 特别程序, 中介服务, 常用说法: an entry may itself contain “、”); codes one
            per line or separated by “、” (协办部门编码); labels separated by “、” (可办理层级,
            办理形式, 主题); 时限单位 工作日/自然日/工作小时 (both limits count in it); 办理流程
            empty for the default flow, else the hand-made flow as JSON (checked on import like
            one saved on the staff pages)
  材料      one row per material, joined to its item by 基本编码
  收费      one row per fee
  情形      one row per option of a situation (the question repeats on each of its options);
            增加受理条件 one per line, 情形承诺时限 / 情形法定时限 in the item's unit, empty when
            the situation keeps the item's limit (columns added later: an older workbook without
            them keeps what the published options have)
  常见问题  one row per question
  一件事    one row per bundle; 阶段 is “1:编码、编码;2:编码” (stages in order, items of one
            stage handled in parallel; the “n:” prefix is optional); 共用材料 and 常用说法 one per
            line; 个人主题 / 法人主题 as on the items; 状态 办理中 (or empty) / 停止办理, with
            停止原因 for a stopped bundle

Columns added later (时限单位, 投诉电话, 办理流程; the bundles' 个人主题, 法人主题, 状态, 停止原因)
may be missing from an older workbook: what they hold is then kept as it is. A sheet with none of
its later columns is of the older layout, whose free-text lists were joined with “、”: a cell of it
without a line break is still split at “、” and “，”.

Import reads and checks the whole workbook first and writes nothing if any row is wrong: every
problem comes back with its sheet, row and column (`ImportProblems.problems`). The guide rules
themselves live in `services._problems`; this module translates cells to a guide dict and back
and points each rule's message at the cell it is about.

Writing (`write_catalogue`, one transaction): an item whose published guide equals its rows is
left alone; any other gets a new version through `services.item_draft_from_data` (reviewed and
published unless importing drafts); bundles go through `services.bundle_save`, unchanged ones are
skipped. An empty 办理流程 cell means the default flow for the row's limits and departments; a
workbook without that column keeps the item's hand-made flow while it still fits.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import models, transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from onewindow.core.errors import InvalidInput
from onewindow.org.models import Department

from . import services
from .choices import (
    BUSINESS_STAGES,
    FORMS,
    LEVELS,
    LIFE_EVENTS,
    Handling,
    ItemKind,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    OnlineDepth,
    ResultType,
    VersionStatus,
)
from .flows import default_flow, flow_problems
from .models import Bundle, Faq, Fee, Item, ItemVersion, Material, Situation, SituationOption
from .selectors import unit_text

PathOrStream = str | Any  # a path (str / Path) or a binary file object

SEP = "、"
ITEMS, MATERIALS, FEES, SITUATIONS, FAQS, BUNDLES = (
    "事项",
    "材料",
    "收费",
    "情形",
    "常见问题",
    "一件事",
)


# --- cell conversions -----------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read; the message is Chinese and goes to the clerk."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _lines(value: Any) -> list[str]:
    return [line.strip() for line in _text(value).splitlines() if line.strip()]


def _split(value: Any) -> list[str]:
    """Codes or labels, which never contain a separator: “、”, “,”, “，” or a new line."""
    return [part.strip() for part in re.split(r"[、,，\n]", _text(value)) if part.strip()]


def _legacy_entries(value: Any) -> list[str]:
    """A cell of free-text entries in a workbook of the older layout, which joined entries with
    “、” (the current layout puts one per line, `_lines`)."""
    return _lines(value) if "\n" in _text(value) else _split(value)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("应为整数。")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    if not re.fullmatch(r"\d+", text):
        raise CellError(f"“{text}”不是整数，应填写不小于 0 的整数。" if text else "不能为空。")
    return int(text)


def _count(value: Any) -> int:
    number = _int(value)
    if number < 0 or number > MAX_NUMBER:
        raise CellError(f"{number} 超出范围，应为 0 到 {MAX_NUMBER} 之间的整数。")
    return number


MAX_NUMBER = 32767  # the smallest integer column (份数, 到现场次数) holds no more

YES, NO = "是", "否"


def _bool(value: Any) -> bool:
    text = _text(value)
    if text not in (YES, NO):
        raise CellError(f"“{text}”无效，应填写“是”或“否”。")
    return text == YES


def _yes(value: bool) -> str:
    return YES if value else NO


class Labels:
    """Both directions between internal codes and the Chinese labels shown in cells."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.label = dict(pairs)
        self.code = {label: code for code, label in self.label.items()}

    def to_label(self, code: str) -> str:
        return self.label.get(code, code)

    def to_code(self, value: Any) -> str:
        text = _text(value)
        if text not in self.code:
            raise CellError(f"“{text}”无效，应为{SEP.join(self.code)}之一。")
        return self.code[text]

    def many_to_label(self, codes: Iterable[str]) -> str:
        return SEP.join(self.to_label(c) for c in codes)

    def many_to_code(self, value: Any) -> list[str]:
        return [self.to_code(part) for part in _split(value)]


KIND = Labels(ItemKind.choices)
HANDLING = Labels(Handling.choices)
DEPTH = Labels(OnlineDepth.choices)
RESULT = Labels(ResultType.choices)
FORM = Labels(MaterialForm.choices)
SOURCE = Labels(MaterialSource.choices)
LEVEL = Labels(LEVELS)
HOW = Labels(FORMS)
UNIT = Labels((code, label.removeprefix("个")) for code, label in LimitUnit.choices)
LIFE = Labels(LIFE_EVENTS.items())
STAGE = Labels(BUSINESS_STAGES.items())
TARGET = Labels([("person", "个人"), ("company", "企业")])


def _unit(value: Any) -> str:
    """时限单位: 工作日 when left empty (the unit of most items)."""
    return UNIT.to_code(value) if _text(value) else LimitUnit.WORKING_DAYS.value


# --- column layout ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    write: Callable[[Any], Any]
    read: Callable[[Any], Any]
    width: int = 14
    # a column added after workbooks were already in circulation: a workbook without it is
    # still read, and what the column holds is kept as it is (a new item gets the default)
    optional: bool = False
    # how a sheet of the older layout (none of its optional columns) wrote this column
    legacy_read: Callable[[Any], Any] | None = None


def _bounded(limit: int) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        text = _text(value)
        if len(text) > limit:
            raise CellError(f"内容过长（{len(text)} 字），最多 {limit} 字。")
        return text

    return read


def _col(
    header: str,
    key: str,
    kind: str = "text",
    labels: Labels | None = None,
    width: int = 14,
    model: type[models.Model] | None = None,
    name: str | None = None,
    optional: bool = False,
) -> Column:
    column = _column(header, key, kind, labels, width, model, name)
    return replace(column, optional=True) if optional else column


def _column(
    header: str,
    key: str,
    kind: str,
    labels: Labels | None,
    width: int,
    model: type[models.Model] | None,
    name: str | None,
) -> Column:
    if kind == "text":
        read: Callable[[Any], str] = _text
        if model is not None:  # the model field's max_length, checked before anything is saved
            limit = getattr(model._meta.get_field(name or key), "max_length", None)
            if limit:
                read = _bounded(limit)
        return Column(header, key, lambda v: v or "", read, width)
    if kind == "int":
        return Column(header, key, lambda v: v, _count, width)
    if kind == "lines":
        return Column(header, key, lambda v: "\n".join(v or []), _lines, width)
    if kind == "list":
        # free-text entries (a shared material, a colloquial phrase), one per line: an entry may
        # itself contain “、” or “，” (“水、电、气、有线电视户号”), so only a new line separates
        return Column(
            header, key, lambda v: "\n".join(v or []), _lines, width, legacy_read=_legacy_entries
        )
    if kind == "codes":  # codes, one per line (“、” is read too)
        return Column(header, key, lambda v: "\n".join(v or []), _split, width)
    if kind == "bool":
        return Column(header, key, _yes, _bool, width)
    assert labels is not None
    if kind == "choice":
        return Column(header, key, labels.to_label, labels.to_code, width)
    return Column(header, key, labels.many_to_label, labels.many_to_code, width)


CODE = "基本编码"


def _flow_to_text(flow: Any) -> str:
    """A flow made by hand, as JSON; empty for the default flow (export leaves it out so that an
    edited limit or department in the workbook gets a fitting default flow on import)."""
    return json.dumps(flow, ensure_ascii=False, indent=1) if flow else ""


def _flow_from_text(value: Any) -> dict[str, Any]:
    text = _text(value)
    if not text:
        return {}
    try:
        flow = json.loads(text)
    except ValueError as error:
        raise CellError(
            f"不是有效的流程数据（第 {getattr(error, 'lineno', '?')} 行附近格式有误）；"
            "按默认流程办理的事项请留空，自定义流程请保留导出时的内容。"
        ) from error
    if (
        not isinstance(flow, dict)
        or not isinstance(flow.get("states"), list)
        or not isinstance(flow.get("actions"), list)
        or not all(isinstance(x, dict) for x in [*flow["states"], *flow["actions"]])
    ):
        raise CellError("流程数据应包含环节（states）和操作（actions）；按默认流程办理的请留空。")
    return flow


def _limit_or_blank(value: Any) -> int | None:
    """A situation's own time limit: empty when it is the item's."""
    return None if _text(value) == "" else _count(value)


# 情形 columns of what an option changes besides materials: (key, header)
_OPTION_EFFECTS = (
    ("conditions", "增加受理条件"),
    ("promised_limit", "情形承诺时限"),
    ("statutory_limit", "情形法定时限"),
)


ITEM_COLUMNS = [
    _col(CODE, "code", width=16),
    _col("事项名称", "name", width=28, model=ItemVersion),
    _col("实施部门编码", "department", width=16),
    _col("协办部门编码", "co_departments", "codes", width=20),
    _col("事项类型", "kind", "choice", KIND),
    _col("可办理层级", "levels", "multi", LEVEL, width=20),
    _col("权力来源", "power_source", model=ItemVersion),
    _col("服务内容", "content", width=40),
    _col("设定依据", "legal_basis", "lines", width=40),
    _col("受理条件", "conditions", "lines", width=40),
    _col("办件类型", "handling", "choice", HANDLING, width=10),
    _col("法定时限", "statutory_limit", "int", width=10),
    _col("承诺时限", "promised_limit", "int", width=10),
    Column("时限单位", "limit_unit", UNIT.to_label, _unit, 10, optional=True),
    _col("时限说明", "limit_note", width=20, model=ItemVersion),
    _col("办理形式", "forms", "multi", HOW, width=20),
    _col("到现场次数", "visits", "int", width=10),
    _col("网办深度", "online_depth", "choice", DEPTH),
    _col("结果类型", "result_type", "choice", RESULT),
    _col("结果名称", "result_name", width=20, model=ItemVersion),
    _col("特别程序", "special_procedures", "lines", width=20),
    _col("中介服务", "intermediaries", "lines", width=20),
    _col("办理地点", "place", width=20, model=ItemVersion),
    _col("办理时间", "hours", width=20, model=ItemVersion),
    _col("咨询电话", "phone", width=16, model=ItemVersion),
    _col("投诉电话", "complaint_phone", width=16, model=ItemVersion, optional=True),
    _col("个人主题", "life_events", "multi", LIFE, width=16),
    _col("法人主题", "business_stages", "multi", STAGE, width=16),
    _col("常用说法", "keywords", "list", width=24),
    Column("办理流程", "flow", _flow_to_text, _flow_from_text, 30, optional=True),
]
MATERIAL_COLUMNS = [
    _col(CODE, "code", width=16),
    _col("材料标识", "key", model=Material),
    _col("材料名称", "name", width=30, model=Material),
    _col("是否必需", "required", "bool", width=10),
    _col("可容缺", "deficiency_ok", "bool", width=10),
    _col("情形材料", "situational", "bool", width=10),
    _col("材料形式", "form", "choice", FORM),
    _col("份数", "copies", "int", width=8),
    _col("来源", "source", "choice", SOURCE, width=20),
    _col("受理标准", "standard", width=30, model=Material),
    _col("有空白表格", "blank_form", "bool", width=12),
]
FEE_COLUMNS = [
    _col(CODE, "code", width=16),
    _col("收费项目", "name", width=20, model=Fee),
    _col("收费标准", "standard", width=24, model=Fee),
    _col("收费依据", "basis", width=30, model=Fee),
    _col("减免政策", "reduction", width=30, model=Fee),
]
SITUATION_COLUMNS = [
    _col(CODE, "code", width=16),
    _col("情形标识", "situation", model=Situation, name="key"),
    _col("问题", "question", width=30, model=Situation),
    _col("选项标识", "key", model=SituationOption),
    _col("选项", "answer", width=20, model=SituationOption),
    _col("增加材料", "add", "codes", width=20),
    _col("去除材料", "remove", "codes", width=20),
    _col("说明", "note", width=30, model=SituationOption),
    # what the option changes besides materials (added later: optional, see _OPTION_EFFECTS)
    _col("增加受理条件", "conditions", "lines", width=30, optional=True),
    Column("情形承诺时限", "promised_limit", lambda v: v, _limit_or_blank, 12, optional=True),
    Column("情形法定时限", "statutory_limit", lambda v: v, _limit_or_blank, 12, optional=True),
]
FAQ_COLUMNS = [
    _col(CODE, "code", width=16),
    _col("问题", "q", width=40, model=Faq, name="question"),
    _col("解答", "a", width=60),
]


def _stages_to_text(stages: list[list[str]]) -> str:
    return ";".join(f"{n}:{SEP.join(codes)}" for n, codes in enumerate(stages, start=1))


def _stages_from_text(value: Any) -> list[list[str]]:
    """“1:编码、编码;2:编码” (also “；” or one stage per line; the “n:” prefix is optional)."""
    stages: list[list[str]] = []
    for part in re.split(r"[;；\n]", _text(value)):
        part = part.strip()
        if not part:
            continue
        number, sep, codes = re.sub(r"[：]", ":", part).partition(":")
        if not sep:
            number, codes = "", part
        elif number.strip() != str(len(stages) + 1):
            raise CellError(f"阶段“{part}”的序号应为 {len(stages) + 1}（阶段按顺序编号）。")
        items = _split(codes)
        if not items:
            raise CellError(f"第 {len(stages) + 1} 阶段没有事项。")
        stages.append(items)
    if not stages:
        raise CellError("至少要有一个阶段。")
    return stages


ACTIVE, RETIRED = "办理中", "停止办理"


def _active(value: Any) -> bool:
    text = _text(value)
    if text not in ("", ACTIVE, RETIRED):
        raise CellError(f"“{text}”无效，应填写“{ACTIVE}”或“{RETIRED}”（留空即办理中）。")
    return text != RETIRED


BUNDLE_COLUMNS = [
    _col("编码", "code", width=16, model=Bundle),
    _col("名称", "name", width=24, model=Bundle),
    _col("说明", "description", width=40),
    _col("服务对象", "target", "choice", TARGET, width=10),
    _col("承诺时限", "promised_limit", "int", width=10),
    Column("阶段", "order", _stages_to_text, _stages_from_text, 40),
    _col("共用材料", "shared_materials", "list", width=24),
    _col("常用说法", "keywords", "list", width=24),
    _col("个人主题", "life_events", "multi", LIFE, width=16, optional=True),
    _col("法人主题", "business_stages", "multi", STAGE, width=16, optional=True),
    Column("状态", "active", lambda v: ACTIVE if v else RETIRED, _active, 10, optional=True),
    _col("停止原因", "retire_reason", width=24, model=Bundle, optional=True),
]

BUNDLE_HEADERS = {c.key: c.header for c in BUNDLE_COLUMNS}

SHEETS: dict[str, list[Column]] = {
    ITEMS: ITEM_COLUMNS,
    MATERIALS: MATERIAL_COLUMNS,
    FEES: FEE_COLUMNS,
    SITUATIONS: SITUATION_COLUMNS,
    FAQS: FAQ_COLUMNS,
    BUNDLES: BUNDLE_COLUMNS,
}


# --- export ----------------------------------------------------------------------------------


def _sheet(book: Workbook, title: str) -> Worksheet:
    sheet = book.create_sheet(title)
    columns = SHEETS[title]
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for n, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = column.width
    return sheet


def _row(columns: list[Column], values: dict[str, Any]) -> list[Any]:
    return [c.write(values.get(c.key)) for c in columns]


def export_catalogue(path_or_stream: PathOrStream) -> int:
    """Write every published item and every bundle; returns the number of items written."""
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    sheets = {title: _sheet(book, title) for title in SHEETS}
    count = 0
    items = Item.objects.filter(published__isnull=False).select_related("published", "department")
    for item in items.order_by("code"):
        assert item.published is not None
        data = services.version_as_data(item.published)
        code = data["code"]
        if data["flow"] == _default_flow(data):
            data["flow"] = {}  # the default flow: an empty cell (generated again on import)
        sheets[ITEMS].append(_row(ITEM_COLUMNS, data))
        for m in data["materials"]:
            sheets[MATERIALS].append(_row(MATERIAL_COLUMNS, {**m, "code": code}))
        for f in data["fees"]:
            sheets[FEES].append(_row(FEE_COLUMNS, {**f, "code": code}))
        for s in data["situations"]:
            for o in s["options"]:
                values = {**o, "code": code, "situation": s["key"], "question": s["question"]}
                sheets[SITUATIONS].append(_row(SITUATION_COLUMNS, values))
        for q in data["faqs"]:
            sheets[FAQS].append(_row(FAQ_COLUMNS, {**q, "code": code}))
        count += 1
    for bundle in Bundle.objects.prefetch_related("steps__item").order_by("code"):
        values = {
            **services.bundle_as_data(bundle),
            "active": bundle.active,
            "retire_reason": bundle.retire_reason,
        }
        sheets[BUNDLES].append(_row(BUNDLE_COLUMNS, values))
    book.save(path_or_stream)
    return count


# --- import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if not self.sheet:  # the file as a whole
            return self.message
        where = f"工作表「{self.sheet}」"
        if self.row is not None:
            where += f"第 {self.row} 行"
        if self.column:
            where += f"「{self.column}」"
        return f"{where}：{self.message}"


class ImportProblems(InvalidInput):
    """The workbook was not imported; `problems` says where and why."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__(
            f"导入文件有 {len(problems)} 处问题，未导入任何内容："
            + "；".join(str(p) for p in problems[:5])
            + ("……" if len(problems) > 5 else "")
        )


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    bundles: int = 0
    bundles_unchanged: int = 0


@dataclass
class _Parsed:
    """One item read from the workbook, with where each part of it came from."""

    row: int
    data: dict[str, Any]
    material_rows: dict[str, int] = field(default_factory=dict)  # material name → row


class _Reader:
    def __init__(self) -> None:
        self.problems: list[ImportProblem] = []

    def problem(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        found = ImportProblem(sheet, row, column, message)
        if not any(
            (p.sheet, p.row, p.column) == (sheet, row, column) and row is not None
            for p in self.problems
        ):
            self.problems.append(found)

    def rows(self, book: Any, title: str) -> list[tuple[int, dict[str, Any]]]:
        """The sheet's non-empty rows as {key: value}, or [] after noting missing columns."""
        columns = SHEETS[title]
        if title not in book.sheetnames:
            self.problem(title, None, None, f"缺少工作表「{title}」。")
            return []
        sheet = book[title]
        raw = list(sheet.iter_rows(values_only=True))
        header = [_text(v) for v in raw[0]] if raw else []
        positions: dict[str, int] = {}
        for column in columns:
            if column.header in header:
                positions[column.key] = header.index(column.header)
            elif not column.optional:
                self.problem(title, 1, column.header, f"缺少列「{column.header}」。")
        if any(not c.optional and c.key not in positions for c in columns):
            return []
        present = [c for c in columns if c.key in positions]  # an absent optional column: kept
        # a sheet without any of its later columns was written by the older layout
        legacy = any(c.optional for c in columns) and not any(c.optional for c in present)
        out: list[tuple[int, dict[str, Any]]] = []
        for number, values in enumerate(raw[1:], start=2):
            if all(_text(v) == "" for v in values):
                continue
            row: dict[str, Any] = {}
            for column in present:
                index = positions[column.key]
                value = values[index] if index < len(values) else None
                try:
                    read = column.legacy_read if legacy and column.legacy_read else column.read
                    row[column.key] = read(value)
                except CellError as error:
                    self.problem(title, number, column.header, str(error))
                    row[column.key] = None
            out.append((number, row))
        return out


# Where a message of services._problems points to: (words in the message, sheet, column).
_RULE_COLUMNS = [
    ("办理流程：", ITEMS, "办理流程"),
    ("时限单位", ITEMS, "时限单位"),
    ("基本编码", ITEMS, CODE),
    ("事项类型", ITEMS, "事项类型"),
    ("办件类型", ITEMS, "办件类型"),
    ("法定时限和承诺时限", ITEMS, "法定时限"),
    ("承诺时限", ITEMS, "承诺时限"),
    ("可办理层级", ITEMS, "可办理层级"),
    ("办理形式", ITEMS, "办理形式"),
    ("网办深度", ITEMS, "网办深度"),
    ("结果类型", ITEMS, "结果类型"),
    ("至少应有一项申请材料", ITEMS, CODE),
    ("申请材料的标识有重复", MATERIALS, "材料标识"),
    ("的形式或来源无效", MATERIALS, "材料形式"),
    ("无需标为可容缺", MATERIALS, "可容缺"),
]


def _locate(message: str, parsed: _Parsed) -> tuple[str, int, str | None]:
    for words, sheet, column in _RULE_COLUMNS:
        if words in message:
            if sheet == MATERIALS:
                name = re.search(r"材料“(.*?)”", message)
                row = parsed.material_rows.get(name.group(1) if name else "", parsed.row)
                return sheet, row, column
            return sheet, parsed.row, column
    return ITEMS, parsed.row, None


def _open(path_or_stream: PathOrStream) -> Any:
    try:
        return load_workbook(path_or_stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        message = "文件无法读取，请上传 Excel 工作簿（.xlsx），可先用“导出”得到模板。"
        if isinstance(error, FileNotFoundError):
            message = f"找不到文件 {path_or_stream}。"
        raise ImportProblems([ImportProblem("", None, None, message)]) from error


def read_catalogue(
    path_or_stream: PathOrStream,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Read and check the whole workbook: (item dicts, bundle dicts), or raise ImportProblems
    listing every problem. Writes nothing."""
    book = _open(path_or_stream)
    reader = _Reader()
    try:
        sheets = {title: reader.rows(book, title) for title in SHEETS}
    finally:
        book.close()
    if any(p.row in (None, 1) for p in reader.problems):
        # a sheet or column is missing: everything else would only be its echo
        raise ImportProblems([p for p in reader.problems if p.row in (None, 1)])
    departments = set(Department.objects.values_list("code", flat=True))
    unpublished = set(
        ItemVersion.objects.filter(
            status__in=[VersionStatus.DRAFT, VersionStatus.REVIEWED]
        ).values_list("item__code", flat=True)
    )
    existing = {
        code: (department, code in unpublished)
        for code, department in Item.objects.values_list("code", "department__code")
    }

    parsed: dict[str, _Parsed] = {}
    for number, row in sheets[ITEMS]:
        code = row["code"]
        if not code:
            reader.problem(ITEMS, number, CODE, "基本编码不能为空。")
            continue
        if code in parsed:
            reader.problem(
                ITEMS, number, CODE, f"基本编码 {code} 重复，已出现在第 {parsed[code].row} 行。"
            )
            continue
        if row["department"] not in departments:
            reader.problem(
                ITEMS, number, "实施部门编码", f"找不到部门 {row['department'] or '（空）'}。"
            )
        unknown = [d for d in row["co_departments"] or [] if d not in departments]
        if unknown:
            reader.problem(ITEMS, number, "协办部门编码", f"找不到部门 {SEP.join(unknown)}。")
        stored = existing.get(code)
        if stored is not None:
            if row["department"] in departments and stored[0] != row["department"]:
                reader.problem(
                    ITEMS,
                    number,
                    "实施部门编码",
                    f"事项 {code} 属于部门 {stored[0]}，不能改为 {row['department']}。",
                )
            if stored[1]:
                reader.problem(
                    ITEMS, number, CODE, f"事项 {code} 已有未发布的修订稿，请先发布或删除它。"
                )
        data = dict(row)
        data["co_departments"] = sorted(row["co_departments"] or [])
        data.update(materials=[], fees=[], faqs=[], situations=[])
        parsed[code] = _Parsed(number, data)

    def owner(sheet: str, number: int, row: dict[str, Any]) -> _Parsed | None:
        item = parsed.get(row["code"])
        if item is None:
            reader.problem(
                sheet,
                number,
                CODE,
                f"基本编码 {row['code'] or '（空）'} 在「事项」表中没有对应的事项。",
            )
        return item

    for number, row in sheets[MATERIALS]:
        if (item := owner(MATERIALS, number, row)) is None:
            continue
        keys = {m["key"] for m in item.data["materials"]}
        if not row["key"]:
            reader.problem(MATERIALS, number, "材料标识", "材料标识不能为空。")
        elif row["key"] in keys:
            reader.problem(MATERIALS, number, "材料标识", f"材料标识 {row['key']} 在该事项中重复。")
        if not row["name"]:
            reader.problem(MATERIALS, number, "材料名称", "材料名称不能为空。")
        item.material_rows.setdefault(row["name"], number)
        item.data["materials"].append({k: v for k, v in row.items() if k != "code"})
    for number, row in sheets[FEES]:
        if (item := owner(FEES, number, row)) is None:
            continue
        if not row["name"] or not row["standard"]:
            column = "收费项目" if not row["name"] else "收费标准"
            reader.problem(FEES, number, column, f"{column}不能为空。")
        item.data["fees"].append({k: v for k, v in row.items() if k != "code"})
    for number, row in sheets[FAQS]:
        if (item := owner(FAQS, number, row)) is None:
            continue
        if not row["q"] or not row["a"]:
            column = "问题" if not row["q"] else "解答"
            reader.problem(FAQS, number, column, f"{column}不能为空。")
        item.data["faqs"].append({"q": row["q"], "a": row["a"]})
    kept = _kept_option_effects(sheets[SITUATIONS])
    for number, row in sheets[SITUATIONS]:
        if (item := owner(SITUATIONS, number, row)) is None:
            continue
        if not row["situation"]:
            reader.problem(SITUATIONS, number, "情形标识", "情形标识不能为空。")
            continue
        situations = item.data["situations"]
        situation = next((s for s in situations if s["key"] == row["situation"]), None)
        if situation is None:
            situation = {"key": row["situation"], "question": row["question"], "options": []}
            situations.append(situation)
        elif row["question"] != situation["question"]:
            reader.problem(
                SITUATIONS, number, "问题", f"同一情形 {row['situation']} 的问题应与上一行相同。"
            )
        if not row["key"]:
            reader.problem(SITUATIONS, number, "选项标识", "选项标识不能为空。")
        elif any(o["key"] == row["key"] for o in situation["options"]):
            reader.problem(SITUATIONS, number, "选项标识", f"选项标识 {row['key']} 重复。")
        keys = {m["key"] for m in item.data["materials"]}
        for column, name in (("增加材料", "add"), ("去除材料", "remove")):
            missing = [k for k in row[name] or [] if k not in keys]
            if missing:
                reader.problem(
                    SITUATIONS,
                    number,
                    column,
                    f"引用了该事项没有的材料标识 {SEP.join(missing)}（见「材料」表）。",
                )
        situation["options"].append(
            {
                "key": row["key"],
                "answer": row["answer"],
                "note": row["note"],
                "add": sorted(row["add"] or []),
                "remove": sorted(row["remove"] or []),
                **_option_effects(row, item.data["code"], situation["key"], kept),
            }
        )
        option = situation["options"][-1]
        for name, message in services.option_problems(option, item.data):
            reader.problem(SITUATIONS, number, dict(_OPTION_EFFECTS)[name], message)

    for item in parsed.values():
        for message in services._problems(item.data):
            if "”的选项“" in message:
                continue  # a situation option's rule: reported above, on the option's own row
            _, _, text = message.partition("：")
            sheet, row_number, rule_column = _locate(message, item)
            if rule_column == "法定时限" and any(
                (p.sheet, p.row, p.column) == (ITEMS, item.row, "承诺时限") for p in reader.problems
            ):
                continue  # the unreadable limit is already reported
            reader.problem(sheet, row_number, rule_column, text or message)

    known = set(parsed) | set(existing)
    bundles: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in sheets[BUNDLES]:
        found = len(reader.problems)
        if not row["code"]:
            reader.problem(BUNDLES, number, "编码", "编码不能为空。")
        elif row["code"] in seen:
            reader.problem(
                BUNDLES,
                number,
                "编码",
                f"编码 {row['code']} 重复，已出现在第 {seen[row['code']]} 行。",
            )
        seen.setdefault(row["code"], number)
        if not row["name"]:
            reader.problem(BUNDLES, number, "名称", "名称不能为空。")
        codes = [c for stage in row["order"] or [] for c in stage]
        missing = [c for c in codes if c not in known]
        if missing:
            reader.problem(BUNDLES, number, "阶段", f"找不到事项 {SEP.join(missing)}。")
        elif len(codes) != len(set(codes)):
            reader.problem(BUNDLES, number, "阶段", "同一事项在一件事中出现了多次。")
        if row.get("active") is False and not row.get("retire_reason"):
            reader.problem(BUNDLES, number, "停止原因", "停止办理的一件事请填写停止原因。")
        elif row.get("active") and row.get("retire_reason"):
            reader.problem(
                BUNDLES,
                number,
                "停止原因",
                "办理中的一件事不填停止原因；要停止办理请把状态改为“停止办理”。",
            )
        if len(reader.problems) == found:
            try:  # the rest of the rules the service holds (code format, limit, lengths)
                services.bundle_check(row, known=known)
            except InvalidInput as exc:
                column = BUNDLE_HEADERS.get(exc.field or "", "编码")
                reader.problem(BUNDLES, number, column, exc.message)
        bundles.append(row)

    if reader.problems:
        raise ImportProblems(reader.problems)
    return [p.data for p in parsed.values()], bundles


def _default_flow(data: dict[str, Any]) -> dict[str, Any]:
    """The flow an item gets when none was made by hand, from its limits and departments."""
    return default_flow(
        handling=data["handling"],
        promised_limit=data["promised_limit"],
        department=data["department"],
        co_departments=list(data["co_departments"]),
    )


def _kept_option_effects(
    rows: list[tuple[int, dict[str, Any]]],
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """An older workbook lacks the columns of what an option changes besides materials: the
    published options keep theirs, (item code, situation key, option key) → values. One query,
    only when a column is missing."""
    if not rows or all(key in rows[0][1] for key, _ in _OPTION_EFFECTS):
        return {}
    codes = {row["code"] for _, row in rows}
    found = SituationOption.objects.filter(
        situation__version__status=VersionStatus.PUBLISHED,
        situation__version__item__code__in=codes,
    ).values_list(
        "situation__version__item__code",
        "situation__key",
        "key",
        *(key for key, _ in _OPTION_EFFECTS),
    )
    return {
        (code, situation, option): dict(zip((key for key, _ in _OPTION_EFFECTS), rest, strict=True))
        for code, situation, option, *rest in found
    }


def _option_effects(
    row: dict[str, Any], code: str, situation: str, kept: dict[tuple[str, str, str], Any]
) -> dict[str, Any]:
    """The option's conditions and limits from its row, or (column missing) as published."""
    old = kept.get((code, situation, row["key"]), {})
    out: dict[str, Any] = {}
    for key, _ in _OPTION_EFFECTS:
        value = row[key] if key in row else old.get(key)
        out[key] = list(value or []) if key == "conditions" else value
    return out


def _comparable(data: dict[str, Any], *, flow: bool = True) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k != "change_note" and (flow or k != "flow")}
    for situation in out.get("situations", []):
        for option in situation["options"]:
            option["add"], option["remove"] = sorted(option["add"]), sorted(option["remove"])
    return out


def import_catalogue(
    path_or_stream: PathOrStream,
    *,
    actor: Any,
    publish: bool = True,
    progress: Callable[[int], Any] | None = None,
) -> ImportResult:
    """Read and check the whole workbook, then write it in one transaction (all or nothing).
    Raises `ImportProblems` (an `InvalidInput`) listing every problem; nothing is written then.
    Items whose published guide already equals their rows are left alone; the others get a new
    version, reviewed and published unless `publish` is false. `progress(n)` is called after each
    item with the number of items handled so far."""
    items, bundles = read_catalogue(path_or_stream)
    return write_catalogue(items, bundles, actor=actor, publish=publish, progress=progress)


def _flow_to_keep(current: dict[str, Any], data: dict[str, Any], departments: set[str]) -> Any:
    """The current flow if it was made by hand and still fits the imported guide, else None (the
    default flow is then generated from the imported limits and departments)."""
    flow = current.get("flow")
    if not flow or current["co_departments"] != data["co_departments"]:
        return None
    if flow == _default_flow(current):
        return None
    if flow_problems(
        flow, promised_limit=data["promised_limit"], departments=departments, unit=unit_text(data)
    ):
        return None
    return flow


# item fields whose column an older workbook lacks: kept from the current guide when absent
_KEPT_WHEN_ABSENT = tuple(c.key for c in ITEM_COLUMNS if c.optional and c.key != "flow")


def write_catalogue(
    items: list[dict[str, Any]],
    bundles: list[dict[str, Any]],
    *,
    actor: Any,
    publish: bool = True,
    progress: Callable[[int], Any] | None = None,
) -> ImportResult:
    """Write what `read_catalogue` returned, in one transaction."""
    result = ImportResult()
    departments = set(Department.objects.values_list("code", flat=True))
    with transaction.atomic():
        for done, data in enumerate(items, start=1):
            item = (
                Item.objects.select_related("published", "region").filter(code=data["code"]).first()
            )
            current = services.version_as_data(item.published) if item and item.published else None
            data = dict(data)
            for key in _KEPT_WHEN_ABSENT:
                if key not in data and current is not None:
                    data[key] = current[key]
            with_flow = "flow" in data  # the workbook has the 办理流程 column
            if with_flow and not data["flow"]:
                data["flow"] = _default_flow(data)  # an empty cell: the default flow
            if current is not None and _comparable(current, flow=with_flow) == _comparable(
                data, flow=with_flow
            ):
                result.unchanged += 1
            else:
                data["change_note"] = "Excel 导入"
                if (
                    not with_flow
                    and current is not None
                    and (flow := _flow_to_keep(current, data, departments))
                ):
                    data["flow"] = flow
                region = (
                    item.region
                    if item
                    else Department.objects.select_related("region")
                    .get(code=data["department"])
                    .region
                )
                draft = services.item_draft_from_data(data=data, region=region, actor=actor)
                if publish:
                    services.version_review(version=draft, actor=actor)
                    services.version_publish(version=draft, actor=actor)
                if item is None:
                    result.created += 1
                else:
                    result.updated += 1
            if progress is not None:
                progress(done)
        for row in bundles:
            existing = (
                Bundle.objects.prefetch_related("steps__item").filter(code=row["code"]).first()
            )
            data = dict(row)
            for key in ("life_events", "business_stages"):  # an older workbook lacks them
                if key not in data:
                    data[key] = list(getattr(existing, key)) if existing is not None else []
            # 状态 and 停止原因: absent from an older workbook, where the bundle stays as it is
            active = data.pop("active", None)
            reason = data.pop("retire_reason", None) or ""
            state: tuple[bool, str] = (
                (existing.active, existing.retire_reason) if existing else (True, "")
            )
            wanted = state if active is None else (active, "" if active else reason)
            changed = existing is None or services.bundle_as_data(existing) != data
            if not changed and wanted == state:
                result.bundles_unchanged += 1
                continue
            if changed:
                services.bundle_save(data=data, actor=actor)
            if wanted != state:
                services.bundle_set_active(
                    code=data["code"], active=wanted[0], reason=wanted[1], actor=actor, restate=True
                )
            result.bundles += 1
    return result
