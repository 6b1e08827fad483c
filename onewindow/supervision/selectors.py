"""Reads for electronic supervision: the board (every running case and open step with its time
state, computed by the database), the anomalies, one case's timeline with who held each step.

Time states are annotations, not Python loops: see thresholds.py for how the clock's rule becomes
one date per distinct warning threshold. Everything is scoped to the viewer's jurisdiction for
`supervision.view` (the supervisor's whole county, a department head's department).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast

from onewindow.accounts.choices import Role
from onewindow.accounts.models import Absence, Post, User
from onewindow.accounts.selectors import Jurisdiction, jurisdiction, scope
from onewindow.cases import clock
from onewindow.cases.choices import CATEGORIES, CaseStatus, MaterialStatus, PauseKind
from onewindow.cases.models import Case, CaseMaterial, Pause, Step, SupplementRequest
from onewindow.catalogue.models import Item, WindowAuthorisation
from onewindow.core.errors import InvalidInput, NotFound
from onewindow.org.models import Department, Region, RegionLevel, Window

from . import thresholds
from .choices import STATE_ORDER, AnomalyKind
from .models import ClockAlert, Escalation, EscalationRule, Sweep

PERMISSION = "supervision.view"
RUNNING = (CaseStatus.IN_PROGRESS, CaseStatus.PAUSED)
PAUSED = "paused"  # the board's own state for a case whose clocks a special procedure stopped


def reach(actor: User) -> Jurisdiction:
    return jurisdiction(actor, permission=PERMISSION)


def supervised_cases(actor: User) -> QuerySet[Case]:
    """Cases in the viewer's supervision jurisdiction: accepted there, or with a step there."""
    scopes = reach(actor)
    # EXISTS, not IN: the planner then costs the step look-up per case by its index (an IN over
    # every step of the province would be costed as a full scan and trigger PostgreSQL's JIT)
    steps = Step.objects.filter(scopes.q("region__path", "department"), case=OuterRef("pk"))
    return Case.objects.filter(scopes.q("region_path", "department") | Q(Exists(steps)))


def supervised_steps(actor: User) -> QuerySet[Step]:
    """Steps sitting in the viewer's jurisdiction, and every step of a case owned there."""
    scopes = reach(actor)
    return Step.objects.filter(
        scopes.q("region__path", "department") | scopes.q("case__region_path", "case__department")
    )


# -- time states in the database --------------------------------------------------------------


def _warning_parts(due: str, limits: Iterable[tuple[Q, int]], on: dt.date) -> list[Q]:
    """One condition per distinct warning threshold: the rows of those limits whose due date is
    on or before the threshold's cut-off (rows of the same threshold share one condition).

    The due date is tested first: a row due after the cut-off (most rows) fails at one
    comparison instead of testing every limit of the threshold (bench/supervision.py (a))."""
    by_threshold: dict[int, list[Q]] = {}
    for condition, days in limits:
        by_threshold.setdefault(thresholds.threshold(days), []).append(condition)
    return [
        Q(**{f"{due}__lte": thresholds.warn_until(t, on)}) & reduce(operator.or_, conditions)
        for t, conditions in sorted(by_threshold.items())
    ]


def _warning_q(due: str, limits: Sequence[tuple[Q, int]], on: dt.date) -> Q:
    """The rows in warning by `due`: the parts of `_warning_parts` behind one test of the latest
    cut-off, which the rows due later (most running cases) fail at once."""
    if not limits:
        return Q(pk__in=[])
    latest = max(thresholds.warn_until(thresholds.threshold(days), on) for _, days in limits)
    return Q(**{f"{due}__lte": latest}) & reduce(operator.or_, _warning_parts(due, limits, on))


def state_annotation(
    *, due: str, limits: Iterable[tuple[Q, int]], on: dt.date, paused: Q | None = None
) -> SqlCase:
    """CASE WHEN due IS NULL → pending, due < on → overdue, due <= (cut-off of the row's
    threshold) → warning, else normal. `limits` pairs a condition selecting rows by their limit
    with that limit in days; rows of the same threshold share one WHEN."""
    whens = []
    if paused is not None:
        whens.append(When(paused, then=Value(PAUSED)))
    whens += [
        When(Q(**{f"{due}__isnull": True}), then=Value("pending")),
        When(Q(**{f"{due}__lt": on}), then=Value("overdue")),
    ]
    whens += [When(part, then=Value("warning")) for part in _warning_parts(due, limits, on)]
    return SqlCase(*whens, default=Value("normal"), output_field=CharField())


def _rank(state: str) -> SqlCase:
    order = [*STATE_ORDER[:2], PAUSED, *STATE_ORDER[2:]]
    return SqlCase(
        *[When(**{state: s}, then=Value(i)) for i, s in enumerate(order)],
        default=Value(len(order)),
        output_field=IntegerField(),
    )


# The distinct limits of the running cases and open steps, read with a loose index scan on
# PostgreSQL (one index probe per distinct value, through the partial indexes of migration
# supervision 0003) instead of a DISTINCT over every running case: a province has hundreds of
# thousands of running cases but a catalogue only a few dozen distinct limits.
_CASE_LIMITS_SQL = """
WITH RECURSIVE t AS (
    (SELECT limit_unit, promised_limit, statutory_limit FROM cases_case
      WHERE status IN (%s, %s) ORDER BY 1, 2, 3 LIMIT 1)
    UNION ALL
    SELECT n.* FROM t, LATERAL (
        SELECT c.limit_unit, c.promised_limit, c.statutory_limit FROM cases_case c
         WHERE c.status IN (%s, %s)
           AND (c.limit_unit, c.promised_limit, c.statutory_limit)
               > (t.limit_unit, t.promised_limit, t.statutory_limit)
         ORDER BY 1, 2, 3 LIMIT 1) n
)
SELECT limit_unit, promised_limit, statutory_limit FROM t
"""
_STEP_LIMITS_SQL = """
WITH RECURSIVE t AS (
    (SELECT "limit" FROM cases_step WHERE closed_at IS NULL ORDER BY 1 LIMIT 1)
    UNION ALL
    SELECT (SELECT s."limit" FROM cases_step s
             WHERE s.closed_at IS NULL AND s."limit" > t."limit" ORDER BY 1 LIMIT 1)
      FROM t WHERE t."limit" IS NOT NULL
)
SELECT "limit" FROM t WHERE "limit" IS NOT NULL
"""


def _running_limits() -> list[tuple[str, int, int]]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CASE_LIMITS_SQL, [*RUNNING, *RUNNING])
            return [(u, p, s) for u, p, s in cursor.fetchall()]
    return list(
        Case.objects.filter(status__in=RUNNING)
        .order_by()
        .values_list("limit_unit", "promised_limit", "statutory_limit")
        .distinct()
    )


def case_limits(
    field_name: str, running: Iterable[tuple[str, int, int]] | None = None
) -> list[tuple[Q, int]]:
    """(condition, working days) per distinct limit in `field_name` of the running cases
    (`running`: `_running_limits()` when the caller has read them already)."""
    pairs: set[tuple[int, str]] = set()
    for unit, promised, statutory in _running_limits() if running is None else running:
        pairs.add((promised if field_name == "promised_limit" else statutory, unit))
    return [
        (Q(**{field_name: limit, "limit_unit": unit}), clock.days_of(limit, unit))
        for limit, unit in sorted(pairs)
    ]


def step_limits() -> list[tuple[Q, int]]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_STEP_LIMITS_SQL)
            limits = [row[0] for row in cursor.fetchall()]
    else:
        limits = list(
            Step.objects.filter(closed_at__isnull=True)
            .order_by()
            .values_list("limit", flat=True)
            .distinct()
        )
    return [(Q(limit=limit), limit) for limit in limits]


def with_case_states(
    cases: QuerySet[Case], on: dt.date, *, only_state: bool = False, known: str | None = None
) -> QuerySet[Case]:
    """Annotate `promised_state`, `statutory_state`, `state` (the worse of the two, or "paused"
    while a special procedure stops the clocks) and `rank` (red first); with `only_state`, just
    `state` (what a count per state needs: building and resolving the three others cost more
    than counting, bench/supervision.py (a)). `known`: the state every row is in, when the
    caller has filtered on it (`_PLAIN_STATES`); `state` and `rank`, the two largest CASEs, are
    then that constant.

    `state` and `rank` are written from the due dates directly, not from the two other
    annotations: referring to those would repeat both CASE expressions in every WHEN (the SQL
    grew to hundreds of terms, and its compiling in Python cost more than the query)."""
    paused = Q(status=CaseStatus.PAUSED)
    running = _running_limits()
    promised = case_limits("promised_limit", running)
    statutory = case_limits("statutory_limit", running)
    if not only_state:
        cases = cases.annotate(
            promised_state=state_annotation(
                due="promised_due", limits=promised, on=on, paused=paused
            ),
            statutory_state=state_annotation(
                due="statutory_due", limits=statutory, on=on, paused=paused
            ),
        )
    order = [*STATE_ORDER[:2], PAUSED, *STATE_ORDER[2:]]
    if known is not None:
        cases = cases.annotate(state=Value(known, output_field=CharField()))
        if only_state:
            return cases
        return cases.annotate(rank=Value(order.index(known), output_field=IntegerField()))
    overdue = Q(promised_due__lt=on) | Q(statutory_due__lt=on)
    warning = _warning_q("promised_due", promised, on) | _warning_q("statutory_due", statutory, on)
    conditions = [
        (paused, PAUSED),
        (overdue, "overdue"),
        (warning, "warning"),
        (Q(promised_due__isnull=True), "pending"),
    ]
    cases = cases.annotate(
        state=SqlCase(
            *[When(condition, then=Value(name)) for condition, name in conditions],
            default=Value("normal"),
            output_field=CharField(),
        )
    )
    if only_state:
        return cases
    return cases.annotate(
        rank=SqlCase(
            *[When(condition, then=Value(order.index(name))) for condition, name in conditions],
            default=Value(order.index("normal")),
            output_field=IntegerField(),
        )
    )


def with_step_states(steps: QuerySet[Step], on: dt.date) -> QuerySet[Step]:
    paused = Q(case__status=CaseStatus.PAUSED)
    steps = steps.annotate(
        state=state_annotation(due="due", limits=step_limits(), on=on, paused=paused)
    )
    return steps.annotate(rank=_rank("state"))


# -- the board's filters ------------------------------------------------------------------------

STATE_CHOICES = [
    ("overdue", "超期（红牌）"),
    ("warning", "预警（黄牌）"),
    ("normal", "正常"),
    (PAUSED, "特别程序中（计时暂停）"),
    ("pending", "待定（到期日待下年度日历）"),
]


@dataclass
class BoardFilters:
    region: Region | None = None
    department: Department | None = None
    window: Window | None = None
    staff: User | None = None
    item: Item | None = None
    category: str = ""
    state: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> dict[str, str]:
        return {k: v for k, v in self.raw.items() if v}


@dataclass
class FilterChoices:
    regions: list[Region]
    departments: list[Department]
    windows: list[Window]
    staff: list[User]
    items: list[Item]
    categories: list[tuple[str, str]]
    states: list[tuple[str, str]]


FILTER_KEYS = ("region", "department", "window", "staff", "item", "category", "state", "from", "to")


def filter_choices(actor: User) -> FilterChoices:
    """What the filter form offers: only what lies inside the viewer's jurisdiction."""
    regions = scope(
        Region.objects.filter(level__in=[RegionLevel.COUNTY, RegionLevel.TOWN]),
        actor,
        permission=PERMISSION,
        region_path="path",
    ).order_by("path")
    departments = scope(
        Department.objects.all(),
        actor,
        permission=PERMISSION,
        region_path="region__path",
        department="id",
    ).order_by("code")
    windows = scope(
        Window.objects.filter(active=True).select_related("service_point"),
        actor,
        permission=PERMISSION,
        region_path="service_point__region__path",
        department="department_id",
    ).order_by("service_point__region__path", "number")
    posts = scope(
        Post.objects.filter(active=True),
        actor,
        permission=PERMISSION,
        region_path="region__path",
        department="department_id",
    ).filter(role__in=[Role.ACCEPTOR, Role.APPROVER, Role.DEPT_HEAD])
    staff = (
        User.objects.filter(Q(posts_as_a__in=posts) | Q(posts_as_b__in=posts))
        .distinct()
        .order_by("username")
    )
    items = (
        Item.objects.filter(published__isnull=False)
        .select_related("published")
        .only("code", "published__name")
        .order_by("code")
    )
    return FilterChoices(
        regions=list(regions),
        departments=list(departments),
        windows=list(windows),
        staff=list(staff),
        items=list(items),
        categories=list(CATEGORIES.items()),
        states=STATE_CHOICES,
    )


def _pick(value: str, label: str, key: str, lookup: Any, hint: str) -> Any:
    found = lookup(value)
    if found is None:
        raise InvalidInput(
            f"筛选条件「{label}」的值“{value[:20]}”不在您的监察范围内：{hint}",
            field=key,
        )
    return found


def _date(value: str, label: str, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"「{label}」“{value[:20]}”不是有效日期：请按 年-月-日 填写，例如 2026-11-02。",
            field=key,
        ) from None


def parse_filters(actor: User, data: Any) -> BoardFilters:
    """The board's filters from a query string, each checked against the viewer's jurisdiction.
    A bad value raises InvalidInput naming the filter and how to fix it."""
    raw = {k: str(data.get(k, "") or "").strip()[:40] for k in FILTER_KEYS}
    scopes = reach(actor)
    result = BoardFilters(raw=raw)

    def as_id(key: str, label: str) -> int:
        try:
            return int(raw[key])
        except ValueError:
            raise InvalidInput(
                f"筛选条件「{label}」的值“{raw[key][:20]}”无效：请从下拉列表中选择。", field=key
            ) from None

    if raw["region"]:
        result.region = _pick(
            raw["region"],
            "区划",
            "region",
            lambda v: next(
                (
                    r
                    for r in Region.objects.filter(code=v)
                    if any(r.path.startswith(p) or p.startswith(r.path) for p, _ in scopes.scopes)
                ),
                None,
            ),
            "请填写 12 位区划代码，或从下拉列表中选择。",
        )
    if raw["department"]:
        pk = as_id("department", "部门")
        result.department = _pick(
            raw["department"],
            "部门",
            "department",
            lambda v: scope(
                Department.objects.filter(pk=pk),
                actor,
                permission=PERMISSION,
                region_path="region__path",
                department="id",
            ).first(),
            "请从下拉列表中选择部门。",
        )
    if raw["window"]:
        pk = as_id("window", "窗口")
        result.window = _pick(
            raw["window"],
            "窗口",
            "window",
            lambda v: scope(
                Window.objects.filter(pk=pk),
                actor,
                permission=PERMISSION,
                region_path="service_point__region__path",
                department="department_id",
            ).first(),
            "请从下拉列表中选择窗口。",
        )
    if raw["staff"]:
        result.staff = _pick(
            raw["staff"],
            "人员",
            "staff",
            lambda v: User.objects.filter(username=v, kind="staff").first(),
            "请从下拉列表中选择工作人员。",
        )
    if raw["item"]:
        result.item = _pick(
            raw["item"],
            "事项",
            "item",
            lambda v: Item.objects.filter(code=v).first(),
            "请从下拉列表中选择事项。",
        )
    if raw["category"] and raw["category"] not in CATEGORIES:
        raise InvalidInput(
            f"筛选条件「办件类别」的值“{raw['category'][:20]}”无效：请选择"
            + "、".join(CATEGORIES.values())
            + "之一。",
            field="category",
        )
    result.category = raw["category"]
    if raw["state"] and raw["state"] not in dict(STATE_CHOICES):
        raise InvalidInput(
            f"筛选条件「时限状态」的值“{raw['state'][:20]}”无效：请选择超期、预警、正常、"
            "特别程序中或待定。",
            field="state",
        )
    result.state = raw["state"]
    if raw["from"]:
        result.date_from = _date(raw["from"], "受理日期（起）", "from")
    if raw["to"]:
        result.date_to = _date(raw["to"], "受理日期（止）", "to")
    if result.date_from and result.date_to and result.date_from > result.date_to:
        raise InvalidInput(
            f"「受理日期（起）」{result.date_from} 晚于「受理日期（止）」{result.date_to}："
            "请把起始日期改早，或把截止日期改晚。",
            field="from",
        )
    return result


# the six categories as (flag field, value): a 承诺件 is any case not done on the spot
_CATEGORY_FLAG = {
    "immediate": ("immediate", True),
    "promised": ("immediate", False),
    "joint": ("joint", True),
    "reported": ("reported", True),
    "returned": ("returned", True),
    "supplemented": ("supplemented", True),
}


def _staff_step_q(user: User, prefix: str = "") -> Q:
    """Open steps whose posts this person holds (as A or B): the work on their desk."""
    combined = Q(pk__in=[])
    for post in Post.objects.filter(Q(holder_a=user) | Q(holder_b=user), active=True):
        part = Q(
            **{f"{prefix}region_id": post.region_id, f"{prefix}roles__contains": f",{post.role},"}
        )
        if post.department_id is not None:
            part &= Q(**{f"{prefix}department__isnull": True}) | Q(
                **{f"{prefix}department_id": post.department_id}
            )
        part &= Q(**{f"{prefix}post__isnull": True}) | Q(**{f"{prefix}post_id": post.pk})
        combined |= part
    return combined


def _case_filter_q(filters: BoardFilters, prefix: str = "") -> Q:
    q = Q()
    if filters.region is not None:
        q &= Q(**{f"{prefix}region_path__startswith": filters.region.path})
    if filters.department is not None:
        q &= Q(**{f"{prefix}department": filters.department})
    if filters.window is not None:
        q &= Q(**{f"{prefix}window": filters.window})
    if filters.item is not None:
        q &= Q(**{f"{prefix}item": filters.item})
    if filters.category:
        flag, value = _CATEGORY_FLAG[filters.category]
        q &= Q(**{f"{prefix}{flag}": value})
    if filters.date_from is not None:
        q &= Q(**{f"{prefix}accepted_on__gte": filters.date_from})
    if filters.date_to is not None:
        q &= Q(**{f"{prefix}accepted_on__lte": filters.date_to})
    return q


# time states a running case's row shows that need no warning cut-off, as plain conditions
# (the first WHEN of `with_case_states` that matches decides, so "overdue" is "not paused")
_PLAIN_STATES = {
    PAUSED: lambda on: Q(status=CaseStatus.PAUSED),
    "overdue": lambda on: (
        ~Q(status=CaseStatus.PAUSED) & (Q(promised_due__lt=on) | Q(statutory_due__lt=on))
    ),
}


def _board_rows(
    actor: User, filters: BoardFilters, on: dt.date, *, only_state: bool = False
) -> QuerySet[Case]:
    """The board's running cases for the viewer and the filters, with their time states."""
    cases = supervised_cases(actor).filter(status__in=RUNNING, accepted_on__isnull=False)
    cases = cases.filter(_case_filter_q(filters))
    if filters.staff is not None:
        desk = Step.objects.filter(closed_at__isnull=True).filter(_staff_step_q(filters.staff))
        cases = cases.filter(Q(accepted_by=filters.staff) | Q(pk__in=desk.values("case_id")))
    if filters.state in _PLAIN_STATES:
        # the same rows as `state = …`, in a form the planner can use (and cheap to test);
        # every row is then in that state
        cases = with_case_states(cases, on, only_state=only_state, known=filters.state)
        return cases.filter(_PLAIN_STATES[filters.state](on))
    cases = with_case_states(cases, on, only_state=only_state)
    if filters.state:
        return cases.filter(Q(state=filters.state))
    return cases


def board_state_counts(
    actor: User, filters: BoardFilters, on: dt.date | None = None
) -> dict[str, int]:
    """How many of `board_cases` are in each time state (only the state is worked out)."""
    return state_counts(_board_rows(actor, filters, on or clock.today(), only_state=True))


def board_cases(actor: User, filters: BoardFilters, on: dt.date | None = None) -> QuerySet[Case]:
    """Every running case (in progress, or stopped by a special procedure) in the viewer's
    jurisdiction that matches the filters, with its time states; red first, then yellow."""
    cases = _board_rows(actor, filters, on or clock.today())
    # not the version: its 40 columns were joined to every matching case before the sort took
    # the page's 30 (bench/supervision.py (a)); `with_versions` reads the page's from memory
    cases = cases.select_related("department", "region", "window")
    if filters.state:
        # one state: one rank and one status (a paused case is in the state "paused" and in no
        # other), so (status, due date) orders them as (rank, due date) would, and the planner
        # can walk the (status, promised_due) index and stop at the page instead of sorting
        # every matching case by a CASE (bench/supervision.py (a))
        return cases.order_by("status", "promised_due", "number")
    return cases.order_by("rank", "promised_due", "number")


def with_versions(cases: Sequence[Case]) -> list[Case]:
    """The cases of one page with their (published, so frozen) versions, from memory."""
    from onewindow.catalogue.selectors import frozen_versions

    cases = list(cases)
    versions = frozen_versions(c.version_id for c in cases)
    field = Case._meta.get_field("version")
    for c in cases:
        field.set_cached_value(c, versions[c.version_id])
    return cases


def board_steps(actor: User, filters: BoardFilters, on: dt.date | None = None) -> QuerySet[Step]:
    """Every open step of a running case in the viewer's jurisdiction, with its time state."""
    on = on or clock.today()
    steps = supervised_steps(actor).filter(closed_at__isnull=True, case__status__in=RUNNING)
    case_q = _case_filter_q(
        BoardFilters(
            window=filters.window,
            item=filters.item,
            category=filters.category,
            date_from=filters.date_from,
            date_to=filters.date_to,
        ),
        prefix="case__",
    )
    steps = steps.filter(case_q)
    if filters.region is not None:
        steps = steps.filter(region__path__startswith=filters.region.path)
    if filters.department is not None:
        steps = steps.filter(department=filters.department)
    if filters.staff is not None:
        steps = steps.filter(_staff_step_q(filters.staff))
    steps = with_step_states(steps, on)
    if filters.state:
        steps = steps.filter(Q(state=filters.state))
    return steps.select_related(
        "case", "case__version", "department", "region", "post", "post__holder_a"
    ).order_by("rank", "due", "opened_at", "id")


def state_counts(rows: QuerySet[Any]) -> dict[str, int]:
    """How many rows in each time state, in one GROUP BY."""
    counts = dict.fromkeys([*STATE_ORDER, PAUSED], 0)
    for row in rows.order_by().values("state").annotate(n=Count("pk")):
        counts[row["state"]] = row["n"]
    counts["total"] = sum(counts.values())
    return counts


# -- who holds a step --------------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    post: Post
    user: User
    as_backup: bool

    def __str__(self) -> str:
        return f"{self.user}（{self.post.name}{'，B 岗顶岗' if self.as_backup else ''}）"


class HolderIndex:
    """Answers "who does this step's work now" for many steps with two queries: the active
    posts of the regions involved and the open absences. The holder is the acting holder (A, or
    B while A is away) of the posts of the step's first role that has a fitting post."""

    def __init__(self, region_ids: Iterable[int]) -> None:
        self.posts = list(
            Post.objects.filter(active=True, region_id__in=set(region_ids)).select_related(
                "holder_a", "holder_b"
            )
        )
        users = {p.holder_a_id for p in self.posts} | {
            p.holder_b_id for p in self.posts if p.holder_b_id
        }
        self.absent = set(
            Absence.objects.filter(user_id__in=users, ended_at__isnull=True).values_list(
                "user_id", flat=True
            )
        )

    def acting(self, post: Post) -> Holder:
        if post.holder_a_id in self.absent and post.holder_b is not None:
            return Holder(post, post.holder_b, True)
        return Holder(post, post.holder_a, False)

    def fitting(self, step: Step) -> list[Post]:
        if step.post_id is not None:
            return [p for p in self.posts if p.pk == step.post_id]
        for role in step.role_list:
            found = [
                p
                for p in self.posts
                if p.role == role
                and p.region_id == step.region_id
                and (step.department_id is None or p.department_id in (None, step.department_id))
            ]
            if found:
                # a department's own post before a region-wide one of the same role
                found.sort(key=lambda p: p.department_id is None)
                return found
        return []

    def holders(self, step: Step) -> list[Holder]:
        return [self.acting(p) for p in self.fitting(step)]

    def heads(self, step: Step) -> list[Holder]:
        """The head of the unit the step sits in: the department's head, or the town's."""
        found = [
            p
            for p in self.posts
            if p.role == Role.DEPT_HEAD
            and p.region_id == step.region_id
            and p.department_id == step.department_id
        ]
        return [self.acting(p) for p in found]


# -- one case ----------------------------------------------------------------------------------


@dataclass
class StepRow:
    step: Step
    state: str
    holders: list[str]
    held_days: int
    held_hours: int


@dataclass
class CaseView:
    case: Case
    clocks: list[Any]
    steps: list[StepRow]
    events: QuerySet[Any]
    pauses: list[Pause]
    supplements: list[SupplementRequest]
    alerts: list[ClockAlert]
    escalations: list[Escalation]
    anomalies: list[tuple[str, str]]


def supervised_case(actor: User, number: str) -> Case:
    case = (
        supervised_cases(actor)
        .select_related("version", "item", "department", "region", "window", "accepted_by")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise NotFound("没有找到该办件，或它不在您的监察范围内。")
    return case


def case_view(actor: User, number: str, on: dt.date | None = None) -> CaseView:
    """The supervisor's view of one case: its clocks, each step with who held it and for how
    long, every event with its actor, the alerts recorded and the notices sent."""
    from onewindow.cases.selectors import case_clocks, step_state

    on = on or clock.today()
    case = supervised_case(actor, number)
    steps = list(case.steps.select_related("department", "region", "closed_by", "post"))
    index = HolderIndex(s.region_id for s in steps)
    rows = []
    for s in steps:
        end = s.closed_at or clock.now()
        end_day = s.closed_at.date() if s.closed_at else on
        if s.closed_at is not None:
            who = [str(s.closed_by)] if s.closed_by else ["（系统）"]
        else:
            who = [str(h) for h in index.holders(s)] or ["（无在岗人员）"]
        rows.append(
            StepRow(
                step=s,
                state=step_state(s, on),
                holders=who,
                held_days=max(clock.elapsed(s.started_on, end_day, clock.WORKING_DAYS), 0),
                held_hours=max(int((end - s.opened_at).total_seconds() // 3600), 0),
            )
        )
    alerts = list(ClockAlert.objects.filter(case=case).select_related("step"))
    return CaseView(
        case=case,
        clocks=case_clocks(case, on),
        steps=rows,
        events=case.events.select_related("actor"),
        pauses=list(case.pauses.select_related("started_by")),
        supplements=list(case.supplements.select_related("requested_by")),
        alerts=alerts,
        escalations=list(
            Escalation.objects.filter(alert__case=case).select_related("alert", "alert__step")
        ),
        anomalies=case_anomalies(case, on),
    )


# -- anomalies ---------------------------------------------------------------------------------

DEFAULT_PAUSE_DAYS = 10


def pause_limits() -> dict[str, int]:
    """Working days each kind of special procedure may stop the clock when the pause itself
    names no maximum (ONEWINDOW_PAUSE_MAX_DAYS, "hearing=20,expert=20,…")."""
    raw = str(getattr(settings, "ONEWINDOW_PAUSE_MAX_DAYS", "") or "")
    limits = dict.fromkeys(PauseKind.values, DEFAULT_PAUSE_DAYS)
    for part in filter(None, (p.strip() for p in raw.split(","))):
        kind, _, days = part.partition("=")
        kind = kind.strip()
        if kind not in limits or not days.strip().isdigit():
            raise ValueError(
                f"ONEWINDOW_PAUSE_MAX_DAYS 中的“{part}”无效：应写成 类型=工作日数，类型为 "
                + "、".join(PauseKind.values)
                + "，例如 hearing=20。"
            )
        limits[kind] = int(days)
    return limits


def _allowed_days() -> SqlCase:
    limits = pause_limits()
    return SqlCase(
        When(max_days__gt=0, then=F("max_days")),
        *[When(kind=k, then=Value(v)) for k, v in limits.items()],
        default=Value(DEFAULT_PAUSE_DAYS),
        output_field=IntegerField(),
    )


def long_pauses(on: dt.date) -> QuerySet[Pause]:
    """Pauses longer than allowed: ended ones by the days they lasted, running ones by the
    working days since they started (one cut-off date per distinct allowed length)."""
    pauses = Pause.objects.annotate(allowed=_allowed_days())
    open_allowed = set(
        pauses.filter(ended_on__isnull=True).order_by().values_list("allowed", flat=True)
    )
    running = [
        Q(allowed=a, started_on__lte=thresholds.overdue_since(a + 1, on)) for a in open_allowed
    ]
    over = Q(ended_on__isnull=False, days__gt=F("allowed"))
    if running:
        over |= Q(ended_on__isnull=True) & reduce(operator.or_, running)
    return pauses.filter(over)


def _authorised() -> QuerySet[WindowAuthorisation]:
    """A live 受理 authorisation of the outer case's window for its item on its acceptance day.

    The grants without the 受理 power (an issue-only result window, an approve-only one) are few
    and read first; leaving the JSON test out of the correlated query keeps the planner's row
    estimate right, so PostgreSQL hashes the grants once instead of looping over them per case."""
    without_accept = list(
        WindowAuthorisation.objects.annotate(power_text=Cast("powers", TextField()))
        .exclude(power_text__contains='"accept"')
        .values_list("pk", flat=True)
    )
    grants = WindowAuthorisation.objects.filter(
        window=OuterRef("window"),
        item=OuterRef("item"),
        granted_on__lte=OuterRef("accepted_on"),
    ).filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=OuterRef("accepted_on")))
    return grants.exclude(pk__in=without_accept) if without_accept else grants


CLOSED_EARLY = (CaseStatus.WITHDRAWN, CaseStatus.TERMINATED, CaseStatus.REFUSED)


def anomaly_q(kind: str, on: dt.date) -> Q:
    """The condition on Case for one kind of anomaly."""
    if kind == AnomalyKind.REPEATED_SUPPLEMENT:
        # a request with an earlier one on the same case, or one the engine flagged as naming
        # what the first notice could already have named
        earlier = SupplementRequest.objects.filter(case=OuterRef("case"), pk__lt=OuterRef("pk"))
        second = SupplementRequest.objects.filter(case=OuterRef("pk")).filter(
            Q(Exists(earlier)) | Q(repeated=True)
        )
        return Q(Exists(second))
    if kind == AnomalyKind.BROKEN_PROMISE:
        return Q(
            Exists(
                CaseMaterial.objects.filter(
                    case=OuterRef("pk"),
                    status=MaterialStatus.DEFERRED,
                    promised_by__lt=on,
                    supplied_at__isnull=True,
                )
            )
        ) & ~Q(status__in=CLOSED_EARLY)
    if kind == AnomalyKind.UNAUTHORISED_WINDOW:
        return Q(window__isnull=False, accepted_on__isnull=False) & ~Q(Exists(_authorised()))
    if kind == AnomalyKind.LONG_PAUSE:
        return Q(pk__in=long_pauses(on).values("case_id"))
    raise InvalidInput(
        f"异常类型“{str(kind)[:30]}”无效：请选择"
        + "、".join(label for _, label in AnomalyKind.choices)
        + "之一。",
        field="kind",
    )


def anomaly_counts(actor: User, on: dt.date | None = None) -> list[tuple[str, str, int]]:
    on = on or clock.today()
    base = supervised_cases(actor)
    return [
        (kind, label, base.filter(anomaly_q(kind, on)).count())
        for kind, label in AnomalyKind.choices
    ]


def anomaly_cases(actor: User, kind: str, on: dt.date | None = None) -> QuerySet[Case]:
    on = on or clock.today()
    return (
        supervised_cases(actor)
        .filter(anomaly_q(kind, on))
        .select_related("version", "department", "region", "window")
        .order_by("-accepted_on", "-submitted_at")
    )


def anomaly_details(cases: Sequence[Case], kind: str, on: dt.date | None = None) -> dict[int, str]:
    """What exactly is wrong, for the cases on one page (a query or two per page)."""
    on = on or clock.today()
    ids = [c.pk for c in cases]
    details: dict[int, list[str]] = {pk: [] for pk in ids}
    if kind == AnomalyKind.REPEATED_SUPPLEMENT:
        for r in SupplementRequest.objects.filter(case_id__in=ids).order_by("requested_at"):
            names = "、".join(e.get("name", "") for e in r.items)
            mark = "（首次未告知，违反一次性告知）" if r.repeated else ""
            details[r.case_id].append(f"{r.requested_at:%Y-%m-%d} 补正：{names}{mark}")
    elif kind == AnomalyKind.BROKEN_PROMISE:
        for m in CaseMaterial.objects.filter(
            case_id__in=ids,
            status=MaterialStatus.DEFERRED,
            promised_by__lt=on,
            supplied_at__isnull=True,
        ):
            assert m.promised_by is not None
            details[m.case_id].append(
                f"「{m.name}」承诺 {m.promised_by:%Y-%m-%d} 前补齐，已逾期 {(on - m.promised_by).days} 天"
            )
    elif kind == AnomalyKind.UNAUTHORISED_WINDOW:
        for c in cases:
            details[c.pk].append(
                f"{c.window}于 {c.accepted_on} 受理时没有“{c.version.name}”的有效受理授权"
            )
    elif kind == AnomalyKind.LONG_PAUSE:
        for p in long_pauses(on).filter(case_id__in=ids):
            lasted = (
                p.days
                if p.ended_on
                else max(clock.elapsed(p.started_on, on, clock.WORKING_DAYS), 0)
            )
            state = "已结束" if p.ended_on else "仍在进行"
            details[p.case_id].append(
                f"{p.get_kind_display()}自 {p.started_on:%Y-%m-%d} 起{state}，历时 {lasted} 天，"
                f"允许 {p.allowed} 个工作日"  # type: ignore[attr-defined]
            )
    return {pk: "；".join(lines) for pk, lines in details.items()}


def case_anomalies(case: Case, on: dt.date) -> list[tuple[str, str]]:
    found = []
    for kind, label in AnomalyKind.choices:
        if Case.objects.filter(pk=case.pk).filter(anomaly_q(kind, on)).exists():
            found.append((label, anomaly_details([case], kind, on)[case.pk]))
    return found


# -- the page's extras ---------------------------------------------------------------------------


def _days_note(due: dt.date | None, on: dt.date) -> str:
    if due is None:
        return ""
    if due < on:
        late = thresholds.overdue_days(due, on)
        return f"超期 {late} 个工作日" if late else "已过到期日"
    return f"剩余 {max(clock.remaining(due, on), 0)} 个工作日"


def with_open_steps(cases: Sequence[Case], on: dt.date) -> list[Case]:
    """The open steps of the cases on one page, with who holds them (three queries), and how
    far each case is from its promised date."""
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(
        list(cases),
        Prefetch(
            "steps",
            queryset=Step.objects.filter(closed_at__isnull=True).select_related(
                "department", "region"
            ),
            to_attr="open_steps",
        ),
    )
    index = HolderIndex(s.region_id for c in cases for s in c.open_steps)  # type: ignore[attr-defined]
    for c in with_versions(cases):
        c.days_note = _days_note(c.promised_due, on)  # type: ignore[attr-defined]
        for s in c.open_steps:  # type: ignore[attr-defined]
            s.holders = index.holders(s)
    return list(cases)


def with_holders(steps: Sequence[Step], on: dt.date) -> list[Step]:
    index = HolderIndex(s.region_id for s in steps)
    for s in steps:
        s.holders = index.holders(s)  # type: ignore[attr-defined]
        s.days_note = _days_note(s.due, on)  # type: ignore[attr-defined]
    return list(steps)


def escalation_ladder() -> QuerySet[EscalationRule]:
    return EscalationRule.objects.order_by("level")


def last_sweep() -> Sweep | None:
    return Sweep.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
