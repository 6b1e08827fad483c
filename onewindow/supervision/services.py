"""Writes of electronic supervision: the sweep (`supervise`), and the escalation ladder.

The sweep (`onewindow supervise`, run every few hours by cron or a systemd timer):

1. records each warning and overdue event of each running clock once (a case's promised and
   statutory limits, each open step's own) — the unique constraints on `ClockAlert` and
   `bulk_create(ignore_conflicts=True)` make a second run, or a run racing another, record
   nothing new;
2. walks the escalation ladder (`EscalationRule` rows, data not code): for every live alert that
   has reached a rung and has not had it yet, records an `Escalation` (unique per alert and
   rung) and notifies that rung's people — the step's acting holder (A, or B while A is away),
   the head of the unit, the centre's supervisor.

It computes everything from the due dates and today, never from "since the last run", so it
survives restarts and catches up after downtime. It never loads all clocks at once: each source
is read in keyset chunks of `chunk_size` rows, each chunk written in its own transaction
(audited; messages go out after that transaction commits).
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from onewindow.accounts.choices import Role
from onewindow.accounts.models import Absence, Post, User
from onewindow.accounts.selectors import has_permission
from onewindow.audit.services import audit_export, audit_record, audit_records
from onewindow.cases import clock
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import Case, Step
from onewindow.core.errors import InvalidInput, NotAllowed
from onewindow.notifications.services import notify

from . import thresholds
from .choices import AlertState, ClockKind, NoticeRole
from .models import ClockAlert, Escalation, EscalationRule, Sweep
from .selectors import HolderIndex, case_limits, state_annotation, step_limits

CHUNK = 500
ALERTING = [AlertState.WARNING, AlertState.OVERDUE]

PLACEHOLDERS = {
    "number": "办件编号",
    "item": "事项",
    "clock": "时限名称",
    "due": "到期日",
    "days": "超期工作日数",
    "step": "环节",
    "department": "部门",
}

DEFAULT_LADDER = [
    (
        1,
        AlertState.WARNING,
        0,
        NoticeRole.HOLDER,
        "【黄牌预警】您承办的办件 {number}（{item}）{clock}将于 {due} 到期（环节：{step}），"
        "请抓紧办理。",
    ),
    (
        2,
        AlertState.OVERDUE,
        0,
        NoticeRole.HOLDER,
        "【红牌超期】您承办的办件 {number}（{item}）{clock}已于 {due} 到期，现已超期，"
        "请立即办理并说明超期原因。",
    ),
    (
        3,
        AlertState.OVERDUE,
        2,
        NoticeRole.DEPT_HEAD,
        "【超期督办】本部门办件 {number}（{item}）{clock}已超期 {days} 个工作日（到期日 {due}，"
        "环节：{step}），请督促承办人办理。",
    ),
    (
        4,
        AlertState.OVERDUE,
        5,
        NoticeRole.SUPERVISOR,
        "【超期上报】办件 {number}（{item}，{department}）{clock}已超期 {days} 个工作日"
        "（到期日 {due}），经承办人、部门负责人两级催办仍未办结，请中心督查。",
    ),
]


# -- the ladder ----------------------------------------------------------------------------------


def escalation_ladder_seed(*, actor: Any = None) -> int:
    """Create the default ladder when there is none (the demo; a fresh installation gets it from
    the data migration). Returns how many rungs were made."""
    with transaction.atomic():
        if EscalationRule.objects.exists():
            return 0
        for level, state, after, role, template in DEFAULT_LADDER:
            rule = EscalationRule.objects.create(
                level=level, state=state, after_days=after, role=role, template=template
            )
            audit_record(
                action="supervision.rule.create",
                actor=actor,
                role="system" if actor is None else Role.SUPERVISOR,
                obj=rule,
                summary=f"预警升级规则：{rule}",
            )
    return len(DEFAULT_LADDER)


def _check_template(template: str) -> str:
    template = (template or "").strip()
    if not template:
        raise InvalidInput("请填写「消息模板」：通知里要说的话。", field="template")
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError:
        raise InvalidInput(
            "「消息模板」中的花括号不成对：占位符须写成 {number} 这样，文字中的花括号请写两次 {{ }}。",
            field="template",
        ) from None
    unknown = [n for n in names if n not in PLACEHOLDERS]
    if unknown:
        allowed = "、".join(f"{{{k}}} {v}" for k, v in PLACEHOLDERS.items())
        raise InvalidInput(
            f"「消息模板」中的占位符 {{{unknown[0]}}} 不认识：可用的有 {allowed}。",
            field="template",
        )
    return template


def escalation_rule_save(
    *,
    actor: User,
    rule: EscalationRule | None,
    level: int,
    state: str,
    after_days: int,
    role: str,
    template: str,
    active: bool = True,
) -> EscalationRule:
    """Add or change one rung of the ladder (the centre's supervisor). Takes effect at the next
    sweep; notices already sent stay sent."""
    if not has_permission(actor, "supervision.manage"):
        raise NotAllowed("只有中心电子监察岗可以修改预警升级规则。")
    if state not in AlertState.values:
        raise InvalidInput("请选择「触发事件」：预警或超期。", field="state")
    if role not in NoticeRole.values:
        raise InvalidInput("请选择「通知对象」：承办人、部门负责人或中心电子监察。", field="role")
    if not 1 <= level <= 99:
        raise InvalidInput("「级别」应是 1 到 99 之间的整数。", field="level")
    if not 0 <= after_days <= 365:
        raise InvalidInput("「超期后工作日数」应是 0 到 365 之间的整数。", field="after_days")
    if state == AlertState.WARNING and after_days:
        raise InvalidInput(
            "预警规则在出现黄牌时即通知，「超期后工作日数」请填 0。", field="after_days"
        )
    template = _check_template(template)
    with transaction.atomic():
        clash = EscalationRule.objects.filter(level=level)
        if rule is not None:
            clash = clash.exclude(pk=rule.pk)
        if clash.exists():
            raise InvalidInput(f"已有第 {level} 级规则：请换一个「级别」。", field="level")
        before = None
        if rule is None:
            rule = EscalationRule()
        else:
            rule = EscalationRule.objects.select_for_update().get(pk=rule.pk)
            before = _rule_dict(rule)
        rule.level, rule.state, rule.after_days = level, state, after_days
        rule.role, rule.template, rule.active = role, template, active
        rule.save()
        audit_record(
            action="supervision.rule.save",
            actor=actor,
            role=Role.SUPERVISOR,
            obj=rule,
            summary=f"{'修改' if before else '新增'}预警升级规则：{rule}",
            before=before,
            after=_rule_dict(rule),
        )
    return rule


def _rule_dict(rule: EscalationRule) -> dict[str, Any]:
    return {
        "level": rule.level,
        "state": rule.state,
        "after_days": rule.after_days,
        "role": rule.role,
        "template": rule.template,
        "active": rule.active,
    }


# -- the sweep -----------------------------------------------------------------------------------


@dataclass
class SweepResult:
    sweep: Sweep
    clocks: int  # warning or overdue clocks seen
    alerts: int  # new events recorded
    notices: int  # new rungs sent


def _stream(qs: QuerySet[Any], size: int, *fields: str) -> Iterator[list[tuple[Any, ...]]]:
    """`qs` in one pass, in lists of `size`: one server-side cursor on PostgreSQL (the server
    keeps the rows, this process holds one list at a time), fetched `size` rows at a time on
    SQLite. For the clock sources, whose alerting rows are a few in a hundred: keyset pages
    walked the primary key through every running case again for each page of 500
    (bench/supervision.py (c))."""
    batch: list[tuple[Any, ...]] = []
    for row in qs.order_by().values_list("pk", *fields).iterator(chunk_size=size):
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _chunks(qs: QuerySet[Any], size: int, *fields: str) -> Iterator[list[tuple[Any, ...]]]:
    """Keyset pages of `qs` by primary key: a bounded list at a time, no open cursor."""
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:size])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _clock_sources(on: dt.date) -> list[tuple[str, QuerySet[Any]]]:
    running = Case.objects.filter(status=CaseStatus.IN_PROGRESS, accepted_on__isnull=False)
    promised = running.annotate(
        s=state_annotation(due="promised_due", limits=case_limits("promised_limit"), on=on)
    ).filter(s__in=ALERTING)
    statutory = running.annotate(
        s=state_annotation(due="statutory_due", limits=case_limits("statutory_limit"), on=on)
    ).filter(s__in=ALERTING)
    steps = (
        Step.objects.filter(closed_at__isnull=True, case__status=CaseStatus.IN_PROGRESS)
        .annotate(s=state_annotation(due="due", limits=step_limits(), on=on))
        .filter(s__in=ALERTING)
    )
    return [
        (ClockKind.PROMISED, promised),
        (ClockKind.STATUTORY, statutory),
        (ClockKind.STEP, steps),
    ]


def _record_alerts(
    kind: str, rows: list[tuple[Any, ...]], sweep: Sweep, on: dt.date, run_by: str
) -> int:
    if kind == ClockKind.STEP:
        objs = [
            ClockAlert(
                case_id=case_id,
                step_id=pk,
                clock=kind,
                state=s,
                due=due,
                recorded_on=on,
                sweep=sweep,
            )
            for pk, case_id, due, s in rows
        ]
        mine = Q(step_id__in=[r[0] for r in rows])
    else:
        objs = [
            ClockAlert(case_id=pk, clock=kind, state=s, due=due, recorded_on=on, sweep=sweep)
            for pk, due, s in rows
        ]
        mine = Q(step__isnull=True, clock=kind, case_id__in=[r[0] for r in rows])
    with transaction.atomic():
        ClockAlert.objects.bulk_create(objs, ignore_conflicts=True)
        new = list(ClockAlert.objects.filter(mine, sweep=sweep).values_list("pk", "state"))
        if new:
            audit_record(
                action="supervision.alert.record",
                role="system",
                obj=sweep,
                actor_name=run_by,
                summary=(
                    f"电子监察巡查 {on}：记录{ClockKind(kind).label}预警 "
                    f"{sum(1 for _, s in new if s == AlertState.WARNING)} 条、超期 "
                    f"{sum(1 for _, s in new if s == AlertState.OVERDUE)} 条"
                ),
                after={"alerts": [pk for pk, _ in new]},
            )
    return len(new)


def _live_alerts(rule: EscalationRule, on: dt.date) -> QuerySet[ClockAlert]:
    """Alerts whose clock still runs on the same due date, that reached the rule's rung today
    and have not had it yet."""
    running = Q(case__status=CaseStatus.IN_PROGRESS)
    live = (
        Q(step__isnull=True, clock=ClockKind.PROMISED, due=F("case__promised_due"))
        | Q(step__isnull=True, clock=ClockKind.STATUTORY, due=F("case__statutory_due"))
        | Q(step__isnull=False, step__closed_at__isnull=True, due=F("step__due"))
    )
    alerts = ClockAlert.objects.filter(running & live, state=rule.state)
    if rule.state == AlertState.WARNING:
        alerts = alerts.filter(due__gte=on)
    else:
        alerts = alerts.filter(due__lte=thresholds.overdue_since(rule.after_days, on))
    return alerts.filter(~Exists(Escalation.objects.filter(alert=OuterRef("pk"), rule=rule)))


class _Recipients:
    """Who a rung notifies, for the alerts of one chunk (a few queries per chunk)."""

    def __init__(self, alerts: list[ClockAlert]) -> None:
        case_ids = {a.case_id for a in alerts}
        self.open_steps: dict[int, list[Step]] = {}
        for step in Step.objects.filter(case_id__in=case_ids, closed_at__isnull=True):
            self.open_steps.setdefault(step.case_id, []).append(step)
        regions = {s.region_id for steps in self.open_steps.values() for s in steps}
        regions |= {a.case.item.region_id for a in alerts}
        self.index = HolderIndex(regions)
        self.supervisors = list(
            Post.objects.filter(role=Role.SUPERVISOR, active=True).select_related(
                "region", "holder_a", "holder_b"
            )
        )
        absent_ids = {p.holder_a_id for p in self.supervisors}
        self.index.absent |= set(
            Absence.objects.filter(user_id__in=absent_ids, ended_at__isnull=True).values_list(
                "user_id", flat=True
            )
        )

    def steps_of(self, alert: ClockAlert) -> list[Step]:
        if alert.step_id is not None:
            return [s for s in self.open_steps.get(alert.case_id, []) if s.pk == alert.step_id]
        return self.open_steps.get(alert.case_id, [])

    def for_rule(self, alert: ClockAlert, role: str) -> list[User]:
        users: list[User] = []
        if role == NoticeRole.HOLDER:
            for step in self.steps_of(alert):
                users += [h.user for h in self.index.holders(step)]
            if not users and alert.case.accepted_by is not None:
                users.append(alert.case.accepted_by)
        elif role == NoticeRole.DEPT_HEAD:
            for step in self.steps_of(alert):
                users += [h.user for h in self.index.heads(step)]
            if not users:
                case = alert.case
                users += [
                    self.index.acting(p).user
                    for p in self.index.posts
                    if p.role == Role.DEPT_HEAD
                    and p.region_id == case.item.region_id
                    and p.department_id == case.department_id
                ]
        else:
            # the supervisor nearest the case (a county's before a city's or a province's)
            over = [p for p in self.supervisors if alert.case.region_path.startswith(p.region.path)]
            nearest = max((len(p.region.path) for p in over), default=0)
            users += [self.index.acting(p).user for p in over if len(p.region.path) == nearest]
        return list({u.pk: u for u in users}.values())


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _message(rule: EscalationRule, alert: ClockAlert, on: dt.date) -> str:
    case = alert.case
    step = alert.step
    values = _Blank(
        number=case.number,
        item=case.version.name,
        clock=f"“{step.state_name}”环节时限" if step else ClockKind(alert.clock).label,
        due=f"{alert.due:%Y年%m月%d日}",
        days=str(thresholds.overdue_days(alert.due, on)),
        step=step.state_name if step else (case.state_key and _current_step_name(case)),
        department=case.department.name,
    )
    try:
        return rule.template.format_map(values)
    except (ValueError, IndexError, AttributeError):
        return f"办件 {case.number}（{case.version.name}）{values['clock']}到期日 {values['due']}。"


def _current_step_name(case: Case) -> str:
    for state in (case.version.flow or {}).get("states", []):
        if state.get("key") == case.state_key:
            return str(state.get("name", ""))
    return ""


def _escalate(rule: EscalationRule, ids: list[int], sweep: Sweep, on: dt.date, run_by: str) -> int:
    alerts = list(
        ClockAlert.objects.filter(pk__in=ids).select_related(
            "case",
            "case__version",
            "case__item",
            "case__department",
            "case__accepted_by",
            "step",
        )
    )
    recipients = _Recipients(alerts)
    chosen = {a.pk: recipients.for_rule(a, rule.role) for a in alerts}
    with transaction.atomic():
        Escalation.objects.bulk_create(
            [
                Escalation(
                    alert=a,
                    rule=rule,
                    level=rule.level,
                    role=rule.role,
                    recipients=[{"id": u.pk, "name": str(u)} for u in chosen[a.pk]],
                    sent_on=on,
                    sweep=sweep,
                )
                for a in alerts
            ],
            ignore_conflicts=True,
        )
        # only the rungs this sweep inserted: a racing sweep's inserts were ignored here
        sent = set(
            Escalation.objects.filter(sweep=sweep, rule=rule, alert_id__in=ids).values_list(
                "alert_id", flat=True
            )
        )
        mine = [a for a in alerts if a.pk in sent]
        subject = (
            "办件时限预警（黄牌）"
            if rule.state == AlertState.WARNING
            else f"办件超期（红牌）第 {rule.level} 级通知"
        )
        for alert in mine:
            body = _message(rule, alert, on)
            link = _link(alert.case, rule.role)
            for user in chosen[alert.pk]:
                notify(
                    topic=f"supervision.{rule.state}",
                    subject=subject,
                    body=body,
                    recipient=user,
                    link=link,
                    obj=alert.case,
                )
        if mine:
            audit_records(
                {
                    "action": "supervision.escalate",
                    "role": "system",
                    "obj": alert.case,
                    "actor_name": run_by,
                    "summary": (
                        f"{alert.case.number} {ClockKind(alert.clock).label}"
                        f"{AlertState(alert.state).label}：第 {rule.level} 级通知"
                        f"{NoticeRole(rule.role).label}"
                    ),
                    "after": {
                        "alert": alert.pk,
                        "rule": rule.pk,
                        "recipients": [u.pk for u in chosen[alert.pk]],
                    },
                }
                for alert in mine
            )
    return len(mine)


def _link(case: Case, role: str) -> str:
    if role == NoticeRole.HOLDER:
        return reverse("casework:detail", args=[case.number])
    return reverse("supervision:case", args=[case.number])


def supervise(
    *,
    day: dt.date | None = None,
    chunk_size: int = CHUNK,
    run_by: str = "",
    progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """One sweep on `day` (default: the clock's today). `progress(n)` is told how many rows each
    chunk handled (for a progress bar)."""
    on = day or clock.today()
    with transaction.atomic():
        sweep = Sweep.objects.create(day=on, started_at=timezone.now(), run_by=run_by[:64])
        audit_record(
            action="supervision.sweep.start",
            role="system",
            obj=sweep,
            actor_name=run_by,
            summary=f"电子监察巡查开始：{on}",
        )
    seen = alerts = notices = 0
    for kind, source in _clock_sources(on):
        fields = ("case_id", "due", "s") if kind == ClockKind.STEP else (f"{kind}_due", "s")
        for rows in _stream(source, chunk_size, *fields):
            seen += len(rows)
            alerts += _record_alerts(kind, rows, sweep, on, run_by)
            if progress is not None:
                progress(len(rows))
    for rule in EscalationRule.objects.filter(active=True).order_by("level"):
        for rows in _chunks(_live_alerts(rule, on), chunk_size):
            notices += _escalate(rule, [r[0] for r in rows], sweep, on, run_by)
            if progress is not None:
                progress(len(rows))
    with transaction.atomic():
        sweep.finished_at = timezone.now()
        sweep.alerts, sweep.notices = alerts, notices
        sweep.save(update_fields=["finished_at", "alerts", "notices"])
        audit_record(
            action="supervision.sweep.finish",
            role="system",
            obj=sweep,
            actor_name=run_by,
            summary=f"电子监察巡查完成：{on}，新记录 {alerts} 条，发出 {notices} 级通知",
            after={"clocks": seen, "alerts": alerts, "notices": notices},
        )
    return SweepResult(sweep=sweep, clocks=seen, alerts=alerts, notices=notices)


def export_record(
    *, actor: User, table: str, filters: dict[str, str], rows: int, capped: bool = False
) -> None:
    """An Excel export of the board or the anomalies is a disclosure: on record, who took which
    table with which filters, and how many rows it held (as the statistics' exports are)."""
    from onewindow.accounts.selectors import audit_role

    audit_export(
        action="supervision.export",
        actor=actor,
        role=audit_role(actor, "supervision.view"),
        kind="电子监察表",
        table=table,
        rows=rows,
        filters=filters,
        capped=capped,
    )
