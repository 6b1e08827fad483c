"""Tables as Excel workbooks (openpyxl): the figures as numbers (rates as fractions formatted
as percentages), so the spreadsheet can compute with them."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
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


# -- lists of rows (the supervision board, 好差评): any number of rows, in a write-only workbook --

ROW_LIMIT = 100_000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RowsExport:
    content: bytes
    rows: int
    capped: bool


def _text_cell(sheet: WriteOnlyWorksheet, text: str) -> Any:
    """A text cell safe to open: control characters Excel refuses are dropped, and a text that
    a spreadsheet would run as a formula (= + - @, as the audit CSV export guards against) is
    written as a string with Excel's quote prefix (what typing a leading ' gives), so it shows
    and stays as the text it is."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if not text.startswith(_FORMULA_STARTS):
        return text
    cell = WriteOnlyCell(sheet, None)
    cell._value = text
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: the local wall-clock time, as on the page
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return value


def rows_workbook(
    title: str,
    heading: Sequence[str],
    columns: Sequence[tuple[str, float]],
    rows: Iterable[Sequence[Any]],
    *,
    limit: int = ROW_LIMIT,
) -> RowsExport:
    """One sheet `title`: the heading lines (the first bold), a bold header row of `columns`
    ((label, width) pairs), then `rows` (taken one at a time: a write-only workbook keeps only
    the row being written in memory, so 100,000 rows are fine). Dates and times are Excel dates;
    text cells are guarded against formula injection. At most `limit` rows: past it the sheet
    ends with a line saying the export was cut short (iterate at most limit + 1 rows: the
    caller should slice its query to `limit + 1`)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for j, (_label, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(j)].width = width
    sheet.freeze_panes = f"A{len(heading) + 2}"
    bold = Font(bold=True)
    for i, line in enumerate(heading):
        cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", line))
        cell.font = Font(bold=True, size=13) if i == 0 else Font()
        sheet.append([cell])
    header = []
    for label, _width in columns:
        cell = WriteOnlyCell(sheet, label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    written = 0
    capped = False
    for values in rows:
        if written >= limit:
            capped = True
            break
        sheet.append([_text_cell(sheet, v) if isinstance(v, str) else _plain(v) for v in values])
        written += 1
    if capped:
        note = WriteOnlyCell(
            sheet,
            f"注：符合条件的超过 {limit:,} 行，本表只含前 {limit:,} 行；请缩小筛选范围后分次导出。",
        )
        note.font = bold
        sheet.append([note])
    out = io.BytesIO()
    book.save(out)
    return RowsExport(content=out.getvalue(), rows=written, capped=capped)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
T = TypeVar("T")


def chunked(rows: Iterable[T], size: int = 1000) -> Iterator[list[T]]:
    """`rows` in lists of `size` (an export adds what each list needs in one query per list)."""
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def xlsx_response(content: bytes, name: str) -> HttpResponse:
    """A workbook as a download named `name` (Chinese names encoded as RFC 6266 says)."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response
