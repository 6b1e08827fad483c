"""Writes of 好差评: ratings by every channel, the invitation after completion, the counter's
tablet sessions, and the rectification (差评整改) task's transitions.

A rating is created once per case and stage and never changed: there is no update service, and
the model refuses updates (see models.py). Every write records an audit entry in its own
transaction; messages go out after the commit (`notify`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from onewindow.accounts.choices import Role, UserKind
from onewindow.accounts.models import Post, User
from onewindow.accounts.selectors import (
    acting_holder,
    acting_posts,
    audit_role,
    has_permission,
    jurisdiction,
)
from onewindow.audit.services import audit_export, audit_record
from onewindow.cases import clock
from onewindow.cases.models import Case
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from onewindow.org.models import Department, Window

from . import selectors, tokens
from .choices import (
    BAD_LEVELS,
    REASONS,
    RECTIFICATION_WORKING_DAYS,
    Level,
    RatingChannel,
    RectificationStatus,
    Stage,
)
from .models import CounterSession, Rating, Rectification

COMMENT_MAX = 500
TEXT_MAX = 2000
INVITE_TOPIC = "evaluation.invite"


# -- input ---------------------------------------------------------------------------------------


def _level(value: Any) -> Level:
    text = str(value if value is not None else "").strip()
    if not text:
        raise InvalidInput(
            "请选择评价等级：非常满意、满意、基本满意、不满意或非常不满意。", field="level"
        )
    try:
        return Level(int(text))
    except ValueError as exc:
        raise InvalidInput(
            f"评价等级“{text}”无效，请在非常满意、满意、基本满意、不满意、非常不满意中选择一项。",
            field="level",
        ) from exc


def _stage(value: Any) -> Stage:
    try:
        return Stage(str(value or "").strip())
    except ValueError as exc:
        raise InvalidInput(
            f"评价环节“{value}”无效，应为受理环节（acceptance）或办结环节（completion）。",
            field="stage",
        ) from exc


def _reasons(values: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    unknown = [v for v in chosen if v not in REASONS]
    if unknown:
        raise InvalidInput(
            f"未知的评价原因：{'、'.join(unknown)}。可选：{'、'.join(REASONS.values())}。",
            field="reasons",
        )
    return chosen


def _comment(value: str) -> str:
    text = (value or "").strip()
    if len(text) > COMMENT_MAX:
        raise InvalidInput(
            f"意见建议最多 {COMMENT_MAX} 字，现有 {len(text)} 字，请删减后再提交。", field="comment"
        )
    return text


def _text(value: str, *, field: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"请填写{what}。", field=field)
    if len(text) > TEXT_MAX:
        raise InvalidInput(f"{what}最多 {TEXT_MAX} 字，请删减。", field=field)
    return text


# -- ratings -------------------------------------------------------------------------------------


def _lock_case(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("version", "region", "window__department", "department")
        .get(pk=case.pk)
    )


def _rated_staff(case: Case, stage: Stage) -> User | None:
    if stage == Stage.ACCEPTANCE:
        return case.accepted_by
    return selectors.finisher(case)


def _check_stage(case: Case, stage: Stage) -> None:
    if not selectors.stage_ready(case, stage):
        if stage == Stage.COMPLETION:
            raise InvalidTransition(
                f"办件 {case.number} 当前为“{case.get_status_display()}”，尚未办结，"
                "不能进行办结评价" + ("；可先对受理环节进行评价。" if case.accepted_at else "。"),
                field="stage",
            )
        raise InvalidTransition(f"办件 {case.number} 尚未受理，不能进行受理评价。", field="stage")
    done = Rating.objects.filter(case=case, stage=stage).first()
    if done is not None:
        raise InvalidTransition(
            f"办件 {case.number} 的{stage.label}已于 {timezone.localtime(done.rated_at):%Y-%m-%d} "
            f"通过{done.get_channel_display()}评价；每个环节只能评价一次，评价提交后不能修改。",
            field="stage",
            code="conflict",
        )


def _create(
    *,
    case: Case | None,
    stage: Stage,
    level: Level,
    channel: str,
    reasons: list[str],
    comment: str,
    actor: User | None,
    role: str,
    rated_by: User | None = None,
    entered_by: User | None = None,
    session: CounterSession | None = None,
    window: Window | None = None,
    department: Department | None = None,
) -> Rating:
    """Inside the caller's atomic block: the rating, its audit entry, and for a bad review the
    rectification task."""
    now, today = clock.now(), clock.today()
    if case is not None:
        window = case.window
        department = (window.department if window else None) or case.department
        region = case.region
        staff = _rated_staff(case, stage)
    else:
        assert window is not None
        region = window.service_point.region
        department = window.department or department
        staff = None
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                case=case,
                stage=stage,
                level=level,
                channel=channel,
                reasons=reasons,
                comment=comment,
                region=region,
                region_path=region.path,
                department=department,
                window=window,
                staff=staff,
                rated_by=rated_by,
                entered_by=entered_by,
                counter_session=session,
                rated_at=now,
                rated_on=today,
            )
    except IntegrityError as exc:  # the same stage rated at the same moment elsewhere
        raise InvalidTransition(
            f"该办件的{stage.label}刚刚已评价；每个环节只能评价一次。",
            field="stage",
            code="conflict",
        ) from exc
    where = case.number if case is not None else f"{window.name if window else ''}（评价卡）"
    audit_record(
        action="evaluation.rate",
        actor=actor,
        role=role,
        obj=rating,
        summary=f"{where} {stage.label} {channel} {level.label}",
        after={
            "case": case.number if case is not None else None,
            "stage": stage.value,
            "level": int(level),
            "channel": channel,
            "reasons": reasons,
            "window": window.pk if window else None,
            "staff": staff.pk if staff else None,
        },
    )
    if level in BAD_LEVELS:
        _open_rectification(rating, actor=actor, role=role)
    return rating


def rate_by_token(
    *,
    token: str,
    stage: str,
    level: Any,
    reasons: Iterable[str] = (),
    comment: str = "",
) -> Rating:
    """扫码评: anyone holding the receipt's (or the invitation's) signed link rates the case."""
    case_id = tokens.case_id_from(token)
    level_, stage_ = _level(level), _stage(stage)
    reasons_, comment_ = _reasons(reasons), _comment(comment)
    with transaction.atomic():
        try:
            case = _lock_case(Case(pk=case_id))
        except Case.DoesNotExist as exc:
            raise NotFound("评价二维码对应的办件不存在。", field="token") from exc
        _check_stage(case, stage_)
        return _create(
            case=case,
            stage=stage_,
            level=level_,
            channel=RatingChannel.QR,
            reasons=reasons_,
            comment=comment_,
            actor=None,
            role="applicant",
        )


def rate_online(
    *,
    case: Case,
    actor: User,
    stage: str,
    level: Any,
    reasons: Iterable[str] = (),
    comment: str = "",
) -> Rating:
    """网上评: the signed-in applicant rates their own case."""
    level_, stage_ = _level(level), _stage(stage)
    reasons_, comment_ = _reasons(reasons), _comment(comment)
    with transaction.atomic():
        case = _lock_case(case)
        if actor.kind != UserKind.APPLICANT or case.submitted_by_id != actor.pk:
            raise NotAllowed("只能评价本人提交的办件。")
        _check_stage(case, stage_)
        return _create(
            case=case,
            stage=stage_,
            level=level_,
            channel=RatingChannel.ONLINE,
            reasons=reasons_,
            comment=comment_,
            actor=actor,
            role="applicant",
            rated_by=actor,
        )


def rate_at_counter(
    *,
    session: CounterSession,
    case: Case,
    stage: str,
    level: Any,
    reasons: Iterable[str] = (),
    comment: str = "",
) -> Rating:
    """即时评: the applicant taps a level on the tablet of an open window session. The case must
    have been accepted at that window."""
    level_, stage_ = _level(level), _stage(stage)
    reasons_, comment_ = _reasons(reasons), _comment(comment)
    with transaction.atomic():
        session = CounterSession.objects.select_for_update().get(pk=session.pk)
        if session.ended_at is not None:
            raise InvalidTransition("评价器已签退，请工作人员重新签到窗口。", code="conflict")
        case = _lock_case(case)
        if case.window_id != session.window_id:
            raise NotAllowed(f"办件 {case.number} 不是在本窗口受理的，不能在本评价器上评价。")
        _check_stage(case, stage_)
        return _create(
            case=case,
            stage=stage_,
            level=level_,
            channel=RatingChannel.COUNTER,
            reasons=reasons_,
            comment=comment_,
            actor=None,
            role="applicant",
            entered_by=session.staff,
            session=session,
        )


def card_enter(
    *,
    actor: User,
    level: Any,
    case_number: str = "",
    stage: str = Stage.COMPLETION,
    window: Window | None = None,
    department: Department | None = None,
    reasons: Iterable[str] = (),
    comment: str = "",
) -> Rating:
    """卡片评: staff enter an anonymous paper card as written. A card may name the case (then it
    counts for that case's stage, once) or only the window."""
    if not has_permission(actor, "evaluation.enter_card"):
        raise NotAllowed("您的岗位不能录入评价卡。")
    level_, stage_ = _level(level), _stage(stage)
    reasons_, comment_ = _reasons(reasons), _comment(comment)
    role = audit_role(actor, "evaluation.enter_card")
    reach = jurisdiction(actor, permission="evaluation.enter_card")
    number = (case_number or "").strip()
    with transaction.atomic():
        case = None
        if number:
            found = (
                Case.objects.filter(number=number).only("pk", "region_path", "department").first()
            )
            if found is None or not reach.covers(found.region_path, found.department_id):
                raise NotFound(
                    f"没有找到办件编号“{number}”，请核对评价卡上的编号；"
                    "编号不清可留空，只选择窗口。",
                    field="case_number",
                )
            case = _lock_case(found)
            _check_stage(case, stage_)
        else:
            if window is None:
                raise InvalidInput("评价卡没有办件编号时，请选择被评价的窗口。", field="window")
            window = Window.objects.select_related("service_point__region", "department").get(
                pk=window.pk
            )
            if not reach.covers(window.service_point.region.path, window.department_id):
                raise NotFound("没有找到该窗口。", field="window")
            if window.department_id is None and department is None:
                raise InvalidInput(
                    f"“{window.name}”是综合窗口，请选择评价卡所评业务的部门。", field="department"
                )
        return _create(
            case=case,
            stage=stage_,
            level=level_,
            channel=RatingChannel.CARD,
            reasons=reasons_,
            comment=comment_,
            actor=actor,
            role=role,
            entered_by=actor,
            window=window,
            department=department,
        )


def rating_invite(case: Case) -> None:
    """The invitation to rate, queued when a case finishes (called by cases.messages inside the
    finishing transaction; `notify` delivers after the commit). At most one per case."""
    from django.contrib.contenttypes.models import ContentType

    from onewindow.notifications.models import Message
    from onewindow.notifications.services import notify

    about = ContentType.objects.get_for_model(case)
    if Message.objects.filter(
        content_type=about, object_id=str(case.pk), topic=INVITE_TOPIC
    ).exists():
        return
    # a whole address when the site's public address is configured (the SMS carries it)
    base = str(getattr(settings, "ONEWINDOW_PUBLIC_URL", "") or "").rstrip("/")
    link = f"{base}{tokens.rating_path(case.pk)}"
    # the applicant's own account when they applied online (a walk-in case is submitted by the
    # acceptor: the invitation then goes by SMS to the phone given at the counter)
    submitter = case.submitted_by
    applicant_user = submitter if submitter and submitter.kind == UserKind.APPLICANT else None
    notify(
        topic=INVITE_TOPIC,
        subject="请为本次办事服务评价",
        body=(
            f"您的“{case.version.name}”（{case.number}）已办结。请对本次服务作出评价"
            "（非常满意、满意、基本满意、不满意、非常不满意），您的评价对被评价工作人员匿名。"
        ),
        recipient=applicant_user,
        phone=case.applicant_phone,
        link=link,
        obj=case,
    )


# -- the counter's tablet ------------------------------------------------------------------------


def counter_session_start(*, actor: User, window: Window) -> CounterSession:
    """The staff member signs the tablet into their window (one of their acting posts' windows);
    a session they left open elsewhere is ended."""
    if not has_permission(actor, "evaluation.counter"):
        raise NotAllowed("您的岗位不能使用窗口评价器。")
    windows = {ap.post.window_id for ap in acting_posts(actor) if ap.post.window_id}
    if window.pk not in windows:
        raise NotAllowed(f"您不在“{window.name}”岗位上，不能为该窗口签到评价器。")
    now = clock.now()
    with transaction.atomic():
        left_open = CounterSession.objects.select_for_update().filter(
            staff=actor, ended_at__isnull=True
        )
        ended = list(left_open.values_list("pk", flat=True))
        left_open.update(ended_at=now)
        session = CounterSession.objects.create(window=window, staff=actor, started_at=now)
        audit_record(
            action="evaluation.counter.start",
            actor=actor,
            role=audit_role(actor, "evaluation.counter"),
            obj=session,
            summary=f"评价器签到 {window.name}",
            after={"window": window.pk, "ended_sessions": ended},
        )
    return session


def counter_session_end(*, actor: User, session: CounterSession) -> CounterSession:
    with transaction.atomic():
        session = CounterSession.objects.select_for_update().get(pk=session.pk)
        if session.staff_id != actor.pk:
            raise NotAllowed("只能由签到的工作人员签退评价器。")
        if session.ended_at is None:
            session.ended_at = clock.now()
            session.save(update_fields=["ended_at"])
            audit_record(
                action="evaluation.counter.end",
                actor=actor,
                role=audit_role(actor, "evaluation.counter"),
                obj=session,
                summary=f"评价器签退 {session.window}",
            )
    return session


# -- rectification (差评整改) --------------------------------------------------------------------


def _heads(department: Department | None) -> list[User]:
    if department is None:
        return []
    posts = Post.objects.filter(role=Role.DEPT_HEAD, department=department, active=True)
    return [acting_holder(p) for p in posts.select_related("holder_a", "holder_b")]


def _open_rectification(rating: Rating, *, actor: User | None, role: str) -> Rectification:
    from onewindow.cases.clock import WORKING_DAYS, due_date
    from onewindow.notifications.services import notify

    today = clock.today()
    task = Rectification.objects.create(
        rating=rating,
        case=rating.case,
        region=rating.region,
        region_path=rating.region_path,
        department=rating.department,
        window=rating.window,
        staff=rating.staff,
        opened_at=clock.now(),
        opened_on=today,
        limit=RECTIFICATION_WORKING_DAYS,
        due=due_date(today, RECTIFICATION_WORKING_DAYS, WORKING_DAYS),
    )
    audit_record(
        action="evaluation.rectification.open",
        actor=actor,
        role=role,
        obj=task,
        summary=f"差评整改下达（{rating.get_level_display()}），期限 {task.due}",
        after={"rating": rating.pk, "due": str(task.due), "department": task.department_id},
    )
    link = reverse("evaluation:rectification", args=[task.pk])
    where = task.window.name if task.window else "窗口"
    for head in _heads(task.department):
        notify(
            topic="evaluation.rectification",
            subject="收到差评，请在 15 个工作日内整改答复",
            body=(
                f"{where}收到一条“{rating.get_level_display()}”评价，已下达差评整改任务，"
                f"请于 {task.due:%Y年%m月%d日} 前调查核实、答复申请人。"
                if task.due
                else f"{where}收到一条“{rating.get_level_display()}”评价，已下达差评整改任务。"
            ),
            recipient=head,
            link=link,
            obj=task,
            channels=["inbox"],
        )
    return task


# (permission, from state, to state, label)
TRANSITIONS: dict[str, tuple[str, str, str, str]] = {
    "investigate": (
        "rectification.handle",
        RectificationStatus.ASSIGNED,
        RectificationStatus.INVESTIGATED,
        "调查核实",
    ),
    "answer": (
        "rectification.handle",
        RectificationStatus.INVESTIGATED,
        RectificationStatus.ANSWERED,
        "答复申请人",
    ),
    "revisit": (
        "rectification.review",
        RectificationStatus.ANSWERED,
        RectificationStatus.REVISITED,
        "回访",
    ),
    "close": (
        "rectification.review",
        RectificationStatus.REVISITED,
        RectificationStatus.CLOSED,
        "办结",
    ),
    "rework": (
        "rectification.review",
        RectificationStatus.REVISITED,
        RectificationStatus.ASSIGNED,
        "退回重新整改",
    ),
}


def may_take(actor: User, task: Rectification, operation: str) -> bool:
    """Whether the actor's role and jurisdiction allow `operation` on the task now."""
    permission, source, _target, _label = TRANSITIONS[operation]
    if task.status != source:
        return False
    if operation == "rework" and task.revisit_satisfied is not False:
        return False
    reach = jurisdiction(actor, permission=permission)
    if permission == "rectification.handle":
        return task.department_id is not None and reach.covers(task.region_path, task.department_id)
    return reach.covers(task.region_path, task.department_id)


def _transition(
    *, task: Rectification, actor: User, operation: str, expected_revision: int | None
) -> tuple[Rectification, str]:
    permission, source, target, label = TRANSITIONS[operation]
    task = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("case__version", "rating", "window")
        .get(pk=task.pk)
    )
    if expected_revision is not None and task.revision != expected_revision:
        raise InvalidTransition(
            f"该整改任务刚刚已被他人处理（当前：{task.get_status_display()}），请刷新后再操作。",
            code="conflict",
        )
    if task.status != source:
        raise InvalidTransition(
            f"整改任务当前为“{task.get_status_display()}”，不能{label}"
            f"（{label}须在“{RectificationStatus(source).label}”之后）。",
            code="conflict",
        )
    if operation == "rework" and task.revisit_satisfied is not False:
        raise InvalidTransition("回访时申请人表示满意的整改任务不能退回重新整改。", code="conflict")
    if not may_take(actor, task, operation):
        who = "责任部门负责人" if permission == "rectification.handle" else "中心监察员"
        raise NotAllowed(f"“{label}”由{who}办理，您的岗位不能办理该整改任务。")
    task.status = target
    return task, audit_role(actor, permission)


def _finish_transition(
    task: Rectification, actor: User, role: str, operation: str, fields: list[str], **extra: Any
) -> None:
    task.revision += 1
    task.save(update_fields=[*fields, "status", "revision"])
    audit_record(
        action=f"evaluation.rectification.{operation}",
        actor=actor,
        role=role,
        obj=task,
        summary=f"差评整改 {task.pk}：{TRANSITIONS[operation][3]}",
        after={"status": task.status, **extra},
    )


def rectification_investigate(
    *, task: Rectification, actor: User, finding: str, expected_revision: int | None = None
) -> Rectification:
    """The department head records what the investigation found."""
    text = _text(finding, field="finding", what="调查核实情况")
    with transaction.atomic():
        task, role = _transition(
            task=task, actor=actor, operation="investigate", expected_revision=expected_revision
        )
        task.finding, task.investigated_at, task.investigated_by = text, clock.now(), actor
        _finish_transition(
            task, actor, role, "investigate", ["finding", "investigated_at", "investigated_by"]
        )
    return task


def rectification_answer(
    *, task: Rectification, actor: User, answer: str, expected_revision: int | None = None
) -> Rectification:
    """The department head answers the applicant; the answer goes to the case's applicant after
    the commit (an anonymous card that named no case has no one to send it to)."""
    from onewindow.cases.messages import tell

    text = _text(answer, field="answer", what="答复申请人的内容")
    with transaction.atomic():
        task, role = _transition(
            task=task, actor=actor, operation="answer", expected_revision=expected_revision
        )
        task.answer, task.answered_at, task.answered_by = text, clock.now(), actor
        _finish_transition(task, actor, role, "answer", ["answer", "answered_at", "answered_by"])
        if task.case is not None:
            tell(
                task.case,
                "evaluation.answer",
                "关于您评价的整改答复",
                f"您对“{task.case.version.name}”（{task.case.number}）的评价已收到，"
                f"整改答复如下：{text}",
            )
    return task


def rectification_revisit(
    *,
    task: Rectification,
    actor: User,
    note: str,
    satisfied: bool | None,
    expected_revision: int | None = None,
) -> Rectification:
    """The supervisor calls the applicant back (回访) and records whether they are satisfied."""
    text = _text(note, field="revisit_note", what="回访情况")
    if satisfied is None:
        raise InvalidInput("请选择回访结果：申请人对整改是否满意。", field="revisit_satisfied")
    with transaction.atomic():
        task, role = _transition(
            task=task, actor=actor, operation="revisit", expected_revision=expected_revision
        )
        task.revisit_note, task.revisit_satisfied = text, satisfied
        task.revisited_at, task.revisited_by = clock.now(), actor
        _finish_transition(
            task,
            actor,
            role,
            "revisit",
            ["revisit_note", "revisit_satisfied", "revisited_at", "revisited_by"],
            satisfied=satisfied,
        )
    return task


def rectification_close(
    *, task: Rectification, actor: User, note: str, expected_revision: int | None = None
) -> Rectification:
    """The supervisor closes the task; it leaves the open list, its clock stops."""
    text = _text(note, field="closing_note", what="办结意见")
    with transaction.atomic():
        task, role = _transition(
            task=task, actor=actor, operation="close", expected_revision=expected_revision
        )
        task.closing_note, task.closed_at, task.closed_on = text, clock.now(), clock.today()
        task.closed_by = actor
        _finish_transition(
            task,
            actor,
            role,
            "close",
            ["closing_note", "closed_at", "closed_on", "closed_by"],
            on_time=bool(task.due and task.closed_on and task.closed_on <= task.due),
        )
    return task


def rectification_rework(
    *, task: Rectification, actor: User, reason: str, expected_revision: int | None = None
) -> Rectification:
    """The supervisor sends a task whose revisit found the applicant unsatisfied back to the
    department (退回重新整改): the round is kept in `rounds`, the task is assigned again, and its
    clock runs on from the original due date (a second round is no reason for more time)."""
    text = _text(reason, field="rework_reason", what="退回理由")
    with transaction.atomic():
        task, role = _transition(
            task=task, actor=actor, operation="rework", expected_revision=expected_revision
        )
        done = {
            "finding": task.finding,
            "investigated_at": _stamp(task.investigated_at),
            "investigated_by": _name(task.investigated_by),
            "answer": task.answer,
            "answered_at": _stamp(task.answered_at),
            "answered_by": _name(task.answered_by),
            "revisit_note": task.revisit_note,
            "revisited_at": _stamp(task.revisited_at),
            "revisited_by": _name(task.revisited_by),
            "reason": text,
            "returned_at": _stamp(clock.now()),
            "returned_by": actor.name,
        }
        task.rounds = [*task.rounds, done]
        task.finding = task.answer = task.revisit_note = ""
        task.investigated_at = task.answered_at = task.revisited_at = None
        task.investigated_by = task.answered_by = task.revisited_by = None
        task.revisit_satisfied = None
        _finish_transition(
            task,
            actor,
            role,
            "rework",
            [
                "rounds",
                "finding",
                "investigated_at",
                "investigated_by",
                "answer",
                "answered_at",
                "answered_by",
                "revisit_note",
                "revisit_satisfied",
                "revisited_at",
                "revisited_by",
            ],
            round=len(task.rounds) + 1,
            reason=text,
        )
        from onewindow.notifications.services import notify

        for head in _heads(task.department):
            notify(
                topic="evaluation.rework",
                subject=f"差评整改退回重新整改（第 {len(task.rounds) + 1} 轮）",
                body=f"回访申请人不满意，整改任务 {task.pk} 退回重新整改：{text}"
                f"（整改期限 {task.due or '待定'}）。",
                recipient=head,
                link=reverse("evaluation:rectification", args=[task.pk]),
                obj=task,
                channels=["inbox"],
            )
    return task


def _stamp(value: Any) -> str:
    """A moment as the pages show it, in the centre's time zone."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _name(user: User | None) -> str:
    return user.name if user is not None else ""


OPERATIONS = {
    "investigate": rectification_investigate,
    "answer": rectification_answer,
    "revisit": rectification_revisit,
    "close": rectification_close,
    "rework": rectification_rework,
}


def export_record(
    *,
    actor: User,
    table: str,
    permission: str,
    rows: int,
    filters: dict[str, str] | None = None,
    capped: bool = False,
) -> None:
    """An Excel export of a 好差评 list is a disclosure: on record, who took which list with
    which filters, and how many rows it held (as the statistics' exports are)."""
    audit_export(
        action="evaluation.export",
        actor=actor,
        role=audit_role(actor, permission),
        kind="好差评表",
        table=table,
        rows=rows,
        filters=filters,
        capped=capped,
    )
