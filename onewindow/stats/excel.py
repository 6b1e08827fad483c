"""Tables as Excel workbooks (openpyxl): the figures as numbers (rates as fractions formatted
as percentages), so the spreadsheet can compute with them."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .selectors import COLUMNS, MonthPoint, Row, Table


def _value(row: Row, name: str, kind: str) -> Any:
    value = getattr(row, name)
    if value is None:
        return None
    if kind == "d":
        return round(value, 2)
    return value


def _format(kind: str) -> str:
    return {"r": "0.0%", "d": "0.00", "n": "0"}[kind]


def write_sheet(
    sheet: Worksheet,
    *,
    heading: Sequence[str],
    columns: Sequence[tuple[str, str, str]],
    rows: Iterable[Sequence[Any]],
    first_label: str,
) -> None:
    """A titled sheet: heading lines, a bold header row, then one line per row (the first cell
    the row's label, then the values with their number formats)."""
    for line in heading:
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=13)
    header_row = len(heading) + 1
    sheet.append([first_label, *[label for _n, label, _k in columns]])
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for values in rows:
        sheet.append(list(values))
        line = sheet.max_row
        for j, (_n, _label, kind) in enumerate(columns, start=2):
            sheet.cell(row=line, column=j).number_format = _format(kind)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2)
    sheet.column_dimensions["A"].width = 34
    for j in range(2, len(columns) + 2):
        sheet.column_dimensions[get_column_letter(j)].width = 12


def table_rows(table: Table) -> list[list[Any]]:
    lines = [[row.label, *[_value(row, n, k) for n, _l, k in COLUMNS]] for row in table.rows]
    lines.append([table.total.label, *[_value(table.total, n, k) for n, _l, k in COLUMNS]])
    return lines


def table_heading(table: Table) -> list[str]:
    return [
        f"{table.scope.label} 政务服务办件统计（按{table.dimension_label}）",
        f"统计周期：{table.period.label}（{table.period.start} 至 {table.period.end}）",
    ]


def table_workbook(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"按{table.dimension_label}"
    write_sheet(
        sheet,
        heading=table_heading(table),
        columns=COLUMNS,
        rows=table_rows(table),
        first_label=table.dimension_label,
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


TREND_COLUMNS: list[tuple[str, str, str]] = [
    ("received", "收件", "n"),
    ("completed", "办结", "n"),
    ("on_time_rate", "按时办结率", "r"),
]


def trend_workbook(points: Sequence[MonthPoint], scope_label: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "月度趋势"
    first, last = points[0].period, points[-1].period
    write_sheet(
        sheet,
        heading=[
            f"{scope_label} 政务服务办件月度趋势",
            f"统计周期：{first.start} 至 {last.end}",
        ],
        columns=TREND_COLUMNS,
        rows=[[p.period.label, p.received, p.completed, p.on_time_rate] for p in points],
        first_label="月份",
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
