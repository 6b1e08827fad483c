"""Statistics, read-only (/api/v1/stats): the figures of a period grouped by one dimension, with
the total, as the statistics page shows them (`selectors.figures`).

The same parameters as the page (period, on, start, end, dimension, region; a bad one is an
error in the common shape naming it) and the same permission (staff, second factor where
required, `stats.view`: the supervisor over their region, a department head over their
department); no session is a 401.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.security import django_auth
from pydantic import Field

from onewindow.accounts.models import User
from onewindow.api.access import staff_actor
from onewindow.api.schemas import ERRORS

from . import selectors
from .choices import Dimension, PeriodKind

router = Router(tags=["统计分析"], auth=django_auth)

PERMISSION = "stats.view"


class FiguresParams(Schema):
    period: str = Field(
        default="",
        description="统计周期："
        + "、".join(f"{k}（{label}）" for k, label in PeriodKind.choices)
        + "；不填为月",
    )
    on: str = Field(default="", description="周期内的任一天，YYYY-MM-DD；不填为今天")
    start: str = Field(default="", description="自定义周期的开始日期")
    end: str = Field(default="", description="自定义周期的结束日期；不填为今天")
    dimension: str = Field(
        default="",
        description="统计维度："
        + "、".join(f"{k}（{label}）" for k, label in Dimension.choices)
        + "；不填为部门",
    )
    region: str = Field(default="", description="区划代码：只统计管辖范围内的这一区划")


class ColumnOut(Schema):
    name: str
    label: str
    kind: str = Field(description="n 件数，r 比率（0–1），d 天数")


class RowOut(Schema):
    key: str | int | None = Field(description="维度的值（部门、窗口、人员、事项为标识）")
    label: str
    received: int
    online: int
    accepted: int
    immediate: int
    refused: int
    completed: int
    on_time: int
    overdue: int
    pending: int
    pending_overdue: int
    measured: int
    actual_days: int
    promised_days: int
    statutory_days: int
    visits_saved: int
    on_time_rate: float | None
    avg_actual: float | None
    avg_promised: float | None
    avg_statutory: float | None
    compression: float | None
    immediate_share: float | None
    online_share: float | None
    satisfaction_rate: float | None
    rectification_rate: float | None


class PeriodOut(Schema):
    kind: str
    start: dt.date
    end: dt.date
    label: str


class FiguresOut(Schema):
    scope: str = Field(description="统计范围")
    period: PeriodOut
    dimension: str
    dimension_label: str
    with_ratings: bool = Field(description="是否含好差评数据")
    columns: list[ColumnOut] = Field(description="页面表格的列")
    rows: list[RowOut]
    total: RowOut


def _viewer(request: HttpRequest) -> User:
    """What `staff_required("stats.view")` asks of the page, as the API's errors."""
    return staff_actor(request, PERMISSION, "您的岗位无权查看统计。")


def _row(row: selectors.Row) -> RowOut:
    values: dict[str, Any] = {name: getattr(row, name) for name in RowOut.model_fields}
    return RowOut(**values)


@router.get(
    "/figures",
    response={200: FiguresOut, **ERRORS},
    summary="统计数据：一个周期按一个维度分组的各项指标与合计",
    description="参数与统计页面相同；无效参数返回 422（不在管辖范围内的区划 404），field 为该参数。",
)
def figures(request: HttpRequest, params: Query[FiguresParams]) -> FiguresOut:
    actor = _viewer(request)
    given = {k: v.strip() for k, v in params.dict().items() if v.strip()}
    whole = selectors.scope_for_actor(actor)
    period = selectors.period_from(given)
    dimension = selectors.check_dimension(given.get("dimension"))
    table = selectors.figures(selectors.scope_from(whole, given), period, dimension)
    return FiguresOut(
        scope=table.scope.label,
        period=PeriodOut(kind=period.kind, start=period.start, end=period.end, label=period.label),
        dimension=table.dimension,
        dimension_label=table.dimension_label,
        with_ratings=table.with_ratings,
        columns=[ColumnOut(name=n, label=label, kind=k) for n, label, k in selectors.COLUMNS],
        rows=[_row(r) for r in table.rows],
        total=_row(table.total),
    )
