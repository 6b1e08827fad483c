"""The supervision board's and the anomalies' Excel exports: every matching row (up to
`ROW_LIMIT`), in the viewer's jurisdiction, with a heading that says when, by whom and under which
filters. Rows are read a chunk at a time and written to a write-only workbook, so the memory held
does not grow with the rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.cases.models import Case, Step
from onewindow.stats.excel import ROW_LIMIT, RowsExport, chunked, rows_workbook

from . import selectors
from .choices import STATE_LABELS, AnomalyKind

EXPORT_CHUNK = 1000
BOARD_TABLES = {"cases": "运行中的办件", "steps": "待办环节"}


STATE_TEXT = {**STATE_LABELS, selectors.PAUSED: "暂停计时"}

CASE_COLUMNS: list[tuple[str, float]] = [
    ("时限状态", 10),
    ("办件编号", 24),
    ("事项", 36),
    ("实施部门", 20),
    ("受理区划", 14),
    ("受理窗口", 16),
    ("受理日期", 12),
    ("当前环节 · 承办人", 44),
    ("承诺办结日", 12),
    ("承诺时限状态", 10),
    ("法定办结日", 12),
    ("法定时限状态", 10),
    ("说明", 20),
]
STEP_COLUMNS: list[tuple[str, float]] = [
    ("时限状态", 10),
    ("办件编号", 24),
    ("事项", 36),
    ("环节", 16),
    ("部门/区划", 20),
    ("承办人", 40),
    ("开始", 12),
    ("环节时限（工作日）", 10),
    ("到期", 12),
    ("说明", 20),
]
ANOMALY_COLUMNS: list[tuple[str, float]] = [
    ("办件编号", 24),
    ("事项", 36),
    ("实施部门", 20),
    ("受理区划", 14),
    ("受理窗口", 16),
    ("受理日期", 12),
    ("状态", 10),
    ("情况", 60),
]


def _filters_text(filters: selectors.BoardFilters) -> str:
    parts = []
    if filters.region is not None:
        parts.append(f"区划：{filters.region.name}")
    if filters.department is not None:
        parts.append(f"部门：{filters.department.name}")
    if filters.window is not None:
        parts.append(f"窗口：{filters.window.name}")
    if filters.staff is not None:
        parts.append(f"人员：{filters.staff}（{filters.staff.username}）")
    if filters.item is not None:
        published = filters.item.published
        parts.append(f"事项：{published.name if published is not None else filters.item.code}")
    if filters.category:
        parts.append(f"办件类别：{selectors.CATEGORIES[filters.category]}")
    if filters.state:
        parts.append(f"时限状态：{dict(selectors.STATE_CHOICES)[filters.state]}")
    if filters.date_from or filters.date_to:
        parts.append(f"受理日期：{filters.date_from or '不限'} 至 {filters.date_to or '不限'}")
    return "；".join(parts) or "全部（未筛选）"


def _heading(title: str, actor: User, on: dt.date, conditions: str) -> list[str]:
    now = timezone.localtime()
    return [
        f"电子监察 · {title}",
        f"统计日：{on:%Y-%m-%d}（时限状态按此日计算）；筛选条件：{conditions}",
        f"导出：{actor}，{now:%Y-%m-%d %H:%M}；范围：导出人的监察范围",
    ]


def _holders(holders: list[Any]) -> str:
    return "、".join(f"{h.user}{'（B 岗）' if h.as_backup else ''}" for h in holders)


def _case_rows(cases: Iterable[Case], on: dt.date) -> Iterator[list[Any]]:
    for chunk in chunked(cases):
        for c in selectors.with_open_steps(chunk, on):
            steps = "；".join(
                f"{s.state_name}"
                + (
                    f"（{s.department.short_name or s.department.name}）"
                    if s.kind == "branch" and s.department
                    else ""
                )
                + f"：{_holders(s.holders) or '无在岗人员'}"
                for s in c.open_steps  # type: ignore[attr-defined]
            )
            state = c.state  # type: ignore[attr-defined]
            yield [
                STATE_TEXT.get(state, state),
                c.number,
                c.version.name,
                c.department.short_name or c.department.name,
                c.region.name,
                c.window.name if c.window else "",
                c.accepted_on,
                steps,
                c.promised_due,
                STATE_TEXT.get(c.promised_state, ""),  # type: ignore[attr-defined]
                c.statutory_due,
                STATE_TEXT.get(c.statutory_state, ""),  # type: ignore[attr-defined]
                "" if state == selectors.PAUSED else c.days_note,  # type: ignore[attr-defined]
            ]


def _step_rows(steps: Iterable[Step], on: dt.date) -> Iterator[list[Any]]:
    for chunk in chunked(steps):
        for s in selectors.with_holders(chunk, on):
            branch = ("（牵头）" if s.lead else "（会签）") if s.kind == "branch" else ""
            state = s.state  # type: ignore[attr-defined]
            yield [
                STATE_TEXT.get(state, state),
                s.case.number,
                s.case.version.name,
                f"{s.state_name}{branch}",
                s.department.name if s.department else s.region.name,
                "、".join(str(h) for h in s.holders) or "无在岗人员",  # type: ignore[attr-defined]
                timezone.localtime(s.opened_at).date(),
                s.limit,
                s.due,
                s.days_note,  # type: ignore[attr-defined]
            ]


def board_workbook(
    actor: User, table: str, filters: selectors.BoardFilters, on: dt.date
) -> tuple[str, RowsExport]:
    """One of the board's two tables (`BOARD_TABLES`) under the board's filters: its title and
    workbook."""
    title = BOARD_TABLES[table]
    if table == "steps":
        steps = selectors.board_steps(actor, filters, on)[: ROW_LIMIT + 1]
        columns, rows = STEP_COLUMNS, _step_rows(steps.iterator(chunk_size=EXPORT_CHUNK), on)
    else:
        cases = selectors.board_cases(actor, filters, on)[: ROW_LIMIT + 1]
        columns, rows = CASE_COLUMNS, _case_rows(cases.iterator(chunk_size=EXPORT_CHUNK), on)
    heading = _heading(title, actor, on, _filters_text(filters))
    return title, rows_workbook(title, heading, columns, rows, limit=ROW_LIMIT)


def anomalies_workbook(actor: User, kind: str, on: dt.date) -> tuple[str, RowsExport]:
    """Every case of one kind of anomaly: its title and workbook. An unknown kind is
    `InvalidInput` (from the selector)."""
    cases = selectors.anomaly_cases(actor, kind, on)[: ROW_LIMIT + 1]
    label = AnomalyKind(kind).label

    def rows() -> Iterator[list[Any]]:
        for chunk in chunked(cases.iterator(chunk_size=EXPORT_CHUNK)):
            details = selectors.anomaly_details(chunk, kind, on)
            for c in chunk:
                yield [
                    c.number,
                    c.version.name,
                    c.department.short_name or c.department.name,
                    c.region.name,
                    c.window.name if c.window else "",
                    c.accepted_on,
                    c.get_status_display(),
                    details.get(c.pk, ""),
                ]

    heading = _heading(f"异常情况：{label}", actor, on, f"异常类型：{label}")
    return f"异常情况-{label}", rows_workbook(
        label, heading, ANOMALY_COLUMNS, rows(), limit=ROW_LIMIT
    )
