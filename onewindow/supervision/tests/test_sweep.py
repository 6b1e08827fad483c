"""The sweep and the escalation ladder over simulated working days: a case's review step turns
yellow, then red, and climbs the ladder — holder (the B post, since A is absent), department
head, centre supervisor — each notice exactly once although the sweep runs twice a day."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command

from onewindow.audit.models import AuditEntry
from onewindow.cases import clock
from onewindow.cases.models import Step
from onewindow.cases.selectors import case_clocks, step_state
from onewindow.notifications.models import Message
from onewindow.supervision import selectors, services
from onewindow.supervision.models import ClockAlert, Escalation, EscalationRule, Sweep

from .conftest import MONDAY, sweep, user, walk_in

pytestmark = pytest.mark.django_db


def rungs(step: Step) -> list[tuple[int, list[str]]]:
    return [
        (e.level, sorted(r["name"] for r in e.recipients))
        for e in Escalation.objects.filter(alert__step=step).order_by("level")
    ]


def test_the_ladder_over_simulated_days_each_notice_once() -> None:
    case = walk_in()  # accepted Monday 2 March: review 4 working days → due Friday 6 March
    review = case.steps.get(state_key="review")
    assert review.due == dt.date(2026, 3, 6)
    assert case.promised_due == dt.date(2026, 3, 9)
    sp2, head, supervisor = user("scjg_sp2"), user("scjg_fzr"), user("jiancha")

    def twice(day: dt.date) -> None:
        first = sweep(day)
        second = sweep(day)
        assert second.alerts == 0 and second.notices == 0, day  # nothing new the second time
        assert first.sweep.pk != second.sweep.pk

    twice(MONDAY)
    assert not ClockAlert.objects.filter(case=case).exists()

    twice(dt.date(2026, 3, 5))  # one working day left of the review: yellow
    assert set(ClockAlert.objects.filter(step=review).values_list("state", flat=True)) == {
        "warning"
    }
    assert rungs(review) == [(1, [str(sp2)])]  # scjg_sp1 is away: his B holder is told

    twice(dt.date(2026, 3, 9))  # the review's due date has passed: red, the holder is told
    assert rungs(review) == [(1, [str(sp2)]), (2, [str(sp2)])]

    twice(dt.date(2026, 3, 10))  # two working days overdue: the department head
    assert rungs(review) == [(1, [str(sp2)]), (2, [str(sp2)]), (3, [str(head)])]

    twice(dt.date(2026, 3, 13))  # five working days overdue: the centre's supervisor
    assert rungs(review) == [
        (1, [str(sp2)]),
        (2, [str(sp2)]),
        (3, [str(head)]),
        (4, [str(supervisor)]),
    ]
    twice(dt.date(2026, 3, 16))  # nothing further to climb
    assert len(rungs(review)) == 4

    # the case's own clocks were recorded too, each event once
    case_alerts = Counter(
        ClockAlert.objects.filter(case=case, step__isnull=True).values_list("clock", "state")
    )
    assert case_alerts == Counter(
        {("promised", "warning"): 1, ("promised", "overdue"): 1, ("statutory", "warning"): 1}
    )
    # every rung once per clock, and one inbox message per recipient of each rung
    per_rung = Counter(
        (e.alert.clock, e.level) for e in Escalation.objects.filter(alert__case=case)
    )
    assert all(n == 1 for n in per_rung.values())
    inbox = Message.objects.filter(topic__startswith="supervision.", channel="inbox")
    assert inbox.count() == sum(len(e.recipients) for e in Escalation.objects.all())
    assert inbox.filter(recipient=supervisor).count() == Escalation.objects.filter(level=4).count()
    body = inbox.filter(recipient=supervisor, object_id=str(case.pk)).first()
    assert body is not None and case.number in body.body and "已超期" in body.body
    # the sweep's writes are on the audit log
    assert AuditEntry.objects.filter(action="supervision.escalate").count() == (
        Escalation.objects.count()
    )
    assert AuditEntry.objects.filter(action="supervision.alert.record").exists()


def test_catches_up_after_downtime_and_commands_run_once() -> None:
    case = walk_in()
    review = case.steps.get(state_key="review")
    # no sweep ran for two weeks: the first one records the red state and climbs every rung
    # already due, in one go; the warning that passed unseen is not sent late
    result = sweep(dt.date(2026, 3, 13))
    assert result.alerts >= 1
    assert [lvl for lvl, _ in rungs(review)] == [2, 3, 4]
    assert not ClockAlert.objects.filter(step=review, state="warning").exists()
    before = Message.objects.count()
    with clock.simulate(dt.date(2026, 3, 13)):
        call_command("supervise", "--day", "2026-03-13", "--quiet", stdout=_Sink())
    assert Message.objects.count() == before
    assert Sweep.objects.count() == 2


class _Sink:
    def write(self, text: str) -> None:
        self.text = text

    def flush(self) -> None:
        pass


def test_small_chunks_give_the_same_result() -> None:
    cases = [walk_in() for _ in range(3)]
    result = sweep(dt.date(2026, 3, 13), chunk_size=1)
    assert result.clocks == ClockAlert.objects.count() == result.alerts
    for case in cases:
        review = case.steps.get(state_key="review")
        assert [lvl for lvl, _ in rungs(review)] == [2, 3, 4]
    assert sweep(dt.date(2026, 3, 13), chunk_size=2).notices == 0


def test_the_ladder_is_data(as_user) -> None:  # type: ignore[no-untyped-def]
    """The supervisor moves the department head's rung to the first overdue day; a department
    head cannot change the ladder; a bad template is refused with a message naming it."""
    rule = EscalationRule.objects.get(level=3)
    with pytest.raises(services.NotAllowed):
        services.escalation_rule_save(
            actor=user("scjg_fzr"),
            rule=rule,
            level=3,
            state="overdue",
            after_days=1,
            role="dept_head",
            template=rule.template,
        )
    with pytest.raises(services.InvalidInput, match=r"占位符 \{who\}"):
        services.escalation_rule_save(
            actor=user("jiancha"),
            rule=rule,
            level=3,
            state="overdue",
            after_days=1,
            role="dept_head",
            template="请督办 {who}",
        )
    client = as_user("jiancha")
    response = client.post(
        "/workbench/supervision/ladder/",
        {
            "rule": rule.pk,
            "level": "3",
            "state": "overdue",
            "after_days": "1",
            "role": "dept_head",
            "template": "请督办 {number}，已超期 {days} 个工作日。",
            "active": "1",
        },
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="supervision.rule.save").exists()
    case = walk_in()
    review = case.steps.get(state_key="review")
    sweep(dt.date(2026, 3, 9))  # one working day overdue: now already the head
    assert [lvl for lvl, _ in rungs(review)] == [2, 3]
    assert Message.objects.filter(
        recipient=user("scjg_fzr"), channel="inbox", body__startswith="请督办 " + case.number
    ).exists()
    page = as_user("scjg_fzr").post("/workbench/supervision/ladder/", {"level": "9"})
    assert page.status_code == 400 and "只有中心电子监察岗" in page.content.decode()


@pytest.mark.parametrize("day", [dt.date(2026, 3, d) for d in (2, 4, 5, 6, 9, 10, 13, 16, 20)])
def test_database_states_agree_with_the_clock(day: dt.date) -> None:
    """The board's SQL time states equal cases.clock.time_state for every clock, every day."""
    walk_in()
    walk_in(on=dt.date(2026, 3, 4))
    walk_in("003003003000", answers=None, actor="zc02", on=dt.date(2026, 3, 3))
    jiancha = user("jiancha")
    filters = selectors.BoardFilters()
    for case in selectors.board_cases(jiancha, filters, day):
        promised, statutory = case_clocks(case, day)
        assert (case.promised_state, case.statutory_state) == (promised.state, statutory.state)
    for step in selectors.board_steps(jiancha, filters, day):
        assert step.state == step_state(step, day)
