"""The demo county's ratings: applicants rate many of the year's finished demo cases through the
same services the QR page, the applicant's page, the counter's tablet and the card entry use, on
the simulated days they happened; a few bad reviews become rectification tasks left in every
state (closed, revisited, answered, investigated, just assigned — one of them overdue).

Deterministic (a fixed seed) and idempotent (nothing is added when demo ratings exist).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from onewindow.accounts.choices import Role, UserKind
from onewindow.accounts.models import Post, User
from onewindow.accounts.selectors import acting_holder
from onewindow.calendar.selectors import add_working_days
from onewindow.cases import clock
from onewindow.cases.choices import FINISHED_STATUSES
from onewindow.cases.demo import KEY_PREFIX
from onewindow.cases.models import Case
from onewindow.core.errors import DomainError

from . import services, tokens
from .models import Rating, Rectification

SEED = 20261130
GOOD_COMMENTS = [
    "窗口人员很耐心，一次就办好了。",
    "材料一次性告知，很清楚。",
    "办理速度快，点赞！",
    "",
    "",
    "",
]
BAD = [  # (level, reasons, comment)
    (2, ["repeat_trips", "notice"], "第一次来没有告知要带原件，跑了两趟。"),
    (1, ["attitude"], "窗口人员态度生硬，问了两遍不耐烦。"),
    (2, ["efficiency", "waiting"], "排队一个多小时，办理很慢。"),
    (2, ["fees"], "不清楚工本费的收费依据。"),
    (1, ["repeat_trips", "efficiency"], "补正材料来回三次才受理。"),
    (2, ["online"], "网上申请页面上传材料总是失败。"),
]
# how far each bad review's rectification has got by today, in order of the reviews
PROGRESS = ["close", "close", "answer", "investigate", "revisit", "none"]


def _counter_staff(case: Case) -> User | None:
    if case.window_id is None:
        return None
    post = (
        Post.objects.filter(window_id=case.window_id, role=Role.ACCEPTOR, active=True)
        .select_related("holder_a", "holder_b")
        .first()
    )
    return acting_holder(post) if post else None


def _head(task: Rectification) -> User | None:
    if task.department_id is None:
        return None
    post = (
        Post.objects.filter(role=Role.DEPT_HEAD, department_id=task.department_id, active=True)
        .select_related("holder_a", "holder_b")
        .first()
    )
    return acting_holder(post) if post else None


def build_ratings(*, end: dt.date | None = None, progress: Any = None) -> int:
    """Rate the finished demo cases. Returns how many ratings were made (0 when they exist)."""
    if Rating.objects.filter(case__submission_key__startswith=KEY_PREFIX).exists():
        return 0
    end = end or clock.today()
    rng = random.Random(SEED)
    supervisor = User.objects.filter(username="jiancha").first()
    cases = list(
        Case.objects.filter(submission_key__startswith=KEY_PREFIX, status__in=FINISHED_STATUSES)
        .select_related("submitted_by", "window", "version")
        .order_by("completed_at", "pk")
    )
    plan: list[tuple[dt.date, int, Callable[[], None]]] = []
    bad_seen = 0

    def at(day: dt.date, order: int, action: Callable[[], None]) -> None:
        if day <= end:
            plan.append((day, order, action))

    for i, case in enumerate(cases):
        if rng.random() < 0.12:  # not everyone rates: unrated cases stay unrated
            continue
        assert case.completed_on is not None
        level, comment = rng.choices([5, 4, 3], [72, 22, 6])[0], ""
        reasons: list[str] = []
        if i % 19 == 7 and bad_seen < len(BAD):
            level, reasons, comment = BAD[bad_seen]
            bad_seen += 1
        elif rng.random() < 0.3:
            comment = rng.choice(GOOD_COMMENTS)
        online = case.submitted_by is not None and case.submitted_by.kind == UserKind.APPLICANT
        roll = rng.random()
        channel = (
            "online"
            if online and roll < 0.5
            else "counter"
            if case.immediate and case.window_id and roll < 0.8
            else "card"
            if roll > 0.95
            else "qr"
        )
        day = add_working_days(case.completed_on, rng.randrange(0, 3))
        at(day, i * 10, _rater(case, "completion", level, reasons, comment, channel, supervisor))
        if case.accepted_on and not case.immediate and rng.random() < 0.3:
            at(
                case.accepted_on,
                i * 10 + 1,
                _rater(case, "acceptance", rng.choice([5, 5, 4]), [], "", "qr", supervisor),
            )
        if level <= 2:
            at(day, i * 10 + 2, _rectify(case, PROGRESS[(bad_seen - 1) % len(PROGRESS)], at, i))
    plan.sort(key=lambda p: (p[0], p[1]))
    done = 0
    while plan:
        day, _order, action = plan.pop(0)
        # a demo path the rules refuse simply stops there
        with clock.simulate(day), contextlib.suppress(DomainError):
            action()
        done += 1
        plan.sort(key=lambda p: (p[0], p[1]))
        if progress is not None:
            progress(done)
    return Rating.objects.filter(case__submission_key__startswith=KEY_PREFIX).count()


def _rater(
    case: Case,
    stage: str,
    level: int,
    reasons: list[str],
    comment: str,
    channel: str,
    supervisor: User | None,
) -> Callable[[], None]:
    def rate() -> None:
        data: dict[str, Any] = {
            "stage": stage,
            "level": level,
            "reasons": reasons,
            "comment": comment,
        }
        if channel == "online" and case.submitted_by is not None:
            services.rate_online(case=case, actor=case.submitted_by, **data)
        elif channel == "counter" and case.window is not None:
            staff = _counter_staff(case)
            if staff is None:
                services.rate_by_token(token=tokens.rating_token(case.pk), **data)
                return
            session = services.counter_session_start(actor=staff, window=case.window)
            services.rate_at_counter(session=session, case=case, **data)
            services.counter_session_end(actor=staff, session=session)
        elif channel == "card" and supervisor is not None:
            services.card_enter(actor=supervisor, case_number=case.number, **data)
        else:
            services.rate_by_token(token=tokens.rating_token(case.pk), **data)

    return rate


def _rectify(
    case: Case,
    goal: str,
    at: Callable[[dt.date, int, Callable[[], None]], None],
    order: int,
) -> Callable[[], None]:
    """Schedule the task's moves after the bad review, as far as `goal`."""
    steps = ["investigate", "answer", "revisit", "close"]
    wanted = [] if goal == "none" else steps[: steps.index(goal) + 1]

    def schedule() -> None:
        task = Rectification.objects.filter(case=case).order_by("-pk").first()
        if task is None:
            return
        head = _head(task)
        supervisor = User.objects.filter(username="jiancha").first()
        texts = {
            "investigate": "经调阅窗口记录并询问当事工作人员，情况基本属实。",
            "answer": "已对当事人员批评教育，完善了一次性告知单，并电话向申请人致歉说明。",
            "revisit": "电话回访申请人，对整改答复表示满意。",
            "close": "整改到位，答复及时，予以办结。",
        }
        for n, step in enumerate(wanted, start=1):
            day = add_working_days(clock.today(), 3 * n)

            def move(step: str = step) -> None:
                fresh = Rectification.objects.get(pk=task.pk)
                if step in ("investigate", "answer") and head is not None:
                    if step == "investigate":
                        services.rectification_investigate(
                            task=fresh, actor=head, finding=texts[step]
                        )
                    else:
                        services.rectification_answer(task=fresh, actor=head, answer=texts[step])
                elif step == "revisit" and supervisor is not None:
                    services.rectification_revisit(
                        task=fresh, actor=supervisor, note=texts[step], satisfied=True
                    )
                elif step == "close" and supervisor is not None:
                    services.rectification_close(task=fresh, actor=supervisor, note=texts[step])

            at(day, order * 10 + 3 + n, move)

    return schedule
