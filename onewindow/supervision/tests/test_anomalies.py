"""Each kind of anomaly the board flags, made by the case engine's own services."""

from __future__ import annotations

import datetime as dt

import pytest

from onewindow.cases import clock, services
from onewindow.cases.models import Case
from onewindow.catalogue.models import WindowAuthorisation
from onewindow.supervision import selectors
from onewindow.supervision.choices import AnomalyKind

from .conftest import MONDAY, user, walk_in, working

pytestmark = pytest.mark.django_db


def flagged(kind: str, on: dt.date, viewer: str = "jiancha") -> set[str]:
    return {c.number for c in selectors.anomaly_cases(user(viewer), kind, on)}


def test_a_second_supplement_request_is_flagged() -> None:
    once = walk_in(accept=False)
    twice = walk_in(accept=False)
    acceptor = user("zc01")
    with clock.simulate(MONDAY):
        for case in (once, twice):
            services.case_request_supplement(
                case=case, actor=acceptor, items=[{"key": "layout", "reason": "未标注面积"}]
            )
            services.case_supply(case=case, actor=acceptor, uploads={}, presented=["layout"])
        # the second notice names what the first could already have named
        services.case_request_supplement(
            case=twice, actor=acceptor, items=[{"key": "id_card", "reason": "复印件不清晰"}]
        )
    assert twice.supplements.filter(repeated=True).exists()
    kind = AnomalyKind.REPEATED_SUPPLEMENT
    assert flagged(kind, MONDAY) == {twice.number}
    detail = selectors.anomaly_details([twice], kind, MONDAY)[twice.pk]
    assert "违反一次性告知" in detail and detail.count("补正：") == 2


def test_a_broken_tolerance_promise_is_flagged_until_supplied() -> None:
    promise = dt.date(2026, 3, 5)
    case = walk_in(hold_back=("rules",), deferred={"rules": promise})
    kind = AnomalyKind.BROKEN_PROMISE
    assert flagged(kind, promise) == set()  # the promised day itself is still in time
    late = working(promise, 1)
    assert flagged(kind, late) == {case.number}
    assert "已逾期 1 天" in selectors.anomaly_details([case], kind, late)[case.pk]
    with clock.simulate(late):
        services.case_supply_deferred(case=case, actor=user("zc01"), key="rules", presented=True)
    assert flagged(kind, late) == set()


def test_acceptance_outside_the_windows_authorisation_is_flagged() -> None:
    fine = walk_in()
    assert fine.window is not None
    # the comprehensive window 02 lost its authorisation for this item before 2 March
    WindowAuthorisation.objects.filter(window__posts__holder_a__username="zc02").filter(
        item=fine.item
    ).update(revoked_on=dt.date(2026, 3, 1))
    outside = walk_in(actor="zc02")
    kind = AnomalyKind.UNAUTHORISED_WINDOW
    assert flagged(kind, MONDAY) == {outside.number}
    detail = selectors.anomaly_details([outside], kind, MONDAY)[outside.pk]
    assert "没有" in detail and "有效受理授权" in detail
    # a case accepted before the revocation stays clean
    WindowAuthorisation.objects.filter(item=fine.item, revoked_on=dt.date(2026, 3, 1)).update(
        revoked_on=dt.date(2026, 3, 3)
    )
    assert flagged(kind, MONDAY) == set()


def test_a_pause_longer_than_its_procedure_allows_is_flagged() -> None:
    running = walk_in()
    ended = walk_in()
    approver = user("scjg_sp2")
    with clock.simulate(MONDAY):
        # no maximum given: a site survey may stop the clock 10 working days (the setting)
        services.pause_start(case=running, actor=approver, kind="survey", reason="现场核查")
        # a maximum of 2 days given on the pause itself
        services.pause_start(
            case=ended, actor=approver, kind="expert", reason="专家评审", max_days=2
        )
    with clock.simulate(working(MONDAY, 3)):
        services.pause_end(case=ended, actor=approver)
    kind = AnomalyKind.LONG_PAUSE
    assert flagged(kind, working(MONDAY, 10)) == {ended.number}
    assert flagged(kind, working(MONDAY, 11)) == {ended.number, running.number}
    detail = selectors.anomaly_details([running], kind, working(MONDAY, 11))[running.pk]
    assert "现场勘查" in detail and "允许 10 个工作日" in detail and "仍在进行" in detail


def test_anomalies_are_scoped_and_shown(as_user, settings) -> None:  # type: ignore[no-untyped-def]
    case = walk_in(hold_back=("rules",), deferred={"rules": dt.date(2026, 3, 3)})
    kind = AnomalyKind.BROKEN_PROMISE
    on = dt.date(2026, 3, 4)
    assert flagged(kind, on, "scjg_fzr") == {case.number}
    assert flagged(kind, on, "ga_fzr") == set()
    settings.ONEWINDOW_PAUSE_MAX_DAYS = "survey=x"
    with pytest.raises(ValueError, match="ONEWINDOW_PAUSE_MAX_DAYS"):
        selectors.pause_limits()
    settings.ONEWINDOW_PAUSE_MAX_DAYS = "survey=3"
    assert selectors.pause_limits()["survey"] == 3
    response = as_user("jiancha").get("/workbench/supervision/anomalies/?kind=nonsense")
    assert response.status_code == 400 and "异常类型" in response.content.decode()
    assert Case.objects.filter(pk=case.pk).exists()
