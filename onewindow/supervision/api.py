"""Electronic supervision, read-only (/api/v1/supervision): the board's counts and one page of
running cases, one case's drill-down, the anomalies. The JSON of the pages in `views.py`.

Thin over `selectors`: the same filters (`parse_filters`, so a bad one is a 422 in the common
shape naming the filter, in Chinese), the same jurisdiction (`supervision.view`: the supervisor
over their region, a department head over their department; a case outside it is a 404), the
same permission as the pages (staff, second factor where required, `supervision.view`; anyone
else a 403, no session a 401). The pages show no applicant's personal data, and neither does
this: staff names only (who holds or held a step), as on the pages.
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
from onewindow.cases import clock
from onewindow.cases.models import Case, Step

from . import selectors
from .choices import AnomalyKind

router = Router(tags=["电子监察"], auth=django_auth)

MAX_SIZE = 100
DEFAULT_SIZE = 30  # the pages' PER_PAGE


# -- schemas --------------------------------------------------------------------------------------


class BoardParams(Schema):
    region: str = Field(default="", description="区划代码（12 位）")
    department: str = Field(default="", description="部门标识")
    window: str = Field(default="", description="窗口标识")
    staff: str = Field(default="", description="工作人员用户名")
    item: str = Field(default="", description="事项编码")
    category: str = Field(
        default="",
        description="办件类别：immediate、promised、joint、reported、returned、supplemented",
    )
    state: str = Field(
        default="", description="时限状态：overdue、warning、normal、paused、pending"
    )
    date_from: str = Field(default="", alias="from", description="受理日期（起），YYYY-MM-DD")
    date_to: str = Field(default="", alias="to", description="受理日期（止），YYYY-MM-DD")
    page: int = Field(default=1, ge=1, description="页码")
    size: int = Field(default=DEFAULT_SIZE, ge=1, le=MAX_SIZE, description="每页件数（最多 100）")


class StateCountsOut(Schema):
    overdue: int = Field(description="超期（红牌）")
    warning: int = Field(description="预警（黄牌）")
    normal: int = Field(description="正常")
    paused: int = Field(description="特别程序中（计时暂停）")
    pending: int = Field(description="待定（到期日待下年度日历）")
    total: int


class HolderOut(Schema):
    name: str = Field(description="承办人")
    post: str = Field(description="岗位")
    as_backup: bool = Field(description="B 岗顶岗")


class OpenStepOut(Schema):
    name: str = Field(description="环节名称")
    kind: str
    lead: bool
    department: str | None
    region: str
    due: dt.date | None
    holders: list[HolderOut] = Field(description="当前承办人；空为无在岗人员")


class BoardCaseOut(Schema):
    number: str
    item_name: str
    department: str
    region: str = Field(description="受理区划")
    window: str | None = Field(description="受理窗口")
    accepted_on: dt.date | None
    state: str = Field(description="时限状态（两项时限中较差的一项，或 paused）")
    promised_state: str
    statutory_state: str
    promised_due: dt.date | None = Field(description="承诺办结日；空为待定")
    statutory_due: dt.date | None = Field(description="法定办结日；空为待定")
    days_note: str = Field(description="距承诺办结日：剩余或超期的工作日")
    current_steps: list[OpenStepOut]


class BoardOut(Schema):
    on: dt.date
    filters: dict[str, str] = Field(description="生效的筛选条件")
    counts: StateCountsOut = Field(description="运行中办件按时限状态计数（全部筛选结果）")
    step_counts: StateCountsOut = Field(description="待办环节按时限状态计数")
    page: int
    size: int
    count: int = Field(description="符合条件的办件总数")
    items: list[BoardCaseOut]


class ClockOut(Schema):
    label: str
    due: dt.date | None
    state: str
    left: int | None = Field(description="剩余工作日（运行中）")


class StepRowOut(Schema):
    name: str
    kind: str
    lead: bool
    department: str | None
    region: str
    holders: list[str] = Field(description="办理人：已结束的为办结人，进行中的为当前承办人")
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    held_days: int = Field(description="用时（工作日）")
    held_hours: int = Field(description="用时（小时）")
    limit: int = Field(description="环节时限（工作日）")
    due: dt.date | None
    state: str
    outcome: str
    note: str


class AnomalyOut(Schema):
    label: str
    detail: str


class AlertOut(Schema):
    recorded_on: dt.date
    clock: str
    step: str | None
    state: str
    due: dt.date


class EventOut(Schema):
    at: dt.datetime
    label: str
    department: str
    step: str
    actor: str | None
    public: bool
    note: str


class CaseOut(Schema):
    number: str
    item_name: str
    status: str
    status_label: str
    department: str
    region: str
    window: str | None
    accepted_by: str | None
    accepted_on: dt.date | None
    promised_limit: int
    statutory_limit: int
    limit_unit: str
    paused_days: int
    clocks: list[ClockOut]
    steps: list[StepRowOut]
    anomalies: list[AnomalyOut]
    alerts: list[AlertOut]
    events: list[EventOut]


class AnomalyParams(Schema):
    kind: str = Field(
        default=AnomalyKind.REPEATED_SUPPLEMENT.value,
        description="异常类型：" + "、".join(f"{k}（{label}）" for k, label in AnomalyKind.choices),
    )
    page: int = Field(default=1, ge=1)
    size: int = Field(default=DEFAULT_SIZE, ge=1, le=MAX_SIZE)


class AnomalyCountOut(Schema):
    kind: str
    label: str
    count: int


class AnomalyCaseOut(Schema):
    number: str
    item_name: str
    department: str
    region: str
    window: str | None
    accepted_on: dt.date | None
    status: str
    status_label: str
    detail: str


class AnomaliesOut(Schema):
    kinds: list[AnomalyCountOut]
    kind: str
    label: str
    page: int
    size: int
    count: int
    items: list[AnomalyCaseOut]


# -- helpers --------------------------------------------------------------------------------------


def _supervisor(request: HttpRequest) -> User:
    """What `staff_required("supervision.view")` asks of the pages, as the API's errors."""
    return staff_actor(request, selectors.PERMISSION, "您的岗位无权使用电子监察。")


def _counts(counts: dict[str, int]) -> StateCountsOut:
    return StateCountsOut(**{k: counts.get(k, 0) for k in StateCountsOut.model_fields})


def _open_step(s: Step) -> OpenStepOut:
    return OpenStepOut(
        name=s.state_name,
        kind=s.kind,
        lead=s.lead,
        department=s.department.name if s.department else None,
        region=s.region.name,
        due=s.due,
        holders=[
            HolderOut(name=str(h.user), post=h.post.name, as_backup=h.as_backup)
            for h in s.holders  # type: ignore[attr-defined]
        ],
    )


def _board_case(c: Any) -> BoardCaseOut:
    return BoardCaseOut(
        number=c.number,
        item_name=c.version.name,
        department=c.department.short_name or c.department.name,
        region=c.region.name,
        window=c.window.name if c.window else None,
        accepted_on=c.accepted_on,
        state=c.state,
        promised_state=c.promised_state,
        statutory_state=c.statutory_state,
        promised_due=c.promised_due,
        statutory_due=c.statutory_due,
        days_note=c.days_note,
        current_steps=[_open_step(s) for s in c.open_steps],
    )


def _anomaly_case(c: Case, detail: str) -> AnomalyCaseOut:
    return AnomalyCaseOut(
        number=c.number,
        item_name=c.version.name,
        department=c.department.short_name or c.department.name,
        region=c.region.name,
        window=c.window.name if c.window else None,
        accepted_on=c.accepted_on,
        status=c.status,
        status_label=c.get_status_display(),
        detail=detail,
    )


# -- endpoints ------------------------------------------------------------------------------------


@router.get(
    "/board",
    response={200: BoardOut, **ERRORS},
    summary="监察看板：运行中办件按时限状态计数与一页办件（超期在前，预警其次）",
    description="筛选条件与监察页面相同；无效或超出监察范围的筛选条件返回 422，field 为该条件。",
)
def board(request: HttpRequest, params: Query[BoardParams]) -> BoardOut:
    actor = _supervisor(request)
    on = clock.today()
    filters = selectors.parse_filters(actor, request.GET)
    counts = selectors.board_state_counts(actor, filters, on)
    start = (params.page - 1) * params.size
    rows = list(selectors.board_cases(actor, filters, on)[start : start + params.size])
    steps = selectors.board_steps(actor, filters, on)
    return BoardOut(
        on=on,
        filters=filters.query,
        counts=_counts(counts),
        step_counts=_counts(selectors.state_counts(steps)),
        page=params.page,
        size=params.size,
        count=counts["total"],
        items=[_board_case(c) for c in selectors.with_open_steps(rows, on)],
    )


@router.get(
    "/cases/{number}",
    response={200: CaseOut, **ERRORS},
    summary="一件办件的监察详情：各环节谁在办、办了多久，时限状态、异常、监察记录",
    description="不在监察范围内的办件返回 404。",
)
def case_detail(request: HttpRequest, number: str) -> CaseOut:
    view = selectors.case_view(_supervisor(request), number)
    c = view.case
    return CaseOut(
        number=c.number,
        item_name=c.version.name,
        status=c.status,
        status_label=c.get_status_display(),
        department=c.department.name,
        region=c.region.name,
        window=c.window.name if c.window else None,
        accepted_by=str(c.accepted_by) if c.accepted_by else None,
        accepted_on=c.accepted_on,
        promised_limit=c.promised_limit,
        statutory_limit=c.statutory_limit,
        limit_unit=c.limit_unit,
        paused_days=c.paused_days,
        clocks=[
            ClockOut(label=k.label, due=k.due, state=k.state, left=k.left) for k in view.clocks
        ],
        steps=[
            StepRowOut(
                name=r.step.state_name,
                kind=r.step.kind,
                lead=r.step.lead,
                department=r.step.department.name if r.step.department else None,
                region=r.step.region.name,
                holders=r.holders,
                opened_at=r.step.opened_at,
                closed_at=r.step.closed_at,
                held_days=r.held_days,
                held_hours=r.held_hours,
                limit=r.step.limit,
                due=r.step.due,
                state=r.state,
                outcome=r.step.outcome,
                note=r.step.note,
            )
            for r in view.steps
        ],
        anomalies=[AnomalyOut(label=label, detail=detail) for label, detail in view.anomalies],
        alerts=[
            AlertOut(
                recorded_on=a.recorded_on,
                clock=a.get_clock_display(),
                step=a.step.state_name if a.step else None,
                state=a.state,
                due=a.due,
            )
            for a in view.alerts
        ],
        events=[
            EventOut(
                at=e.at,
                label=e.label,
                department=e.department_name,
                step=e.state_name,
                actor=str(e.actor) if e.actor else None,
                public=e.public,
                note=e.note,
            )
            for e in view.events
        ],
    )


@router.get(
    "/anomalies",
    response={200: AnomaliesOut, **ERRORS},
    summary="异常情况：各类异常的办件数，与一类异常的一页办件及具体情况",
)
def anomalies(request: HttpRequest, params: Query[AnomalyParams]) -> AnomaliesOut:
    actor = _supervisor(request)
    on = clock.today()
    cases = selectors.anomaly_cases(actor, params.kind, on)  # an unknown kind: 422, field "kind"
    kinds = selectors.anomaly_counts(actor, on)
    start = (params.page - 1) * params.size
    rows = list(cases[start : start + params.size])
    details = selectors.anomaly_details(rows, params.kind, on)
    return AnomaliesOut(
        kinds=[AnomalyCountOut(kind=k, label=label, count=n) for k, label, n in kinds],
        kind=params.kind,
        label=AnomalyKind(params.kind).label,
        page=params.page,
        size=params.size,
        count=next(n for k, _label, n in kinds if k == params.kind),
        items=[_anomaly_case(c, details.get(c.pk, "")) for c in rows],
    )
