"""Reads of cases: work queues (AB backup included), what an actor may see, clocks, the public
tracking view."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from onewindow.accounts.choices import Role
from onewindow.accounts.models import Applicant, User
from onewindow.accounts.selectors import acting_posts, jurisdiction
from onewindow.org.choices import RegionLevel
from onewindow.org.models import Region

from . import clock
from .choices import CATEGORIES, CaseStatus
from .models import Case, CaseEvent, Step


def _step_q_for(user: User) -> Q:
    combined = Q(pk__in=[])
    for ap in acting_posts(user):
        post = ap.post
        part = Q(region_id=post.region_id, roles__contains=f",{post.role},")
        if post.department_id is not None:
            part &= Q(department__isnull=True) | Q(department_id=post.department_id)
        part &= Q(post__isnull=True) | Q(post_id=post.pk)
        combined |= part
    return combined


def step_queue(user: User) -> QuerySet[Step]:
    """Open back-office steps the user may act on now (their own posts, and their absent
    colleagues' posts they stand in for)."""
    return (
        Step.objects.filter(closed_at__isnull=True, case__status=CaseStatus.IN_PROGRESS)
        .filter(_step_q_for(user))
        .select_related("case", "case__version", "department", "region")
        .order_by("due", "opened_at")
    )


def acceptance_queue(user: User) -> QuerySet[Case]:
    """Cases waiting at the counter of the user's acceptor posts."""
    combined = Q(pk__in=[])
    for ap in acting_posts(user):
        if ap.role != Role.ACCEPTOR:
            continue
        part = Q(region_id=ap.post.region_id)
        if ap.post.department_id is not None:
            part &= Q(department_id=ap.post.department_id)
        combined |= part
    return (
        Case.objects.filter(status__in=[CaseStatus.SUBMITTED, CaseStatus.SUPPLEMENT])
        .filter(combined)
        .select_related("version", "department")
        .order_by("submitted_at")
    )


def result_queue(user: User) -> QuerySet[Case]:
    """Finished results waiting to be handed over at the user's counter."""
    regions = [ap.post.region_id for ap in acting_posts(user) if ap.role == Role.ACCEPTOR]
    return (
        Case.objects.filter(
            status__in=[CaseStatus.APPROVED, CaseStatus.DENIED],
            delivered_at__isnull=True,
            region_id__in=regions,
        )
        .select_related("version")
        .order_by("completed_at")
    )


def visible_cases(user: User) -> QuerySet[Case]:
    """Every case in the user's jurisdiction: accepted there, or with a step there (a
    co-department of a joint approval, the county department a town reported a case up to)."""
    reach = jurisdiction(user, permission="case.view")
    steps = Step.objects.filter(reach.q("region__path", "department")).values("case_id")
    return Case.objects.select_related("version", "department", "region").filter(
        reach.q("region_path", "department") | Q(pk__in=steps)
    )


def applicants_in_reach(user: User) -> QuerySet[Applicant]:
    """The applicants a staff member may look up and, with `personal.reveal`, see whole: every
    applicant for a post over a whole county or more without a department (the county's
    comprehensive windows take walk-ins from anywhere, the supervisor oversees them all); for
    anyone else, the applicants with a case in their jurisdiction."""
    reach = jurisdiction(user, permission="applicant.view")
    wide = [path for path, department in reach.scopes if department is None]
    if (
        wide
        and Region.objects.filter(
            path__in=wide,
            level__in=[RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY],
        ).exists()
    ):
        return Applicant.objects.all()
    return Applicant.objects.filter(
        pk__in=visible_cases(user).filter(applicant__isnull=False).values("applicant_id")
    )


def applicant_cases(user: User) -> QuerySet[Case]:
    return (
        Case.objects.filter(submitted_by=user)
        .select_related("version", "department")
        .order_by("-submitted_at")
    )


@dataclass(frozen=True)
class Clock:
    label: str
    due: dt.date | None
    state: str
    left: int | None


def case_clocks(case: Case, on: dt.date | None = None) -> list[Clock]:
    """The promised and statutory clocks of a case, with their time state."""
    if case.accepted_on is None:
        return []
    on = on or clock.today()
    running = case.status in (CaseStatus.IN_PROGRESS, CaseStatus.PAUSED)
    result = []
    for label, due, limit in (
        ("承诺时限", case.promised_due, case.promised_limit),
        ("法定时限", case.statutory_due, case.statutory_limit),
    ):
        end = case.completed_on if not running and case.completed_on else on
        state = clock.time_state(due, clock.days_of(limit, case.limit_unit), end)
        left = clock.remaining(due, on) if (due and running) else None
        result.append(Clock(label, due, state, left))
    return result


def step_state(step: Step, on: dt.date | None = None) -> str:
    end = step.closed_at.date() if step.closed_at else (on or clock.today())
    return clock.time_state(step.due, step.limit, end)


def public_timeline(case: Case) -> QuerySet[CaseEvent]:
    return case.events.filter(public=True).only(
        "at", "label", "department_name", "state_name", "note", "action"
    )


def track(number: str, phone_tail: str) -> Case | None:
    """The case for the public tracking page: the number and the last four digits of the phone
    given at submission must both match."""
    case = (
        Case.objects.select_related("version", "department")
        .filter(number=(number or "").strip())
        .first()
    )
    if case is None:
        return None
    if not hmac.compare_digest(case.phone_tail, (phone_tail or "").strip()):
        return None
    return case


def category_counts(cases: QuerySet[Case]) -> dict[str, int]:
    """The six managed categories (a case may be in several: a 联办件 that was 退回 …)."""
    flags = {
        "immediate": Q(immediate=True),
        "promised": Q(immediate=False),
        "joint": Q(joint=True),
        "reported": Q(reported=True),
        "returned": Q(returned=True),
        "supplemented": Q(supplemented=True),
    }
    figures = cases.aggregate(**{f"n_{k}": Count("pk", filter=q) for k, q in flags.items()})
    return {key: figures[f"n_{key}"] for key in CATEGORIES}
