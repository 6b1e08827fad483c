"""Reads of 好差评: the rating summary of a set of cases (for statistics and the supervision
board), what a case may still be rated for, the ratings and rectification tasks an actor may see,
and what each actor may see of who rated (ratings are anonymous to the rated staff member)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from onewindow.accounts.models import User
from onewindow.accounts.selectors import has_permission, jurisdiction
from onewindow.cases import clock
from onewindow.cases.choices import FINISHED_STATUSES, CaseStatus
from onewindow.cases.models import Case, CaseEvent

from .choices import BAD_LEVELS, RECTIFICATION_WORKING_DAYS, Level, RectificationStatus, Stage
from .models import CounterSession, Rating, Rectification

# -- the summary the statistics and the supervision board read ----------------------------------


@dataclass(frozen=True)
class RatingSummary:
    """Counts over a set of cases. A case is *rated* when it has at least one rating (at
    acceptance or at completion), *bad* when any of its ratings is 不满意 or 非常不满意, and
    *satisfied* when it is rated and none of its ratings is bad. An unrated case is counted as
    unrated — never as satisfied. `ratings` and `by_level` count the rating rows themselves (a
    case may have two)."""

    cases: int
    rated: int
    unrated: int
    satisfied: int
    bad: int
    ratings: int = 0
    by_level: dict[int, int] = field(default_factory=dict)

    @property
    def satisfaction_rate(self) -> float | None:
        """satisfied / rated (None when nothing was rated): the 满意率 the centre reports."""
        return self.satisfied / self.rated if self.rated else None

    @property
    def coverage(self) -> float | None:
        """rated / cases (None for no cases): how far 应评尽评 has got."""
        return self.rated / self.cases if self.cases else None


def rating_summary(cases: QuerySet[Case]) -> RatingSummary:
    """Rated / unrated / satisfied / bad counts for `cases` (any queryset of cases: a period, a
    department, a window, an actor's jurisdiction), in two queries.

        >>> s = rating_summary(Case.objects.filter(completed_on__year=2026))
        >>> s.rated, s.unrated, s.satisfied, s.bad, s.satisfaction_rate

    A case counts once whatever number of ratings it has; see `RatingSummary` for the rules.
    Paper cards that name no case are not in any case set and so are not counted here."""
    ids = cases.order_by().values("pk")
    has_rating = Exists(Rating.objects.filter(case=OuterRef("pk")))
    has_bad = Exists(Rating.objects.filter(case=OuterRef("pk"), level__in=list(BAD_LEVELS)))
    figures = (
        Case.objects.filter(pk__in=ids)
        .order_by()
        .aggregate(
            total=Count("pk"),
            rated=Count("pk", filter=has_rating),
            bad=Count("pk", filter=has_bad),
        )
    )
    levels = Rating.objects.filter(case__in=ids).order_by().values("level").annotate(n=Count("pk"))
    by_level = {int(level): 0 for level in Level.values}
    for row in levels:
        by_level[int(row["level"])] = row["n"]
    total, rated, bad = figures["total"], figures["rated"], figures["bad"]
    return RatingSummary(
        cases=total,
        rated=rated,
        unrated=total - rated,
        satisfied=rated - bad,
        bad=bad,
        ratings=sum(by_level.values()),
        by_level=by_level,
    )


@dataclass(frozen=True)
class LevelCounts:
    """Counts over rating rows (not cases): for one staff member's or one window's ratings."""

    total: int
    satisfied: int
    bad: int
    by_level: dict[int, int]

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.total if self.total else None


def rating_summary_of(ratings: QuerySet[Rating]) -> LevelCounts:
    """Counts by level over a set of ratings, in one query."""
    rows = ratings.order_by().values("level").annotate(n=Count("pk"))
    by_level = {int(level): 0 for level in Level.values}
    for row in rows:
        by_level[int(row["level"])] = row["n"]
    bad = sum(n for level, n in by_level.items() if level in BAD_LEVELS)
    total = sum(by_level.values())
    return LevelCounts(total=total, satisfied=total - bad, bad=bad, by_level=by_level)


# -- what a case may be rated for -------------------------------------------------------------


def stage_ready(case: Case, stage: str) -> bool:
    """Whether the case has reached `stage`: accepted (acceptance) or finished (completion)."""
    if stage == Stage.ACCEPTANCE:
        return case.accepted_at is not None
    if stage == Stage.COMPLETION:
        return case.status in FINISHED_STATUSES
    return False


def open_stages(case: Case) -> list[str]:
    """The stages the case can be rated for now (reached, not yet rated), latest first."""
    rated = set(Rating.objects.filter(case=case).values_list("stage", flat=True))
    return [
        s for s in (Stage.COMPLETION, Stage.ACCEPTANCE) if s not in rated and stage_ready(case, s)
    ]


def case_ratings(case: Case) -> QuerySet[Rating]:
    return Rating.objects.filter(case=case).order_by("rated_at")


def finisher(case: Case) -> User | None:
    """The staff member who finished the case (the actor of its 办结 event)."""
    event = (
        CaseEvent.objects.filter(case=case, action="finish")
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )
    return event.actor if event is not None else None


# -- what staff may see -----------------------------------------------------------------------


def ratings_visible(actor: User) -> QuerySet[Rating]:
    """Ratings inside the actor's jurisdiction for `evaluation.view` (a department head: their
    department's; the supervisor: every one in their region)."""
    reach = jurisdiction(actor, permission="evaluation.view")
    return (
        Rating.objects.filter(reach.q("region_path", "department"))
        .select_related("case__version", "window", "department", "staff")
        .order_by("-rated_at", "-pk")
    )


def ratings_about(actor: User) -> QuerySet[Rating]:
    """The ratings of the actor's own service (shown without the case or the applicant)."""
    return (
        Rating.objects.filter(staff=actor)
        .select_related("window", "department")
        .only(
            "stage",
            "level",
            "channel",
            "reasons",
            "comment",
            "rated_on",
            "rated_at",
            "window__name",
            "window__number",
            "department__name",
            "staff_id",
        )
        .order_by("-rated_at", "-pk")
    )


@dataclass(frozen=True)
class Identity:
    """What the viewer may see of who rated: the case number (department heads and the
    supervisor, unless they are the rated staff member themselves) and the applicant's name
    (the supervisor only)."""

    case_number: str
    applicant: str


HIDDEN = Identity("", "")


def identity_for(actor: User, rating: Rating) -> Identity:
    """Ratings are anonymous to the rated staff member, whatever their role."""
    if rating.case_id is None or rating.staff_id == actor.pk:
        return HIDDEN
    case = rating.case
    assert case is not None
    if has_permission(actor, "rectification.review"):
        return Identity(case.number, case.applicant_name)
    if has_permission(actor, "evaluation.view"):
        return Identity(case.number, "")
    return HIDDEN


def rectifications_for(actor: User, *, open_only: bool = True) -> QuerySet[Rectification]:
    """Rectification tasks in the actor's jurisdiction (department heads: their department's;
    the supervisor: all in their region), the nearest deadline first. Open ones by default:
    a task leaves the list when it is closed."""
    reach = jurisdiction(actor, permission="evaluation.view")
    qs = Rectification.objects.filter(reach.q("region_path", "department")).select_related(
        "rating", "case__version", "department", "window"
    )
    if open_only:
        qs = qs.exclude(status=RectificationStatus.CLOSED)
    # open tasks first (nearest deadline first), then the closed ones
    return qs.order_by(F("closed_at").asc(nulls_first=True), "due", "opened_at")


def rectification_state(task: Rectification, on: dt.date | None = None) -> str:
    """The time state of the task's clock (normal → warning → overdue), frozen when closed."""
    end = task.closed_on or on or clock.today()
    return clock.time_state(task.due, RECTIFICATION_WORKING_DAYS, end)


def rectification_left(task: Rectification, on: dt.date | None = None) -> int | None:
    if task.due is None or not task.is_open:
        return None
    return clock.remaining(task.due, on or clock.today())


def open_rectification_count(actor: User) -> int:
    return rectifications_for(actor).count()


# -- the counter's tablet ------------------------------------------------------------------------


def open_session(actor: User, session_id: int | None) -> CounterSession | None:
    if not session_id:
        return None
    return (
        CounterSession.objects.select_related("window__service_point__region")
        .filter(pk=session_id, staff=actor, ended_at__isnull=True)
        .first()
    )


def counter_cases(session: CounterSession, *, days: int = 3) -> list[tuple[Case, list[str]]]:
    """Cases of the session's window accepted or finished in the last `days` days that still
    have a stage to rate, with those stages."""
    since = clock.today() - dt.timedelta(days=days)
    cases = (
        Case.objects.filter(window=session.window)
        .filter(Q(accepted_on__gte=since) | Q(completed_on__gte=since))
        .exclude(status__in=[CaseStatus.WITHDRAWN, CaseStatus.REFUSED, CaseStatus.TERMINATED])
        .select_related("version")
        .order_by("-updated_at")[:30]
    )
    result = []
    for case in cases:
        stages = open_stages(case)
        if stages:
            result.append((case, stages))
    return result
