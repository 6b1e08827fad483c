"""民情直通车 dashboard for the county command centre (workbench, `appeal.dispatch`): the
figures of a period, charts, the overdue list, the week's hot topics, Excel export.

Every figure is scoped to the actor's jurisdiction through `appeal.dispatch` (the command centre
sees the county; a town's dispatcher, were there one, their town) and may be narrowed to one
town. What each figure counts — the cohort is the appeals *received* (filed) in the period, as
seed 000 reports "共受理各类事项54277件，办结54062件，办结率为99.6%，群众满意率达99%":

* received 受理: appeals filed in the period;
* completed 办结: of those, the ones the handling unit has answered — status 已答复待评价 or
  已办结 (the citizen rates the result *after* it is done: "最后由群众本人对办理结果进行监督
  评价"); one reopened after an unsatisfied rating is back in handling and does not count;
  completion rate 办结率 = completed ÷ received (54062 ÷ 54277 = 99.6 %);
* on time 按时办结: completed, and no turn of any unit (dispatch) ran past its sign-for or its
  handling limit;
* satisfaction rate 满意率 = (满意 + 基本满意) ÷ appeals rated (the seed gives only the
  figure, 99 %; this is the usual definition of the 12345 hotlines); a duplicate merged into
  another (并案) is received and completed with its master but its copied rating is not counted
  again;
* on-time sign-for 按时签收率 and handling 按时办理率 rates, over the dispatches of those appeals
  whose clock is decided: a sign-for clock stops when the unit signs (or, unsigned, when its
  turn ends by bounce, transfer or escalation); a handling clock starts at sign-for and stops
  when the turn ends. Stopped on or before the due date: on time; stopped after it, or still
  running past it today: late; still running before it: not counted yet;
* the overdue list: open dispatches past their due date now, whatever the period;
* hot topics: the words of the titles and texts of the appeals filed in the 7 days up to the
  period's end (or today), segmented with jieba, personal data hidden first, stop-words and
  one-character words left out, each word counted once per appeal; the top 20;
* the trend: appeals filed and replies given to citizens (the lead unit's 答复) per day of the
  period.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jieba
from django.contrib import messages
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Length, Substr
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from openpyxl import Workbook

from onewindow.accounts.access import staff_required
from onewindow.accounts.models import User
from onewindow.accounts.selectors import request_actor
from onewindow.cases import clock
from onewindow.core.errors import DomainError, InvalidInput
from onewindow.org.models import Department, Region
from onewindow.stats import charts
from onewindow.stats.charts import BLUE, LINE, MUTED, RED, nice_max, svg
from onewindow.stats.choices import PeriodKind
from onewindow.stats.excel import write_sheet, xlsx_response
from onewindow.stats.periods import Period, parse_period
from onewindow.stats.selectors import SEGMENT, Row, Scope, narrow, region_choices, scope_for_actor

from . import services
from .choices import DispatchState, Kind, Rating, Status
from .models import Appeal, Category, Dispatch, Escalation
from .publication import anonymise
from .services import unit_name

jieba.setLogLevel(logging.WARNING)

HOT_DAYS = 7
HOT_TOP = 20
OVERDUE_SHOWN = 200
DONE = (Status.REPLIED, Status.CLOSED)
OPEN = (DispatchState.WAITING, DispatchState.SIGNED)


# -- figures ---------------------------------------------------------------------------------


@dataclass
class Figures:
    """Appeals received in the period (in one group) and what became of them."""

    key: Any
    label: str
    received: int = 0
    completed: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0  # 满意 + 基本满意

    @property
    def completion_rate(self) -> float | None:
        return rate(self.completed, self.received)

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.completed)

    @property
    def satisfaction_rate(self) -> float | None:
        return rate(self.satisfied, self.rated)

    def as_row(self) -> Row:
        """The same numbers as a statistics row, for the statistics app's charts."""
        return Row(
            self.key,
            self.label,
            received=self.received,
            completed=self.completed,
            on_time=self.on_time,
        )


FIGURE_FIELDS = ["received", "completed", "on_time", "rated", "satisfied"]
# (attribute, Chinese label, kind): "n" count, "r" rate — page tables and Excel alike
FIGURE_COLUMNS: list[tuple[str, str, str]] = [
    ("received", "受理", "n"),
    ("completed", "办结", "n"),
    ("completion_rate", "办结率", "r"),
    ("on_time", "按时办结", "n"),
    ("on_time_rate", "按时办结率", "r"),
    ("rated", "已评价", "n"),
    ("satisfied", "满意及基本满意", "n"),
    ("satisfaction_rate", "满意率", "r"),
]


@dataclass
class UnitFigures:
    """The turns (dispatches) one handling unit had with the period's appeals."""

    key: Any
    label: str
    dispatches: int = 0
    sign_counted: int = 0
    sign_on_time: int = 0
    handle_counted: int = 0
    handle_on_time: int = 0
    replied: int = 0
    bounced: int = 0

    @property
    def sign_rate(self) -> float | None:
        return rate(self.sign_on_time, self.sign_counted)

    @property
    def handle_rate(self) -> float | None:
        return rate(self.handle_on_time, self.handle_counted)

    def as_row(self) -> Row:
        return Row(
            self.key,
            self.label,
            received=self.dispatches,
            completed=self.handle_counted,
            on_time=self.handle_on_time,
        )


UNIT_FIELDS = [
    "dispatches",
    "sign_counted",
    "sign_on_time",
    "handle_counted",
    "handle_on_time",
    "replied",
    "bounced",
]
UNIT_COLUMNS: list[tuple[str, str, str]] = [
    ("dispatches", "派单", "n"),
    ("sign_counted", "签收到期", "n"),
    ("sign_on_time", "按时签收", "n"),
    ("sign_rate", "按时签收率", "r"),
    ("handle_counted", "办理到期", "n"),
    ("handle_on_time", "按时办理", "n"),
    ("handle_rate", "按时办理率", "r"),
    ("replied", "答复", "n"),
    ("bounced", "退单", "n"),
]


@dataclass(frozen=True)
class Overdue:
    dispatch_id: int
    number: str
    title: str
    kind: str
    unit: str
    clock: str  # 签收 or 办理
    due: dt.date
    late_days: int  # working days past the due date
    steps: str  # the automatic steps taken so far: 催办、督办


@dataclass(frozen=True)
class DayPoint:
    day: dt.date
    filed: int
    replied: int


@dataclass
class Dashboard:
    scope: Scope
    period: Period
    today: dt.date
    total: Figures
    units_total: UnitFigures
    by_kind: list[Figures]
    by_category: list[Figures]
    by_region: list[Figures]
    by_unit: list[UnitFigures]
    overdue: list[Overdue]
    overdue_count: int
    hot: list[tuple[str, int]]
    hot_start: dt.date
    hot_end: dt.date
    hot_appeals: int
    trend: list[DayPoint]
    tiles: list[tuple[str, str, Row | None]] = field(default_factory=list)


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percent(value: float | None) -> str:
    """A rate as the seed writes it: one decimal (54062 / 54277 → 99.6%)."""
    return charts.percent(value)


# -- scope -----------------------------------------------------------------------------------


def scope_of(actor: User, region_code: str = "") -> Scope:
    """The actor's `appeal.dispatch` jurisdiction, narrowed to a town when asked."""
    whole = scope_for_actor(actor, permission="appeal.dispatch")
    if region_code and not (whole.root is not None and region_code == whole.root.code):
        return narrow(whole, region_code)
    return whole


def appeals_in(scope: Scope) -> QuerySet[Appeal]:
    """Appeals filed in the scope's regions (and, for a department's dispatcher, the appeals
    dispatched to the department)."""
    q = Q(pk__in=[])
    for path, department_id in scope.reach.scopes:
        if department_id is None:
            q |= Q(region__path__startswith=path)
        else:
            q |= Q(
                pk__in=Dispatch.objects.filter(
                    department_id=department_id, region__path__startswith=path
                ).values("appeal_id")
            )
    return Appeal.objects.filter(q)


# -- clocks ----------------------------------------------------------------------------------


def sign_on_time() -> Q:
    return Q(signed_on__isnull=False, signed_on__lte=F("sign_due")) | Q(
        signed_on__isnull=True, closed_on__isnull=False, closed_on__lte=F("sign_due")
    )


def sign_late(today: dt.date) -> Q:
    return (
        Q(signed_on__isnull=False, signed_on__gt=F("sign_due"))
        | Q(signed_on__isnull=True, closed_on__isnull=False, closed_on__gt=F("sign_due"))
        | Q(state=DispatchState.WAITING, sign_due__lt=today)
    )


def handle_on_time() -> Q:
    return Q(signed_on__isnull=False, closed_on__isnull=False, closed_on__lte=F("handle_due"))


def handle_late(today: dt.date) -> Q:
    return Q(signed_on__isnull=False, closed_on__isnull=False, closed_on__gt=F("handle_due")) | Q(
        state=DispatchState.SIGNED, handle_due__lt=today
    )


def _appeal_aggregates(today: dt.date) -> dict[str, Any]:
    done = Q(status__in=DONE)
    late_turn = Dispatch.objects.filter(appeal=OuterRef("pk")).filter(
        sign_late(today) | handle_late(today)
    )
    return {
        "received": Count("pk"),
        "completed": Count("pk", filter=done),
        "on_time": Count("pk", filter=done & ~Exists(late_turn)),
        # a merged duplicate carries its master's rating: the one citizen's rating counts once
        "rated": Count("pk", filter=~Q(rating="") & Q(merged_into__isnull=True)),
        "satisfied": Count(
            "pk",
            filter=Q(rating__in=[Rating.SATISFIED, Rating.BASIC], merged_into__isnull=True),
        ),
    }


def _grouped(appeals: QuerySet[Appeal], key: Any, today: dt.date) -> list[dict[str, Any]]:
    return list(
        appeals.annotate(group_key=key)
        .values("group_key")
        .annotate(**_appeal_aggregates(today))
        .order_by("group_key")
    )


def _figures(values: dict[str, Any], key: Any, label: str) -> Figures:
    return Figures(key, label, **{f: int(values.get(f) or 0) for f in FIGURE_FIELDS})


def _sum(rows: Sequence[Figures], label: str = "合计") -> Figures:
    return Figures(None, label, **{f: sum(getattr(r, f) for r in rows) for f in FIGURE_FIELDS})


def _order(rows: list[Figures]) -> list[Figures]:
    return sorted(rows, key=lambda r: (-r.received, -r.completed, r.label))


def by_kind(appeals: QuerySet[Appeal], today: dt.date) -> list[Figures]:
    labels = dict(Kind.choices)
    return _order(
        [
            _figures(v, v["group_key"], str(labels.get(v["group_key"], v["group_key"])))
            for v in _grouped(appeals, F("kind"), today)
        ]
    )


def by_category(appeals: QuerySet[Appeal], today: dt.date) -> list[Figures]:
    """Grouped by top-level category (城乡建设, 社会保障 …)."""
    rows = _grouped(appeals, Coalesce("category__parent_id", "category_id"), today)
    names = dict(
        Category.objects.filter(pk__in=[r["group_key"] for r in rows]).values_list("pk", "name")
    )
    return _order([_figures(v, v["group_key"], names.get(v["group_key"], "—")) for v in rows])


def by_region(scope: Scope, appeals: QuerySet[Appeal], today: dt.date) -> list[Figures]:
    """Grouped by the child of the scope's top region (the towns of a county) the appeal's
    place lies in; the top region's own appeals as “…本级”."""
    key = Substr("region__path", 1, Length(Value(scope.root_path)) + SEGMENT)
    rows = _grouped(appeals, key, today)
    names = dict(
        Region.objects.filter(path__in=[r["group_key"] for r in rows]).values_list("path", "name")
    )
    out = []
    for v in rows:
        label = names.get(v["group_key"], v["group_key"])
        if scope.root is not None and v["group_key"] == scope.root.path:
            label = f"{scope.root.name}本级"
        out.append(_figures(v, v["group_key"], label))
    return _order(out)


def region_tiles(scope: Scope, rows: list[Figures]) -> list[tuple[str, str, Row | None]]:
    """Every child region of the scope's top region in code order, as the statistics grid
    wants them: (code, name, its figures as a statistics row, or None)."""
    if scope.root is None:
        return []
    found = {r.key: r for r in rows}
    children = (
        Region.objects.filter(parent=scope.root).order_by("code").only("code", "name", "path")
    )
    tiles: list[tuple[str, str, Row | None]] = []
    for region in children:
        row = found.get(region.path)
        tiles.append((region.code, region.name, row.as_row() if row is not None else None))
    return tiles


def by_unit(appeals: QuerySet[Appeal], today: dt.date) -> list[UnitFigures]:
    rows = list(
        Dispatch.objects.filter(appeal_id__in=appeals.values("pk"))
        .values("region_id", "department_id")
        .annotate(
            dispatches=Count("pk"),
            sign_counted=Count("pk", filter=sign_on_time() | sign_late(today)),
            sign_on_time=Count("pk", filter=sign_on_time()),
            handle_counted=Count("pk", filter=handle_on_time() | handle_late(today)),
            handle_on_time=Count("pk", filter=handle_on_time()),
            replied=Count("pk", filter=Q(state=DispatchState.REPLIED)),
            bounced=Count("pk", filter=Q(state=DispatchState.BOUNCED)),
        )
        .order_by("region_id", "department_id")
    )
    regions = Region.objects.in_bulk({r["region_id"] for r in rows})
    departments = Department.objects.in_bulk({r["department_id"] for r in rows} - {None})
    out = []
    for v in rows:
        department = departments.get(v["department_id"]) if v["department_id"] else None
        out.append(
            UnitFigures(
                (v["region_id"], v["department_id"]),
                unit_name(regions[v["region_id"]], department),
                **{f: int(v[f] or 0) for f in UNIT_FIELDS},
            )
        )
    return sorted(out, key=lambda r: (-r.dispatches, r.label))


def overdue(scope: Scope, today: dt.date) -> tuple[list[Overdue], int]:
    """Open dispatches past their sign-for or handling limit today (any period), the longest
    overdue first, and how many there are in all."""
    qs = Dispatch.objects.filter(
        Q(state=DispatchState.WAITING, sign_due__lt=today)
        | Q(state=DispatchState.SIGNED, handle_due__lt=today),
        appeal_id__in=appeals_in(scope).values("pk"),
    )
    count = qs.count()
    shown = list(
        qs.select_related("appeal", "region", "department").order_by(
            Coalesce("handle_due", "sign_due"), "pk"
        )[:OVERDUE_SHOWN]
    )
    steps: dict[int, list[str]] = {}
    labels = {"remind": "催办", "supervise": "督办", "escalate": "提级"}
    for dispatch_id, clock_name, step in (
        Escalation.objects.filter(dispatch__in=[d.pk for d in shown])
        .order_by("pk")
        .values_list("dispatch_id", "clock", "step")
    ):
        steps.setdefault(dispatch_id, []).append(
            f"{'签收' if clock_name == 'sign' else '办理'}{labels.get(step, step)}"
        )
    out = []
    for d in shown:
        signing = d.state == DispatchState.WAITING
        due = d.sign_due if signing else d.handle_due
        assert due is not None
        out.append(
            Overdue(
                d.pk,
                d.appeal.number,
                d.appeal.title,
                d.appeal.get_kind_display(),
                unit_name(d.region, d.department),
                "签收" if signing else "办理",
                due,
                clock.elapsed(due, today, clock.WORKING_DAYS),
                "、".join(steps.get(d.pk, [])) or "—",
            )
        )
    out.sort(key=lambda o: (-o.late_days, o.due, o.number))
    return out, count


def trend(scope: Scope, period: Period, today: dt.date) -> list[DayPoint]:
    """Appeals filed and replies given per day of the period (up to today)."""
    last = min(period.end, today) if period.start <= today else period.end
    appeals = appeals_in(scope)
    filed = dict(
        appeals.filter(filed_on__gte=period.start, filed_on__lte=last)
        .values("filed_on")
        .annotate(n=Count("pk"))
        .order_by("filed_on")
        .values_list("filed_on", "n")
    )
    replied = dict(
        Dispatch.objects.filter(
            state=DispatchState.REPLIED,
            lead=True,
            closed_on__gte=period.start,
            closed_on__lte=last,
            appeal_id__in=appeals.values("pk"),
        )
        .values("closed_on")
        .annotate(n=Count("pk"))
        .order_by("closed_on")
        .values_list("closed_on", "n")
    )
    days = (last - period.start).days + 1
    return [
        DayPoint(day, filed.get(day, 0), replied.get(day, 0))
        for day in (period.start + dt.timedelta(days=i) for i in range(days))
    ]


# -- hot topics ------------------------------------------------------------------------------

STOP_WORDS = frozenset(
    """
    没有 已经 一直 还是 还有 就是 但是 因为 所以 如果 而且 并且 或者 以及 这个 那个 这些 那些
    一个 一些 一下 一段 一点 什么 怎么 怎样 如何 为什么 哪里 哪些 多少 是否 能否 可否 能不能
    我们 你们 他们 她们 自己 大家 本人 某某 群众 村民 居民 百姓 请问 希望 要求 请求 建议 反映
    问题 情况 事情 问题 处理 解决 尽快 及时 马上 立即 相关 有关 部门 单位 进行 开展 现在 目前
    当时 今年 去年 明年 今天 昨天 每天 每年 时候 时间 之后 以后 以前 之前 可以 不能 不了 不是
    不会 不到 不要 需要 应该 影响 导致 造成 出现 存在 发现 知道 觉得 认为 感觉 非常 特别 比较
    十分 很多 很大 很久 一直 经常 多次 多年 几天 三天 两天 这样 那样 这里 那里 其他 另外 然后
    同时 通过 对于 关于 按照 根据 由于 为了 以上 以下 左右 等等 谢谢 感谢 您好 你好 麻烦 帮忙
    帮助 联系 电话 号码 地址 上面 下面 里面 附近 旁边 周边 所在 目的 结果 回复 答复 办理 诉求
    咨询 求助 投诉 举报 表扬 工作人员 通往 来到 发生 已有 一周 一个月 半年 晚上 白天 早上
    非常感谢 不便 麻烦 一样 一起 还要 还没 可能
    """.split()
)
# 三组, 二队, 五号: the village's groups and numbers say where, not what
_PLACE_PART = re.compile(r"^[一二三四五六七八九十百零两]+(组|队|社|号|楼|单元)$")
_WORD = re.compile(r"^[\u4e00-\u9fffA-Za-z]{2,}$")
# words of citizens' appeals that jieba's general dictionary lacks or splits ("路灯不亮" comes
# out as 路 / 灯不亮): taken out of the text whole, with the category names, before jieba cuts
# the rest (jieba's shared dictionary is left alone: the catalogue search relies on it)
VOCABULARY = """
    路灯 垃圾点 垃圾清运 清运 停水 停电 断水 断电 漏水 积水 内涝 塌陷 坑洼 破损 井盖 护栏 红绿灯
    噪声 噪音 扰民 油烟 异味 臭味 污水 排污 违建 违章建筑 占道 占道经营 乱停 乱停车 乱倒 渣土
    施工 工地 夜间施工 拖欠 欠薪 拖欠工资 农民工 物业 物业费 供暖 燃气 自来水 水压 水质 网络信号
    养老保险 医疗保险 医保 社保 低保 残疾证 异地备案 入学 学位 校车 补贴 耕地 惠农 通组道路
    通村公路 危房 改造 办不成 窗口服务 办事难
"""
# the category names the pattern was built from, and the pattern
_vocabulary: tuple[frozenset[str], re.Pattern[str]] | None = None


def refresh_vocabulary() -> None:
    """Build the pattern again when the category names changed (an administrator added or
    renamed one, in any process): one small query, made once per dashboard, not per text."""
    names = frozenset(Category.objects.values_list("name", flat=True))
    if _vocabulary is None or _vocabulary[0] != names:
        _build_vocabulary(names)


def _build_vocabulary(names: frozenset[str]) -> re.Pattern[str]:
    global _vocabulary
    words = set(VOCABULARY.split()) | names
    words = {w for w in words if len(w) >= 2 and w not in STOP_WORDS}
    ordered = sorted(words, key=lambda w: (-len(w), w))  # the longest first
    pattern = re.compile("|".join(re.escape(w) for w in ordered))
    _vocabulary = (names, pattern)
    return pattern


def _known_words() -> re.Pattern[str]:
    if _vocabulary is None:
        return _build_vocabulary(frozenset(Category.objects.values_list("name", flat=True)))
    return _vocabulary[1]


def keywords(text: str) -> set[str]:
    """The distinct keywords of one text: the appeal vocabulary's words found in it, then
    jieba's dictionary words of the rest (no guessed new words: those are as often fragments,
    灯不亮) — two or more characters, Chinese or Latin letters only, no stop-words."""
    known = _known_words()
    found = set(known.findall(text))
    rest = known.sub(" ", text)
    words = found | {t.strip() for t in jieba.lcut(rest, HMM=False)}
    return {
        w
        for w in words
        if _WORD.match(w)
        and w not in STOP_WORDS
        and not w.startswith("某")
        and not _PLACE_PART.match(w)
    }


def hot_topics(
    scope: Scope, end: dt.date, days: int = HOT_DAYS, top: int = HOT_TOP
) -> tuple[list[tuple[str, int]], int]:
    """The `top` words of the appeals filed in the `days` days up to `end`, each counted once
    per appeal, most frequent first (ties in the words' order); and how many appeals."""
    start = end - dt.timedelta(days=days - 1)
    refresh_vocabulary()
    counts: Counter[str] = Counter()
    n = 0
    for title, content, caller in (
        appeals_in(scope)
        .filter(filed_on__gte=start, filed_on__lte=end)
        .values_list("title", "content", "caller_name")
    ):
        n += 1
        counts.update(keywords(anonymise(f"{title}\n{content}", names=(caller,))))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:top], n


# -- the whole dashboard ---------------------------------------------------------------------


def build(scope: Scope, period: Period, today: dt.date | None = None) -> Dashboard:
    today = today or clock.today()
    appeals = appeals_in(scope).filter(filed_on__gte=period.start, filed_on__lte=period.end)
    kinds = by_kind(appeals, today)
    regions = by_region(scope, appeals, today)
    units = by_unit(appeals, today)
    late, late_count = overdue(scope, today)
    hot_end = min(period.end, today)
    hot, hot_n = hot_topics(scope, hot_end)
    units_total = UnitFigures(
        None, "合计", **{f: sum(getattr(u, f) for u in units) for f in UNIT_FIELDS}
    )
    return Dashboard(
        scope=scope,
        period=period,
        today=today,
        total=_sum(kinds),
        units_total=units_total,
        by_kind=kinds,
        by_category=by_category(appeals, today),
        by_region=regions,
        by_unit=units,
        overdue=late,
        overdue_count=late_count,
        hot=hot,
        hot_start=hot_end - dt.timedelta(days=HOT_DAYS - 1),
        hot_end=hot_end,
        hot_appeals=hot_n,
        trend=trend(scope, period, today),
        tiles=region_tiles(scope, regions),
    )


# -- charts (the statistics app's SVG helpers) -----------------------------------------------


def trend_chart(points: Sequence[DayPoint], *, title: str) -> SafeString:
    """Filed and replied per day: two lines, a date under every few days."""
    width, height = 760, 280
    left, right, top, bottom = 44, 16, 36, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_max(max([p.filed for p in points] + [p.replied for p in points] + [1]))
    n = max(len(points), 1)
    step = plot_w / max(n - 1, 1)
    every = max(math.ceil(n / 12), 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: int) -> float:
        return top + plot_h - v / peak * plot_h

    body: list[str] = []
    for k in range(6):  # the nice maximum is 5, 10, 20, 25, 50 …: fifths are whole numbers
        value = peak * k / 5
        yy = top + plot_h - k / 5 * plot_h
        body.append(
            f'<line x1="{left}" y1="{yy:.1f}" x2="{width - right}" y2="{yy:.1f}" '
            f'stroke="{LINE}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{value:g}</text>"
        )
    for series, colour in (("filed", BLUE), ("replied", RED)):
        coords = " ".join(f"{x(i):.1f},{y(getattr(p, series)):.1f}" for i, p in enumerate(points))
        body.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
        if n <= 62:
            for i, p in enumerate(points):
                body.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(getattr(p, series)):.1f}" r="3" '
                    f'fill="{colour}"/>'
                )
    for i, p in enumerate(points):
        if i % every == 0:
            body.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
                f'font-size="11">{p.day.month}/{p.day.day}</text>'
            )
    legend_x = width - right - 220
    for j, (label, colour) in enumerate((("受理", BLUE), ("答复", RED))):
        lx = legend_x + j * 110
        body.append(
            f'<line x1="{lx}" y1="16" x2="{lx + 24}" y2="16" stroke="{colour}" '
            f'stroke-width="3"/><text x="{lx + 30}" y="20">{label}</text>'
        )
    desc = "；".join(f"{p.day:%m月%d日} 受理{p.filed}件、答复{p.replied}件" for p in points)
    return svg(width, height, title, desc or "本期没有数据", body)


def word_chart(words: Sequence[tuple[str, int]], *, title: str) -> SafeString:
    """One horizontal bar per keyword, its count at the bar's end."""
    bar_h, gap, label_w, width, top = 20, 6, 120, 760, 8
    height = top + max(len(words), 1) * (bar_h + gap) + 12
    plot_w = width - label_w - 80
    peak = max([c for _w, c in words] + [1])
    body: list[str] = []
    for i, (word, count) in enumerate(words):
        yy = top + i * (bar_h + gap)
        w = max(count / peak * plot_w, 2)
        body.append(
            f'<text x="{label_w - 8}" y="{yy + 15}" text-anchor="end">{escape(word)}</text>'
            f'<rect x="{label_w}" y="{yy}" width="{w:.1f}" height="{bar_h}" fill="{RED}" rx="3"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{yy + 15}">{count} 件</text>'
        )
    if not words:
        body.append(f'<text x="{label_w}" y="{top + 15}" fill="{MUTED}">本周没有诉求</text>')
    desc = "；".join(f"{w} {c}件" for w, c in words)
    return svg(width, height, title, desc or "本周没有诉求", body)


# -- Excel -----------------------------------------------------------------------------------

TABLES: dict[str, str] = {
    "kind": "按类型",
    "category": "按分类",
    "region": "按区划",
    "unit": "按承办单位",
    "overdue": "超期未办",
    "hot": "本周热点",
    "trend": "每日趋势",
}


def _sheet_rows(
    rows: Sequence[Any], total: Any, columns: Sequence[tuple[str, str, str]]
) -> list[list[Any]]:
    lines = [[r.label, *[getattr(r, n) for n, _l, _k in columns]] for r in rows]
    lines.append([total.label, *[getattr(total, n) for n, _l, _k in columns]])
    return lines


def workbook(board: Dashboard, only: str = "") -> bytes:
    """Every table of the dashboard as a sheet (or only the one named), the figures as numbers
    and the rates as fractions formatted as percentages."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    head = [
        f"{board.scope.label} 民情直通车诉求统计",
        f"统计周期：{board.period.label}（{board.period.start} 至 {board.period.end}），"
        f"统计日 {board.today}",
    ]
    wanted = [only] if only else list(TABLES)
    for name in wanted:
        sheet = book.create_sheet(TABLES[name])
        if name in ("kind", "category", "region"):
            rows = {"kind": board.by_kind, "category": board.by_category}.get(name, board.by_region)
            write_sheet(
                sheet,
                heading=head,
                columns=FIGURE_COLUMNS,
                rows=_sheet_rows(rows, board.total, FIGURE_COLUMNS),
                first_label=TABLES[name][1:],
            )
        elif name == "unit":
            write_sheet(
                sheet,
                heading=head,
                columns=UNIT_COLUMNS,
                rows=_sheet_rows(board.by_unit, board.units_total, UNIT_COLUMNS),
                first_label="承办单位",
            )
        elif name == "overdue":
            write_sheet(
                sheet,
                heading=[
                    head[0],
                    f"截至 {board.today} 超期未办的派单，共 {board.overdue_count} 件",
                ],
                columns=[
                    ("title", "标题", "n"),
                    ("kind", "类型", "n"),
                    ("unit", "承办单位", "n"),
                    ("clock", "超期环节", "n"),
                    ("due", "时限", "n"),
                    ("late_days", "超期工作日", "n"),
                    ("steps", "已采取措施", "n"),
                ],
                rows=[
                    [
                        o.number,
                        o.title,
                        o.kind,
                        o.unit,
                        o.clock,
                        o.due.isoformat(),
                        o.late_days,
                        o.steps,
                    ]
                    for o in board.overdue
                ],
                first_label="诉求编号",
            )
        elif name == "hot":
            write_sheet(
                sheet,
                heading=[
                    head[0],
                    f"{board.hot_start} 至 {board.hot_end} 受理的 {board.hot_appeals} 件诉求的热词"
                    "（每件诉求计一次）",
                ],
                columns=[("count", "诉求件数", "n")],
                rows=[[w, c] for w, c in board.hot],
                first_label="关键词",
            )
        else:
            write_sheet(
                sheet,
                heading=head,
                columns=[("filed", "受理", "n"), ("replied", "答复", "n")],
                rows=[[p.day.isoformat(), p.filed, p.replied] for p in board.trend],
                first_label="日期",
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- views -----------------------------------------------------------------------------------

PARAMS = ("period", "on", "start", "end", "region")


def _params(request: HttpRequest) -> dict[str, str]:
    return {
        k: request.GET.get(k, "").strip()[:32] for k in PARAMS if request.GET.get(k, "").strip()
    }


def _board(request: HttpRequest, params: dict[str, str]) -> Dashboard:
    today = clock.today()
    period = parse_period(
        kind=params.get("period"),
        on=params.get("on"),
        start=params.get("start"),
        end=params.get("end"),
        today=today,
    )
    scope = scope_of(request_actor(request), params.get("region", ""))
    return build(scope, period, today)


@staff_required("appeal.dispatch")
def dashboard_view(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    context: dict[str, Any] = {
        "active": "appeals-dashboard",
        "params": params,
        "kinds": PeriodKind.choices,
        "figure_columns": FIGURE_COLUMNS,
        "unit_columns": UNIT_COLUMNS,
        "tables": TABLES,
    }
    try:
        context["regions"] = region_choices(scope_of(request_actor(request)))
        board = _board(request, params)
    except DomainError as error:
        context["error"] = error
        return render(request, "appeals/dashboard.html", context, status=error.status)
    rest = {k: v for k, v in params.items() if k != "region"}
    period_label = board.period.label
    context.update(
        board=board,
        export_url=f"{request.path}export.xlsx?{urlencode(params)}",
        trend_chart=trend_chart(board.trend, title=f"{period_label}每日受理与答复"),
        region_chart=charts.region_grid(
            board.tiles,
            link=f"{request.path}?{urlencode(rest)}&region=",
            title=f"{period_label}{board.scope.label}各地按时办结率",
        ),
        kind_chart=charts.bar_chart(
            [r.as_row() for r in board.by_kind],
            title=f"{period_label}各类型受理件数与按时办结率",
            value="received",
        ),
        category_chart=charts.bar_chart(
            [r.as_row() for r in board.by_category],
            title=f"{period_label}各分类受理件数与按时办结率",
            value="received",
        ),
        unit_chart=charts.bar_chart(
            [r.as_row() for r in board.by_unit],
            title=f"{period_label}各承办单位派单数与按时办理率",
            value="received",
        ),
        hot_chart=word_chart(
            board.hot, title=f"{board.hot_start} 至 {board.hot_end} 诉求热词（前 {HOT_TOP} 个）"
        ),
    )
    return render(request, "appeals/dashboard.html", context)


@staff_required("appeal.dispatch")
def export(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    only = request.GET.get("table", "").strip()
    try:
        if only and only not in TABLES:
            names = "、".join(f"{k}（{v}）" for k, v in TABLES.items())
            raise InvalidInput(
                f"表格（table）“{only[:20]}”不存在，请选择：{names}。", field="table"
            )
        board = _board(request, params)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('appeals:dashboard')}?{urlencode(params)}")
    what = TABLES[only] if only else "全部表格"
    name = f"民情直通车-{what}-{board.period.start}至{board.period.end}.xlsx"
    content = workbook(board, only)
    services.dashboard_export_record(
        actor=request_actor(request),
        what=what,
        scope_label=board.scope.label,
        start=board.period.start,
        end=board.period.end,
    )
    return xlsx_response(content, name)
