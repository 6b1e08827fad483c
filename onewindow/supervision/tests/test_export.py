"""The board's and the anomalies' Excel exports: every row the page's selector gives for the same
filters, in the viewer's jurisdiction only, audited, dates as dates, text never a formula."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from onewindow.audit.models import AuditEntry
from onewindow.cases import clock
from onewindow.org.models import Department, Window
from onewindow.stats.excel import rows_workbook
from onewindow.supervision import selectors
from onewindow.supervision.choices import AnomalyKind

from .conftest import user, walk_in

pytestmark = pytest.mark.django_db

ID_CARD = "003003003000"  # 居民身份证 (公安)
EXPORT = "/workbench/supervision/export.xlsx"
ANOMALIES = "/workbench/supervision/anomalies/export.xlsx"
HEADING = 3  # lines above the header row


def sheet_of(response: Any) -> Worksheet:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["X-Content-Type-Options"] == "nosniff"
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert isinstance(sheet, Worksheet)
    return sheet


def body(sheet: Worksheet) -> list[tuple[Any, ...]]:
    """The data rows (below the heading lines and the header row)."""
    return [tuple(row) for row in sheet.iter_rows(min_row=HEADING + 2, values_only=True)]


def header(sheet: Worksheet) -> list[str]:
    return [
        c
        for c in next(sheet.iter_rows(min_row=HEADING + 1, max_row=HEADING + 1, values_only=True))
        if c
    ]


@pytest.fixture
def two_departments() -> tuple:  # type: ignore[type-arg]
    food = walk_in()
    id_card = walk_in(ID_CARD, actor="zc02")
    return food, id_card


def test_the_cases_export_holds_exactly_the_boards_rows(as_user, two_departments) -> None:  # type: ignore[no-untyped-def]
    food, id_card = two_departments
    client = as_user("jiancha")
    on = clock.today()
    for query in ({}, {"department": str(food.department_id)}, {"state": "overdue"}):
        filters = selectors.parse_filters(user("jiancha"), query)
        expected = [c.number for c in selectors.board_cases(user("jiancha"), filters, on)]
        response = client.get(EXPORT, {**query, "table": "cases"})
        sheet = sheet_of(response)
        assert header(sheet)[:3] == ["时限状态", "办件编号", "事项"]
        rows = body(sheet)
        assert [r[1] for r in rows] == expected, query
    # every row of the unfiltered export, with dates as Excel dates
    response = client.get(EXPORT, {"table": "cases"})
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and "运行中的办件" in unquote(disposition)
    sheet = sheet_of(response)
    rows = {r[1]: r for r in body(sheet)}
    assert {food.number, id_card.number} <= set(rows)
    accepted = sheet.cell(row=HEADING + 2, column=7)
    assert accepted.is_date and accepted.data_type == "d"
    food_row = rows[food.number]
    assert food_row[6] == dt.datetime(2026, 3, 2) and isinstance(food_row[8], dt.datetime)
    assert "：" in food_row[7]  # the open step and who holds it
    heading = " ".join(str(sheet.cell(row=i, column=1).value) for i in range(1, HEADING + 1))
    assert "电子监察" in heading and f"{on:%Y-%m-%d}" in heading and "未筛选" in heading


def test_the_steps_export_holds_exactly_the_boards_steps(as_user, two_departments) -> None:  # type: ignore[no-untyped-def]
    food, _id_card = two_departments
    query = {"department": str(food.department_id)}
    filters = selectors.parse_filters(user("jiancha"), query)
    steps = selectors.board_steps(user("jiancha"), filters, clock.today())
    expected = [(s.case.number, s.state_name) for s in steps]
    assert expected
    sheet = sheet_of(as_user("jiancha").get(EXPORT, {**query, "table": "steps"}))
    assert [(r[1], r[3]) for r in body(sheet)] == expected
    department = Department.objects.get(pk=food.department_id)
    heading = str(sheet.cell(row=2, column=1).value)
    assert f"部门：{department.name}" in heading


def test_a_department_head_exports_only_their_department(as_user, two_departments) -> None:  # type: ignore[no-untyped-def]
    food, id_card = two_departments
    head = as_user("scjg_fzr")
    for table in ("cases", "steps"):
        rows = body(sheet_of(head.get(EXPORT, {"table": table})))
        assert {r[1] for r in rows} == {food.number}, table
    # another department's filter is refused (the board says why), nothing exported
    before = AuditEntry.objects.filter(action="supervision.export").count()
    response = head.get(EXPORT, {"table": "cases", "department": str(id_card.department_id)})
    assert response.status_code == 302 and "/workbench/supervision/?" in response["Location"]
    assert AuditEntry.objects.filter(action="supervision.export").count() == before


def test_a_clerk_is_refused(as_user, two_departments) -> None:  # type: ignore[no-untyped-def]
    clerk = as_user("zc01")
    assert clerk.get(EXPORT, {"table": "cases"}).status_code == 403
    assert clerk.get(EXPORT, {"table": "steps"}).status_code == 403
    assert clerk.get(ANOMALIES).status_code == 403
    assert not AuditEntry.objects.filter(action="supervision.export").exists()


def test_the_export_is_on_the_audit_log(as_user, two_departments) -> None:  # type: ignore[no-untyped-def]
    food, _ = two_departments
    query = {"table": "cases", "department": str(food.department_id)}
    rows = body(sheet_of(as_user("jiancha").get(EXPORT, query)))
    entry = AuditEntry.objects.filter(action="supervision.export").get()
    assert entry.actor == user("jiancha")
    after = entry.changes["after"]
    assert after["table"] == "运行中的办件" and after["rows"] == len(rows)
    assert after["filters"] == {"department": str(food.department_id)}
    assert after["capped"] is False
    assert "运行中的办件" in entry.summary


def test_a_text_starting_with_equals_comes_out_as_text(as_user, two_departments) -> None:  # type: ignore[no-untyped-def]
    food, _ = two_departments
    evil = '=HYPERLINK("http://example.com","点我")'
    Window.objects.filter(pk=food.window_id).update(name=evil)
    response = as_user("jiancha").get(EXPORT, {"table": "cases"})
    sheet = sheet_of(response)
    for row in sheet.iter_rows(min_row=HEADING + 2):
        if row[1].value == food.number:
            cell = row[5]
            assert cell.value == evil and cell.data_type == "s" and cell.quotePrefix
            break
    else:
        pytest.fail("the case is not in the export")
    assert b"<f>" not in response.content  # no formula anywhere in the package


def test_the_export_is_capped_and_says_so(as_user, two_departments, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from onewindow.supervision import exports

    monkeypatch.setattr(exports, "ROW_LIMIT", 1)
    sheet = sheet_of(as_user("jiancha").get(EXPORT, {"table": "cases"}))
    rows = body(sheet)
    assert len(rows) == 2 and "只含前 1 行" in str(rows[-1][0])
    after = AuditEntry.objects.get(action="supervision.export").changes["after"]
    assert after["rows"] == 1 and after["capped"] is True


def test_an_anomaly_kind_exports_its_cases(as_user) -> None:  # type: ignore[no-untyped-def]
    case = walk_in(hold_back=("rules",), deferred={"rules": dt.date(2026, 3, 3)})
    kind = AnomalyKind.BROKEN_PROMISE
    expected = [c.number for c in selectors.anomaly_cases(user("jiancha"), kind)]
    assert case.number in expected
    sheet = sheet_of(as_user("jiancha").get(ANOMALIES, {"kind": kind}))
    rows = body(sheet)
    assert [r[0] for r in rows] == expected
    assert "承诺" in next(r[7] for r in rows if r[0] == case.number)
    assert not body(sheet_of(as_user("ga_fzr").get(ANOMALIES, {"kind": kind})))
    entry = AuditEntry.objects.filter(action="supervision.export").first()
    assert entry is not None and entry.changes["after"]["filters"] == {"kind": kind}
    bad = as_user("jiancha").get(ANOMALIES, {"kind": "nonsense"})
    assert bad.status_code == 302


def test_the_pages_link_to_their_exports(as_user, two_departments) -> None:  # type: ignore[no-untyped-def]
    food, _ = two_departments
    html = as_user("jiancha").get(f"/workbench/supervision/?department={food.department_id}")
    text = html.content.decode()
    assert "导出 Excel（运行中的办件）" in text and "导出 Excel（待办环节）" in text
    assert f"export.xlsx?department={food.department_id}&amp;table=steps" in text
    text = as_user("jiancha").get("/workbench/supervision/anomalies/").content.decode()
    assert "导出 Excel（二次补正）" in text


def test_rows_workbook_guards_every_formula_start_and_caps() -> None:
    export = rows_workbook(
        "表",
        ["标题"],
        [("甲", 10), ("乙", 10)],
        [["=1+1", "+1"], ["-1", "@SUM(A1)"], ["正常", dt.date(2026, 3, 2)], ["多余", 1]],
        limit=3,
    )
    assert export.rows == 3 and export.capped
    sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
    cells = [c for row in sheet.iter_rows(min_row=3, max_row=4) for c in row]
    assert [c.value for c in cells] == ["=1+1", "+1", "-1", "@SUM(A1)"]
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    assert sheet.cell(row=5, column=2).is_date
    assert "只含前 3 行" in str(sheet.cell(row=6, column=1).value)


def test_the_export_reads_in_chunks_not_per_row(as_user) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    walk_in()
    client = as_user("jiancha")
    client.get(EXPORT, {"table": "cases"})  # the first request fills the per-process caches
    counts = []
    for more in (0, 3):
        for _ in range(more):
            walk_in()
        for table in ("cases", "steps"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(EXPORT, {"table": table}).status_code == 200
            counts.append(len(queries))
    assert counts[:2] == counts[2:], counts
