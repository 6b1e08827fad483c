"""The board: scoped to the viewer's jurisdiction, filters checked with clear messages, red
first, a fixed number of queries however many cases there are, the drill-down with names."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onewindow.cases import clock, services
from onewindow.supervision import selectors

from .conftest import user, walk_in

pytestmark = pytest.mark.django_db

ID_CARD = "003003003000"  # 居民身份证 (公安)
BOARD = "/workbench/supervision/"


@pytest.fixture
def two_departments() -> tuple:  # type: ignore[type-arg]
    food = walk_in()
    id_card = walk_in(ID_CARD, actor="zc02")
    return food, id_card


def test_the_board_is_scoped_to_the_jurisdiction(as_user, two_departments) -> None:  # type: ignore[no-untyped-def]
    food, id_card = two_departments
    both = {food.number, id_card.number}
    on = dt.date(2026, 3, 4)
    everything = selectors.BoardFilters()
    assert {c.number for c in selectors.board_cases(user("jiancha"), everything, on)} >= both
    assert {c.number for c in selectors.board_cases(user("scjg_fzr"), everything, on)} == {
        food.number
    }
    assert {c.number for c in selectors.board_cases(user("ga_fzr"), everything, on)} == {
        id_card.number
    }
    steps = selectors.board_steps(user("scjg_fzr"), everything, on)
    assert {s.case.number for s in steps} == {food.number}

    page = as_user("jiancha").get(BOARD)
    assert page.status_code == 200
    html = page.content.decode()
    assert food.number in html and id_card.number in html and "电子监察" in html
    head = as_user("scjg_fzr")
    html = head.get(BOARD).content.decode()
    assert food.number in html and id_card.number not in html
    assert head.get(f"{BOARD}cases/{food.number}/").status_code == 200
    assert head.get(f"{BOARD}cases/{id_card.number}/").status_code == 404
    # no supervision for the counter, nor for an administrator; sign in first for the anonymous
    assert as_user("zc01").get(BOARD).status_code == 403
    assert as_user("scjg_sp2").get(BOARD).status_code == 403
    response = as_user("zc01").get("/workbench/")
    assert "电子监察" not in response.content.decode()
    from django.test import Client

    anonymous = Client().get(BOARD)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("from=2026-13-01", "「受理日期（起）」“2026-13-01”不是有效日期"),
        ("to=yesterday", "请按 年-月-日 填写"),
        ("from=2026-03-09&to=2026-03-01", "请把起始日期改早"),
        ("department=abc", "筛选条件「部门」的值“abc”无效：请从下拉列表中选择"),
        ("department=999999", "不在您的监察范围内"),
        ("window=%27%3B--", "筛选条件「窗口」"),
        ("region=999999999999", "筛选条件「区划」"),
        ("staff=nobody", "筛选条件「人员」"),
        ("item=000", "筛选条件「事项」"),
        ("category=urgent", "请选择即办件、承诺件"),
        ("state=purple", "「时限状态」的值“purple”无效"),
    ],
)
def test_bad_filters_say_what_to_fix(as_user, query: str, words: str) -> None:  # type: ignore[no-untyped-def]
    response = as_user("jiancha").get(f"{BOARD}?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert words in html
    assert 'role="alert"' in html


def test_a_department_head_cannot_filter_on_another_department(as_user) -> None:  # type: ignore[no-untyped-def]
    from onewindow.org.models import Department

    ga = Department.objects.get(code="610799-GA")
    response = as_user("scjg_fzr").get(f"{BOARD}?department={ga.pk}")
    assert response.status_code == 400
    assert "不在您的监察范围内" in response.content.decode()


def test_filters_narrow_the_lists(as_user, two_departments) -> None:  # type: ignore[no-untyped-def]
    food, id_card = two_departments
    jiancha = user("jiancha")
    on = dt.date(2026, 3, 4)

    def numbers(**query: str) -> set[str]:
        filters = selectors.parse_filters(jiancha, query)
        return {c.number for c in selectors.board_cases(jiancha, filters, on)}

    assert numbers(department=str(food.department_id)) == {food.number}
    assert numbers(item=ID_CARD) == {id_card.number}
    assert numbers(window=str(id_card.window_id)) == {id_card.number}
    assert numbers(staff="zc02") == {id_card.number}  # accepted by zc02
    assert food.number in numbers(staff="scjg_sp2")  # the review sits on the B holder's desk
    assert numbers(category="immediate") == set()
    assert numbers(**{"from": "2026-03-03"}) == set()
    assert numbers(region="610799000000") == {food.number, id_card.number}
    assert numbers(region="610799101000") == set()  # 青石镇
    assert numbers(state="normal") == {food.number, id_card.number}
    assert numbers(state="overdue") == set()


@pytest.mark.usefixtures("two_departments")
def test_red_first_and_counts() -> None:
    late = walk_in(on=dt.date(2026, 2, 2))  # accepted a month earlier: long overdue on 4 March
    with clock.simulate(dt.date(2026, 3, 2)):
        paused = walk_in()
        services.pause_start(case=paused, actor=user("scjg_sp2"), kind="survey", reason="核查")
    jiancha = user("jiancha")
    on = dt.date(2026, 3, 4)
    cases = selectors.board_cases(jiancha, selectors.BoardFilters(), on)
    ordered = [c.number for c in cases]
    assert ordered[0] == late.number and cases[0].state == "overdue"
    counts = selectors.state_counts(cases)
    assert counts["overdue"] == 1 and counts["paused"] == 1 and counts["total"] == 4
    assert ordered.index(paused.number) > ordered.index(late.number)
    # the board's counts work out only the state: the same figures, per state and per filter
    for query in ({}, {"state": "overdue"}, {"state": "paused"}, {"state": "normal"}):
        filters = selectors.parse_filters(jiancha, query)
        wanted = Counter(c.state for c in selectors.board_cases(jiancha, filters, on))
        got = selectors.board_state_counts(jiancha, filters, on)
        assert {k: n for k, n in got.items() if n and k != "total"} == wanted, query
        assert got["total"] == sum(wanted.values())


def test_the_board_does_not_query_per_case(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("jiancha")
    walk_in()
    client.get(BOARD)  # warm the per-process calendar cache
    with CaptureQueriesContext(connection) as few:
        assert client.get(BOARD).status_code == 200
    for _ in range(5):
        walk_in()
        walk_in(ID_CARD, actor="zc03")
    with CaptureQueriesContext(connection) as many:
        assert client.get(BOARD).status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    with CaptureQueriesContext(connection) as steps:
        assert client.get(BOARD + "?view=steps").status_code == 200
    assert len(steps) <= len(few) + 2


def test_the_drill_down_names_who_held_each_step(as_user) -> None:  # type: ignore[no-untyped-def]
    case = walk_in()
    with clock.simulate(dt.date(2026, 3, 4)):
        services.case_act(case=case, actor=user("scjg_sp2"), action="pass")
    html = as_user("jiancha").get(f"{BOARD}cases/{case.number}/").content.decode()
    assert "办理环节：谁在办、办了多久" in html
    assert str(user("scjg_sp2")) in html  # closed the review after 2 working days
    assert "2 个工作日" in html
    assert str(user("scjg_fzr")) in html  # holds the decision now
    # the public tracking timeline stays without staff names
    public = as_user("jiancha").get(f"/cases/track/?number={case.number}&phone=0013")
    assert str(user("scjg_sp2")) not in public.content.decode()


def test_a_shorter_promise_for_the_applicants_situation_runs_the_case_clock() -> None:
    """食品经营许可: 5 working days promised (review 4 + decide 1), 2 for a renewal (延续). The
    renewal's case counts 2 from acceptance and its flow states shrink in proportion (4 → 1,
    1 → 0), so they fit inside the promise; a new application keeps the item's 5."""
    on = dt.date(2026, 3, 4)
    renewal = walk_in(answers={"apply_type": "renew", "agent": "self"}, on=on)
    new = walk_in(on=on)
    assert (renewal.promised_limit, new.promised_limit) == (2, 5)
    assert renewal.statutory_limit == new.statutory_limit
    assert renewal.promised_due == clock.due_date(on, 2, clock.WORKING_DAYS)
    assert new.promised_due == clock.due_date(on, 5, clock.WORKING_DAYS)
    step = renewal.steps.get(closed_at__isnull=True)
    assert step.limit == 1 and step.due <= renewal.promised_due
    assert new.steps.get(closed_at__isnull=True).limit == 4
