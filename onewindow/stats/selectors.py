"""Reads of statistics: every figure of a period, for the whole scope and grouped by one
dimension, computed by the database in one GROUP BY query with conditional aggregates.

What each figure counts (a case is dated by the event the figure is about):

* received 收件: submitted in the period; online 网上申请 the share of those submitted online;
* accepted 受理: accepted in the period; immediate 即办件 the share of those that were 即办;
* refused 不予受理: refused in the period;
* completed 办结: finished (准予 or 不予) in the period; on time 按时 when finished on or before the
  promised due date (a due date still 待定 — in a year whose calendar is not published — cannot
  have passed); overdue 超期办结 the others;
* pending 在办: submitted by the end of the period and not closed by then; of those, pending
  overdue 在办超期 when the promised due date had passed by the end of the period;
* days 用时: for cases finished in the period, the days from acceptance to completion in the
  item's clock unit (working days, or natural days for a natural-day limit) less the days paused
  for special procedures, against the promised and statutory limits in the same unit;
  compression 压缩率 = 1 − actual / statutory (the seeds' 6195 → 1329 is 1 − promised / statutory);
* visits saved 少跑次数: for cases finished in the period, the baseline visits
  (`ONEWINDOW_STATS_VISIT_BASELINE`, default 2: one to apply, one to collect the result) less
  the visits the item version promises (到现场次数; at least one for a case applied at the counter),
  never below zero;
* satisfaction 满意率 and rectification 整改率: from the evaluation app (see `ratings.py`).

Working days between two dates come from the `DayIndex` table (ADR 0006): two primary-key
look-ups per case and a subtraction, inside the same aggregate query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case as When_,
)
from django.db.models import (
    Count,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest, Length, Substr
from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.accounts.selectors import Jurisdiction, jurisdiction
from onewindow.cases import clock
from onewindow.cases.choices import FINISHED_STATUSES, CaseStatus, Channel
from onewindow.cases.models import Case
from onewindow.catalogue.models import Item
from onewindow.core.errors import InvalidInput, NotAllowed, NotFound
from onewindow.org.choices import RegionLevel
from onewindow.org.models import Department, Region, Window

from .choices import Dimension
from .models import DayIndex, Report, ReportRequest, ScoreWeights
from .periods import Period, months_before, parse_period
from .ratings import RatingFigures, rating_figures

NATURAL_DAYS = "natural_days"
WORKING_HOURS = "working_hours"
HOURS_PER_DAY = 8
SEGMENT = 13  # "610799001000/": one level of the region path
# ratings come from the evaluation app one query set per row (see ratings.py): only for tables
# of at most this many rows (departments, windows, staff of a county); longer ones (every item
# of a province) show ratings in the total only
RATING_ROWS_MAX = 60


# -- the scope ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Where the figures come from: the viewer's jurisdiction (or a report's region and
    department) and the region at its top, whose children the region dimension rolls up to."""

    reach: Jurisdiction
    root: Region | None
    label: str

    @property
    def root_path(self) -> str:
        return self.root.path if self.root is not None else ""

    def cases(self) -> QuerySet[Case]:
        """Cases accepted (or to be accepted) inside the scope: counted where they were applied
        for and by the department responsible — a co-department of a joint approval does not
        count the case again."""
        return Case.objects.filter(self.reach.q("region_path", "department_id"))


def _common_path(paths: list[str]) -> str:
    if not paths:
        return ""
    parts = [p.rstrip("/").split("/") for p in paths]
    common: list[str] = []
    for segments in zip(*parts, strict=False):
        if len(set(segments)) != 1:
            break
        common.append(segments[0])
    return "/".join(common) + "/" if common else ""


def scope_for_actor(actor: User, *, permission: str = "stats.view") -> Scope:
    reach = jurisdiction(actor, permission=permission)
    if not reach.scopes:
        raise NotAllowed("您的岗位无权查看统计。")
    root_path = _common_path([path for path, _dept in reach.scopes])
    root = Region.objects.filter(path=root_path).first() if root_path else None
    departments = [d for _p, d in reach.scopes if d is not None]
    label = root.name if root is not None else "全部区划"
    if departments and len(departments) == len(reach.scopes):
        names = Department.objects.filter(pk__in=departments).values_list("name", flat=True)
        label += " · " + "、".join(sorted(names))
    return Scope(reach, root, label)


def narrow(scope: Scope, code: str) -> Scope:
    """`scope` restricted to the region with division code `code` (a town of a county, say).
    `NotFound` when there is no such region or none of it lies in the scope."""
    region = Region.objects.filter(code=(code or "").strip()).first()
    if region is None:
        raise NotFound(
            f"区划代码（region）“{code[:20]}”不存在，请从列表中选择区划。", field="region"
        )
    scopes: set[tuple[str, int | None]] = set()
    for path, department in scope.reach.scopes:
        if region.path.startswith(path):
            scopes.add((region.path, department))
        elif path.startswith(region.path):
            scopes.add((path, department))
    if not scopes:
        raise NotFound(f"{region.name}不在您的管辖范围内，请选择管辖范围内的区划。", field="region")
    label = region.name
    if "·" in scope.label:
        label += " ·" + scope.label.split("·", 1)[1]
    return Scope(Jurisdiction(frozenset(scopes)), region, label)


def period_from(params: Mapping[str, str]) -> Period:
    """The period a page's or the API's query names (`period`, `on`, `start`, `end`)."""
    return parse_period(
        kind=params.get("period"),
        on=params.get("on"),
        start=params.get("start"),
        end=params.get("end"),
        today=today(),
    )


def scope_from(whole: Scope, params: Mapping[str, str]) -> Scope:
    """`whole` narrowed to the query's `region` (a 404 outside it)."""
    code = params.get("region")
    if not code or (whole.root is not None and code == whole.root.code):
        return whole
    return narrow(whole, code)


def region_choices(scope: Scope) -> list[tuple[str, str]]:
    """The scope's top region and its children, as (code, name), for the region picker."""
    if scope.root is None:
        return []
    children = Region.objects.filter(parent=scope.root).order_by("code")
    return [(scope.root.code, f"{scope.root.name}（全部）")] + [(r.code, r.name) for r in children]


def scope_for_region(region: Region, department: Department | None = None) -> Scope:
    reach = Jurisdiction(frozenset({(region.path, department.pk if department else None)}))
    label = region.name + (f" · {department.name}" if department else "")
    return Scope(reach, region, label)


# -- the figures -------------------------------------------------------------------------------


@dataclass
class Row:
    key: Any
    label: str
    received: int = 0
    online: int = 0
    accepted: int = 0
    immediate: int = 0
    refused: int = 0
    completed: int = 0
    on_time: int = 0
    overdue: int = 0
    pending: int = 0
    pending_overdue: int = 0
    measured: int = 0  # finished cases whose days could be counted
    actual_days: int = 0
    promised_days: int = 0
    statutory_days: int = 0
    visits_saved: int = 0
    ratings: RatingFigures | None = None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.completed if self.completed else None

    @property
    def avg_actual(self) -> float | None:
        return self.actual_days / self.measured if self.measured else None

    @property
    def avg_promised(self) -> float | None:
        return self.promised_days / self.measured if self.measured else None

    @property
    def avg_statutory(self) -> float | None:
        return self.statutory_days / self.measured if self.measured else None

    @property
    def compression(self) -> float | None:
        if not self.statutory_days:
            return None
        return 1 - self.actual_days / self.statutory_days

    @property
    def immediate_share(self) -> float | None:
        return self.immediate / self.accepted if self.accepted else None

    @property
    def online_share(self) -> float | None:
        return self.online / self.received if self.received else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.ratings.satisfaction_rate if self.ratings else None

    @property
    def rectification_rate(self) -> float | None:
        return self.ratings.rectification_rate if self.ratings else None


# (attribute, Chinese label, kind): kind is "n" count, "r" rate, "d" days — tables, Excel, PDF
COLUMNS: list[tuple[str, str, str]] = [
    ("received", "收件", "n"),
    ("accepted", "受理", "n"),
    ("refused", "不予受理", "n"),
    ("completed", "办结", "n"),
    ("on_time", "按时办结", "n"),
    ("overdue", "超期办结", "n"),
    ("pending", "期末在办", "n"),
    ("pending_overdue", "在办超期", "n"),
    ("on_time_rate", "按时办结率", "r"),
    ("avg_actual", "平均实际用时（日）", "d"),
    ("avg_promised", "平均承诺时限（日）", "d"),
    ("avg_statutory", "平均法定时限（日）", "d"),
    ("compression", "时限压缩率", "r"),
    ("immediate_share", "即办件占比", "r"),
    ("online_share", "网上申请占比", "r"),
    ("visits_saved", "少跑次数", "n"),
    ("satisfaction_rate", "满意率", "r"),
    ("rectification_rate", "差评整改率", "r"),
]
COUNT_FIELDS = [
    "received",
    "online",
    "accepted",
    "immediate",
    "refused",
    "completed",
    "on_time",
    "overdue",
    "pending",
    "pending_overdue",
    "measured",
    "actual_days",
    "promised_days",
    "statutory_days",
    "visits_saved",
]


def visit_baseline() -> int:
    return int(settings.ONEWINDOW_STATS_VISIT_BASELINE)


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _ordinal(date_field: str, column: str) -> Subquery:
    return Subquery(
        DayIndex.objects.filter(date=OuterRef(date_field)).values(column)[:1],
        output_field=IntegerField(),
    )


def _in_clock_unit(limit_field: str) -> When_:
    """A limit in days of the case's counting unit (working hours rounded up to 8-hour days)."""
    return When_(
        When(
            limit_unit=WORKING_HOURS,
            then=(F(limit_field) + HOURS_PER_DAY - 1) / HOURS_PER_DAY,
        ),
        default=F(limit_field),
        output_field=IntegerField(),
    )


def _aggregates(period: Period) -> dict[str, Any]:
    start_at, end_at = _bounds(period)
    s, e = period.start, period.end
    received = Q(submitted_at__gte=start_at, submitted_at__lt=end_at)
    closed = Q(completed_on__gte=s, completed_on__lte=e)
    finished = closed & Q(status__in=list(FINISHED_STATUSES))
    late = Q(promised_due__isnull=False, completed_on__gt=F("promised_due"))
    pending = Q(submitted_at__lt=end_at) & (Q(completed_on__isnull=True) | Q(completed_on__gt=e))
    first_last = DayIndex.objects.aggregate(first=Min("date"), last=Max("date"))
    if first_last["first"] is not None:
        measured = finished & Q(
            accepted_on__isnull=False,
            accepted_on__gte=first_last["first"],
            completed_on__lte=first_last["last"],
        )
    else:
        measured = Q(pk__in=[])
    natural = _ordinal("completed_on", "natural_ordinal") - _ordinal(
        "accepted_on", "natural_ordinal"
    )
    working = _ordinal("completed_on", "workday_ordinal") - _ordinal(
        "accepted_on", "workday_ordinal"
    )
    elapsed = When_(
        When(limit_unit=NATURAL_DAYS, then=natural),
        default=working,
        output_field=IntegerField(),
    )
    actual = Greatest(elapsed - F("paused_days"), Value(0), output_field=IntegerField())
    visits = When_(
        When(Q(channel=Channel.COUNTER, version__visits=0), then=Value(1)),
        default=F("version__visits"),
        output_field=IntegerField(),
    )
    saved = Greatest(Value(visit_baseline()) - visits, Value(0), output_field=IntegerField())
    return {
        "received": Count("pk", filter=received),
        "online": Count("pk", filter=received & Q(channel=Channel.ONLINE)),
        "accepted": Count("pk", filter=Q(accepted_on__gte=s, accepted_on__lte=e)),
        "immediate": Count("pk", filter=Q(accepted_on__gte=s, accepted_on__lte=e, immediate=True)),
        "refused": Count("pk", filter=closed & Q(status=CaseStatus.REFUSED)),
        "completed": Count("pk", filter=finished),
        "on_time": Count("pk", filter=finished & ~late),
        "overdue": Count("pk", filter=finished & late),
        "pending": Count("pk", filter=pending),
        "pending_overdue": Count("pk", filter=pending & Q(promised_due__lt=e)),
        "measured": Count("pk", filter=measured),
        "actual_days": Sum(actual, filter=measured),
        "promised_days": Sum(_in_clock_unit("promised_limit"), filter=measured),
        "statutory_days": Sum(_in_clock_unit("statutory_limit"), filter=measured),
        "visits_saved": Sum(saved, filter=finished),
    }


def _touching(period: Period) -> Q:
    """Cases any figure of the period can count (keeps the scan to the period's cases and the
    ones still open at its end)."""
    start_at, end_at = _bounds(period)
    return (
        Q(submitted_at__gte=start_at, submitted_at__lt=end_at)
        | Q(accepted_on__gte=period.start, accepted_on__lte=period.end)
        | Q(completed_on__gte=period.start, completed_on__lte=period.end)
        | (
            Q(submitted_at__lt=end_at)
            & (Q(completed_on__isnull=True) | Q(completed_on__gt=period.end))
        )
    )


def _fill(row: Row, values: dict[str, Any]) -> Row:
    for name in COUNT_FIELDS:
        setattr(row, name, int(values.get(name) or 0))
    return row


@dataclass
class Table:
    scope: Scope
    period: Period
    dimension: str
    rows: list[Row]
    total: Row
    with_ratings: bool = field(default=False)

    @property
    def dimension_label(self) -> str:
        return Dimension(self.dimension).label


def _region_key(scope: Scope) -> Any:
    """The child of the scope's root each case's region lies under (the root itself for cases
    of the root's own level)."""
    return Substr("region_path", 1, Length(Value(scope.root_path)) + SEGMENT)


GROUPS: dict[str, str] = {
    Dimension.LEVEL: "region__level",
    Dimension.DEPARTMENT: "department_id",
    Dimension.WINDOW: "window_id",
    Dimension.STAFF: "accepted_by_id",
    Dimension.ITEM: "item_id",
    Dimension.CHANNEL: "channel",
}


def check_dimension(dimension: str | None) -> str:
    dimension = (dimension or Dimension.DEPARTMENT).strip()
    if dimension not in Dimension.values:
        names = "、".join(f"{d.value}（{d.label}）" for d in Dimension)
        raise InvalidInput(
            f"统计维度（dimension）“{dimension[:20]}”不存在，请选择：{names}。", field="dimension"
        )
    return dimension


def _labels(dimension: str, keys: list[Any], scope: Scope) -> dict[Any, str]:
    ids = [k for k in keys if k is not None]
    if dimension == Dimension.REGION:
        names = dict(Region.objects.filter(path__in=ids).values_list("path", "name"))
        return {k: names.get(k, k) for k in keys}
    if dimension == Dimension.LEVEL:
        return {k: str(RegionLevel(k).label) if k in RegionLevel.values else k for k in keys}
    if dimension == Dimension.DEPARTMENT:
        return dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
    if dimension == Dimension.WINDOW:
        found = {
            w.pk: f"{w.service_point.name} {w.number} {w.name}"
            for w in Window.objects.filter(pk__in=ids).select_related("service_point")
        }
        return {**found, None: "无窗口（网上申请、未受理）"}
    if dimension == Dimension.STAFF:
        found = {
            u.pk: f"{u.name or u.username}（{u.username}）"
            for u in User.objects.filter(pk__in=ids).only("pk", "name", "username")
        }
        return {**found, None: "未受理"}
    if dimension == Dimension.ITEM:
        return {
            pk: f"{name or code}"
            for pk, code, name in Item.objects.filter(pk__in=ids).values_list(
                "pk", "code", "published__name"
            )
        }
    return {k: str(Channel(k).label) if k in Channel.values else k for k in keys}


@contextmanager
def _without_jit() -> Iterator[None]:
    """PostgreSQL's JIT compiler spends seconds compiling these aggregate queries (their
    correlated day-index look-ups inflate the cost estimate past `jit_above_cost`) to save
    milliseconds of execution: switch it off for them (`SET LOCAL`, this transaction only)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def _grouped(
    scope: Scope, base: QuerySet[Case], aggregates: dict[str, Any], dimension: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The grouped rows (one query) and the total."""
    if dimension == Dimension.REGION:
        grouped = base.annotate(group_key=_region_key(scope)).values("group_key")
        key_name = "group_key"
    else:
        key_name = GROUPS[dimension]
        grouped = base.values(key_name)
    result = list(grouped.annotate(**aggregates).order_by(key_name))
    # every figure is a count or a sum and each case falls in exactly one group: the total is
    # the sum of the rows (no second scan)
    total = {name: sum(r[name] or 0 for r in result) for name in COUNT_FIELDS}
    return result, total


def figures(
    scope: Scope, period: Period, dimension: str | None = None, *, ratings: bool = True
) -> Table:
    """The figures of `period` in `scope`, one row per value of `dimension` (with cases) and the
    total. One grouped query plus one for the row labels; ratings add a few per
    row (up to `RATING_ROWS_MAX` rows) when the evaluation app is installed."""
    from .services import day_index_ensure

    day_index_ensure()
    dimension = check_dimension(dimension)
    base = scope.cases().filter(_touching(period))
    aggregates = _aggregates(period)
    with _without_jit():
        result, total_values = _grouped(scope, base, aggregates, dimension)
    key_name = "group_key" if dimension == Dimension.REGION else GROUPS[dimension]
    labels = _labels(dimension, [r[key_name] for r in result], scope)
    rows: list[Row] = []
    for values in result:
        k = values[key_name]
        label = labels.get(k, str(k))
        if dimension == Dimension.REGION and k == scope.root_path and scope.root is not None:
            label = f"{scope.root.name}本级"
        rows.append(_fill(Row(k, label), values))
    total = _fill(Row(None, "合计"), total_values)
    with_ratings = False
    if ratings:
        total.ratings = rating_figures(_cases_of(scope, period, None, None))
        with_ratings = total.ratings is not None
        if with_ratings and len(rows) <= RATING_ROWS_MAX:
            for row in rows:
                row.ratings = rating_figures(_cases_of(scope, period, dimension, row.key))
    rows.sort(key=lambda r: (-r.completed, -r.received, r.label))
    return Table(scope, period, dimension, rows, total, with_ratings)


def _cases_of(scope: Scope, period: Period, dimension: str | None, key: Any) -> QuerySet[Case]:
    """The cases finished in the period (in one row of the dimension): what ratings are about."""
    cases = scope.cases().filter(
        completed_on__gte=period.start,
        completed_on__lte=period.end,
        status__in=list(FINISHED_STATUSES),
    )
    if dimension is None:
        return cases
    if dimension == Dimension.REGION:
        return cases.filter(region_path__startswith=key)
    return cases.filter(**{GROUPS[dimension]: key})


# -- charts' data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPoint:
    period: Period
    received: int
    completed: int
    on_time_rate: float | None


def monthly_trend(scope: Scope, end: dt.date, months: int = 12) -> list[MonthPoint]:
    """Received, completed and the on-time rate of each of the `months` months up to `end`: one
    aggregate query with a conditional count per month (no per-case rows)."""
    spans = months_before(end, months)
    base = scope.cases().filter(
        Q(submitted_at__gte=_bounds(spans[0])[0], submitted_at__lt=_bounds(spans[-1])[1])
        | Q(completed_on__gte=spans[0].start, completed_on__lte=spans[-1].end)
    )
    aggregates: dict[str, Any] = {}
    finished_statuses = list(FINISHED_STATUSES)
    for i, span in enumerate(spans):
        start_at, end_at = _bounds(span)
        finished = Q(
            completed_on__gte=span.start,
            completed_on__lte=span.end,
            status__in=finished_statuses,
        )
        late = Q(promised_due__isnull=False, completed_on__gt=F("promised_due"))
        aggregates[f"r{i}"] = Count(
            "pk", filter=Q(submitted_at__gte=start_at, submitted_at__lt=end_at)
        )
        aggregates[f"c{i}"] = Count("pk", filter=finished)
        aggregates[f"t{i}"] = Count("pk", filter=finished & ~late)
    with _without_jit():
        values = base.aggregate(**aggregates)
    points = []
    for i, span in enumerate(spans):
        completed = values[f"c{i}"] or 0
        points.append(
            MonthPoint(
                span,
                values[f"r{i}"] or 0,
                completed,
                (values[f"t{i}"] or 0) / completed if completed else None,
            )
        )
    return points


def today() -> dt.date:
    return clock.today()


# -- reports -----------------------------------------------------------------------------------


def reports_for(actor: User) -> QuerySet[Report]:
    """Reports of scopes inside the actor's jurisdiction, newest first."""
    reach = jurisdiction(actor, permission="stats.view")
    return (
        Report.objects.filter(reach.q("region__path", "department_id"))
        .select_related("region", "department", "pdf", "xlsx", "generated_by")
        .order_by("-end", "period", "-pk")
    )


def report_requests_open(actor: User, days: int = 7) -> list[ReportRequest]:
    """The actor's recent page requests still queued or failed (done ones are in the list of
    reports), newest first."""
    since = timezone.now() - dt.timedelta(days=days)
    return list(
        ReportRequest.objects.filter(requested_by=actor, requested_at__gte=since)
        .exclude(state=ReportRequest.State.DONE)
        .select_related("region", "department")[:20]
    )


def report_get(actor: User, pk: int) -> Report:
    found = reports_for(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound("没有这份报告，或它不在您的管辖范围内。")
    return found


def region_tiles(scope: Scope, table: Table) -> list[tuple[str, str, Row | None]]:
    """Every child region of the scope's root (the towns of a county), in code order, as
    (code, name, its row of a region-dimension `table` or None when it had no cases)."""
    if scope.root is None:
        return []
    by_path = {r.key: r for r in table.rows}
    children = Region.objects.filter(parent=scope.root).order_by("code")
    return [(r.code, r.name, by_path.get(r.path)) for r in children.only("code", "name", "path")]


def current_weights() -> ScoreWeights:
    """The assessment weights in force: the newest row, or the defaults when none was set."""
    return ScoreWeights.objects.order_by("-created_at", "-pk").first() or ScoreWeights()


# -- the periodic assessment: scores per window and per staff member -------------------------


@dataclass(frozen=True)
class Score:
    row: Row
    workload: float  # completed ÷ the most completed by anyone of the same kind
    score: float | None
    parts: dict[str, float]  # figure → its share of the score actually used


def scores(table: Table, weights: ScoreWeights) -> list[Score]:
    """Each row of `table` (windows, or staff) scored 0–100 from the weighted figures: on-time
    rate, satisfaction, rectification and workload. A figure with no data (no rating yet) is
    left out and the remaining weights are scaled to 100 %. A row that finished nothing in the
    period has no score; rows without a real window or person (网上申请, 未受理) are not
    scored."""
    rows = [r for r in table.rows if r.key is not None]
    busiest = max([r.completed for r in rows] + [0])
    result: list[Score] = []
    for row in rows:
        workload = row.completed / busiest if busiest else 0.0
        figures_ = {
            "on_time": (row.on_time_rate, weights.on_time),
            "satisfaction": (row.satisfaction_rate, weights.satisfaction),
            "rectification": (row.rectification_rate, weights.rectification),
            "workload": (workload if busiest else None, weights.workload),
        }
        used = {k: (v, w) for k, (v, w) in figures_.items() if v is not None and w}
        if not row.completed:
            used = {}  # nothing finished in the period: not scored (shown as “—”)
        total_weight = sum(w for _v, w in used.values())
        score = 100 * sum(v * w for v, w in used.values()) / total_weight if total_weight else None
        parts = {k: w / total_weight for k, (_v, w) in used.items()} if total_weight else {}
        result.append(Score(row, workload, score, parts))
    result.sort(key=lambda s: (-(s.score if s.score is not None else -1), s.row.label))
    return result
