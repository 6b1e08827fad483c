"""A bad review opens a rectification task with a 15-working-day clock; the department head
investigates and answers, the supervisor revisits and closes; every move audited."""

from __future__ import annotations

import datetime as dt

import pytest

from onewindow.audit.models import AuditEntry
from onewindow.cases.choices import TimeState
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed
from onewindow.evaluation import selectors, services, tokens
from onewindow.evaluation.choices import RectificationStatus
from onewindow.evaluation.models import Rectification
from onewindow.notifications.models import Message

from .conftest import Days, seal_case, user

pytestmark = pytest.mark.django_db


def bad_review(level: int = 1) -> Rectification:
    case = seal_case()
    rating = services.rate_by_token(
        token=tokens.rating_token(case.pk),
        stage="completion",
        level=level,
        reasons=["attitude", "repeat_trips"],
        comment="材料让我跑了三趟",
    )
    return Rectification.objects.get(rating=rating)


def test_a_good_or_basic_review_opens_no_task(days: Days) -> None:
    for level in (5, 4, 3):
        case = seal_case()
        services.rate_by_token(token=tokens.rating_token(case.pk), stage="completion", level=level)
    assert not Rectification.objects.exists()


def test_bad_review_lifecycle_with_roles_audit_and_clock(days: Days) -> None:
    task = bad_review(level=2)
    # opened on Monday 2 March 2026: 15 working days → Monday 23 March
    assert task.status == RectificationStatus.ASSIGNED
    assert task.opened_on == dt.date(2026, 3, 2) and task.due == dt.date(2026, 3, 23)
    assert task.department is not None and task.department.name == "青溪县公安局"
    assert selectors.rectification_state(task) == TimeState.NORMAL
    # the department head of the rated department is told
    told = Message.objects.get(topic="evaluation.rectification", object_id=str(task.pk))
    assert told.recipient == user("ga_fzr") and told.channel == "inbox"
    # listed for the department head and the supervisor, not for another department's head
    assert task in selectors.rectifications_for(user("ga_fzr"))
    assert task in selectors.rectifications_for(user("jiancha"))
    assert task not in selectors.rectifications_for(user("scjg_fzr"))

    # only the department head of that department investigates; the supervisor cannot
    with pytest.raises(NotAllowed, match="责任部门负责人"):
        services.rectification_investigate(task=task, actor=user("jiancha"), finding="x")
    with pytest.raises(NotAllowed):
        services.rectification_investigate(task=task, actor=user("scjg_fzr"), finding="x")
    with pytest.raises(InvalidInput, match="请填写调查核实情况") as caught:
        services.rectification_investigate(task=task, actor=user("ga_fzr"), finding=" ")
    assert caught.value.field == "finding"
    # steps cannot be skipped
    with pytest.raises(InvalidTransition, match="不能答复申请人"):
        services.rectification_answer(task=task, actor=user("ga_fzr"), answer="已整改")

    days.working(3)
    task = services.rectification_investigate(
        task=task, actor=user("ga_fzr"), finding="经调阅监控，窗口未一次性告知所需材料。"
    )
    assert task.status == RectificationStatus.INVESTIGATED
    seen = task.revision
    task = services.rectification_answer(
        task=task,
        actor=user("ga_fzr"),
        answer="已对窗口人员批评教育，并完善一次性告知单。",
        expected_revision=seen,
    )
    assert task.status == RectificationStatus.ANSWERED
    answer = Message.objects.get(topic="evaluation.answer", channel="sms")
    assert "完善一次性告知单" in answer.body and answer.phone == "13900000013"
    # a stale page loses
    with pytest.raises(InvalidTransition, match="刚刚已被他人处理"):
        services.rectification_revisit(
            task=task, actor=user("jiancha"), note="x", satisfied=True, expected_revision=seen
        )
    with pytest.raises(NotAllowed, match="中心监察员"):
        services.rectification_revisit(task=task, actor=user("ga_fzr"), note="回访", satisfied=True)
    with pytest.raises(InvalidInput, match="请选择回访结果"):
        services.rectification_revisit(
            task=task, actor=user("jiancha"), note="回访", satisfied=None
        )

    days.working(20)  # past the limit: the clock shows it
    assert selectors.rectification_state(task) == TimeState.OVERDUE
    task = services.rectification_revisit(
        task=task, actor=user("jiancha"), note="电话回访，申请人表示满意。", satisfied=True
    )
    assert task.status == RectificationStatus.REVISITED
    task = services.rectification_close(task=task, actor=user("jiancha"), note="整改到位，办结。")
    assert task.status == RectificationStatus.CLOSED and task.closed_on == days.on
    assert not task.is_open
    # closed: off the open list, the clock frozen at the day it closed
    assert task not in selectors.rectifications_for(user("jiancha"))
    assert task in selectors.rectifications_for(user("jiancha"), open_only=False)
    assert selectors.rectification_state(task) == TimeState.OVERDUE
    assert selectors.rectification_left(task) is None
    with pytest.raises(InvalidTransition, match="已办结"):
        services.rectification_close(task=task, actor=user("jiancha"), note="again")

    actions = list(
        AuditEntry.objects.filter(
            action__startswith="evaluation.rectification", object_id=str(task.pk)
        )
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "evaluation.rectification.open",
        "evaluation.rectification.investigate",
        "evaluation.rectification.answer",
        "evaluation.rectification.revisit",
        "evaluation.rectification.close",
    ]
    roles = set(
        AuditEntry.objects.filter(
            action__startswith="evaluation.rectification.", object_id=str(task.pk)
        )
        .exclude(action="evaluation.rectification.open")
        .values_list("role", flat=True)
    )
    assert roles == {"dept_head", "supervisor"}


def test_the_clock_warns_near_the_deadline(days: Days) -> None:
    task = bad_review()
    assert selectors.rectification_left(task) == 15
    days.working(13)
    assert selectors.rectification_state(task) == TimeState.WARNING
    days.working(3)
    assert selectors.rectification_state(task) == TimeState.OVERDUE


def test_an_unsatisfied_revisit_sends_the_task_back_for_a_second_round(days: Days) -> None:
    task = bad_review()
    due = task.due
    head, centre = user("ga_fzr"), user("jiancha")
    task = services.rectification_investigate(task=task, actor=head, finding="第一轮核实")
    task = services.rectification_answer(task=task, actor=head, answer="第一轮答复")
    # satisfied revisits cannot be sent back; nor can a task before its revisit
    with pytest.raises(InvalidTransition, match="不能退回重新整改"):
        services.rectification_rework(task=task, actor=centre, reason="x")
    task = services.rectification_revisit(
        task=task, actor=centre, note="申请人仍不满意：材料清单还是不全", satisfied=False
    )
    assert services.may_take(centre, task, "rework") and services.may_take(centre, task, "close")
    assert not services.may_take(head, task, "rework")
    with pytest.raises(NotAllowed):
        services.rectification_rework(task=task, actor=head, reason="x")
    with pytest.raises(InvalidInput) as caught:
        services.rectification_rework(task=task, actor=centre, reason="  ")
    assert caught.value.field == "rework_reason"
    seen = task.revision
    days.working(2)
    task = services.rectification_rework(
        task=task, actor=centre, reason="请重新核对告知单", expected_revision=seen
    )
    # the round is kept, the task is assigned again, the clock runs on from the same due date
    assert task.status == RectificationStatus.ASSIGNED and task.is_open and task.due == due
    assert task.finding == task.answer == task.revisit_note == ""
    assert task.revisit_satisfied is None and task.investigated_at is None
    [first] = task.rounds
    assert first["finding"] == "第一轮核实" and first["answer"] == "第一轮答复"
    assert first["reason"] == "请重新核对告知单" and first["returned_by"] == centre.name
    assert first["investigated_by"] == head.name
    told = Message.objects.filter(topic="evaluation.rework", object_id=str(task.pk))
    assert [m.recipient for m in told] == [head]
    # a stale page loses; a satisfied second round closes
    with pytest.raises(InvalidTransition, match="刚刚已被他人处理"):
        services.rectification_rework(task=task, actor=centre, reason="x", expected_revision=seen)
    task = services.rectification_investigate(task=task, actor=head, finding="第二轮核实")
    task = services.rectification_answer(task=task, actor=head, answer="第二轮答复")
    task = services.rectification_revisit(task=task, actor=centre, note="满意", satisfied=True)
    assert not services.may_take(centre, task, "rework")
    with pytest.raises(InvalidTransition, match="满意的整改任务不能退回"):
        services.rectification_rework(task=task, actor=centre, reason="x")
    task = services.rectification_close(task=task, actor=centre, note="办结")
    assert task.status == RectificationStatus.CLOSED and len(task.rounds) == 1
    rework = AuditEntry.objects.get(action="evaluation.rectification.rework")
    assert rework.role == "supervisor" and str(rework.object_id) == str(task.pk)
