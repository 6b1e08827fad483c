"""Every figure against numbers computed here, independently, from the raw case rows: dates
read in Python, working days counted by the case clock (not the statistics' day index)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.calendar.selectors import clear_calendar_cache
from onewindow.cases import clock
from onewindow.cases.choices import FINISHED_STATUSES, CaseStatus
from onewindow.cases.models import Case
from onewindow.core.demo_county import COUNTY_CODE
from onewindow.core.errors import InvalidInput, NotAllowed
from onewindow.org.models import Department, Region
from onewindow.stats import selectors
from onewindow.stats.choices import Dimension, PeriodKind
from onewindow.stats.periods import Period, parse_period, period_of

from .conftest import END

pytestmark = pytest.mark.django_db

COUNTS = [
    "received",
    "online",
    "accepted",
    "immediate",
    "refused",
    "completed",
    "on_time",
    "overdue",
    "pending",
    "pending_overdue",
    "measured",
    "actual_days",
    "promised_days",
    "statutory_days",
    "visits_saved",
]


def expected(cases: list[dict[str, Any]], period: Period, baseline: int = 2) -> dict[str, int]:
    """The figures of `period`, straight from the rows."""
    s, e = period.start, period.end
    out: dict[str, int] = defaultdict(int)
    for c in cases:
        submitted = timezone.localdate(c["submitted_at"])
        done = c["completed_on"]
        if s <= submitted <= e:
            out["received"] += 1
            out["online"] += c["channel"] == "online"
        if c["accepted_on"] and s <= c["accepted_on"] <= e:
            out["accepted"] += 1
            out["immediate"] += c["immediate"]
        closed_in = done is not None and s <= done <= e
        if closed_in and c["status"] == CaseStatus.REFUSED:
            out["refused"] += 1
        if closed_in and c["status"] in FINISHED_STATUSES:
            out["completed"] += 1
            due = c["promised_due"]
            if due is None or done <= due:
                out["on_time"] += 1
            else:
                out["overdue"] += 1
            visits = c["version__visits"]
            if c["channel"] == "counter":
                visits = max(visits, 1)
            out["visits_saved"] += max(baseline - visits, 0)
            if c["accepted_on"] is not None:
                unit = c["limit_unit"]
                elapsed = clock.elapsed(c["accepted_on"], done, unit)
                out["measured"] += 1
                out["actual_days"] += max(elapsed - c["paused_days"], 0)
                out["promised_days"] += clock.days_of(c["promised_limit"], unit)
                out["statutory_days"] += clock.days_of(c["statutory_limit"], unit)
        if submitted <= e and (done is None or done > e):
            out["pending"] += 1
            if c["promised_due"] is not None and c["promised_due"] < e:
                out["pending_overdue"] += 1
    return {k: out[k] for k in COUNTS}


def raw(**filters: Any) -> list[dict[str, Any]]:
    return list(
        Case.objects.filter(**filters).values(
            "pk",
            "submitted_at",
            "accepted_on",
            "completed_on",
            "status",
            "channel",
            "immediate",
            "promised_due",
            "limit_unit",
            "promised_limit",
            "statutory_limit",
            "paused_days",
            "version__visits",
            "region_path",
            "region__level",
            "department_id",
            "window_id",
            "accepted_by_id",
            "item_id",
        )
    )


def as_dict(row: selectors.Row) -> dict[str, int]:
    return {k: getattr(row, k) for k in COUNTS}


def county_scope() -> selectors.Scope:
    return selectors.scope_for_region(Region.objects.get(code=COUNTY_CODE))


PERIODS = [
    period_of(PeriodKind.YEAR, END),
    period_of(PeriodKind.MONTH, END),
    period_of(PeriodKind.QUARTER, END),
    period_of(PeriodKind.WEEK, END),
    Period(PeriodKind.CUSTOM, dt.date(2025, 11, 1), END),
    period_of(PeriodKind.MONTH, dt.date(2026, 3, 15)),
]


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.label)
def test_total_matches_rows(history: int, period: Period) -> None:
    assert history == 40
    table = selectors.figures(county_scope(), period, Dimension.CHANNEL)
    assert as_dict(table.total) == expected(raw(), period)
    # the rows add up to the total
    for name in COUNTS:
        assert sum(getattr(r, name) for r in table.rows) == getattr(table.total, name)


def test_whole_history_has_every_kind_of_figure(history: int) -> None:
    period = Period(PeriodKind.CUSTOM, dt.date(2025, 10, 1), END)
    total = selectors.figures(county_scope(), period, Dimension.LEVEL).total
    assert total.received == 40
    assert total.completed > 20 and total.refused >= 1 and total.pending >= 1
    assert total.overdue >= 1 and total.on_time >= 1
    assert total.immediate >= 1 and total.online >= 1
    assert 0 < total.actual_days < total.statutory_days
    # rates are the counts divided
    assert total.on_time_rate == pytest.approx(total.on_time / total.completed)
    assert total.compression == pytest.approx(1 - total.actual_days / total.statutory_days)
    assert total.immediate_share == pytest.approx(total.immediate / total.accepted)
    assert total.online_share == pytest.approx(total.online / total.received)


def key_of(dimension: str, case: dict[str, Any], root: str) -> Any:
    if dimension == Dimension.REGION:
        tail = case["region_path"][len(root) :].split("/")[0]
        return root + (tail + "/" if tail else "")
    field = {
        Dimension.LEVEL: "region__level",
        Dimension.DEPARTMENT: "department_id",
        Dimension.WINDOW: "window_id",
        Dimension.STAFF: "accepted_by_id",
        Dimension.ITEM: "item_id",
        Dimension.CHANNEL: "channel",
    }[dimension]
    return case[field]


@pytest.mark.parametrize("dimension", Dimension.values)
def test_every_dimension_row_by_row(history: int, dimension: str) -> None:
    period = period_of(PeriodKind.YEAR, END)
    scope = county_scope()
    table = selectors.figures(scope, period, dimension)
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for case in raw():
        groups[key_of(dimension, case, scope.root_path)].append(case)
    got = {row.key: as_dict(row) for row in table.rows}
    wanted = {k: expected(v, period) for k, v in groups.items()}
    wanted = {k: v for k, v in wanted.items() if any(v.values())}
    got = {k: v for k, v in got.items() if any(v.values())}
    assert got == wanted
    assert all(row.label for row in table.rows)


def test_region_dimension_rolls_villages_up_to_towns(history: int) -> None:
    scope = county_scope()
    table = selectors.figures(scope, period_of(PeriodKind.YEAR, END), Dimension.REGION)
    county = Region.objects.get(code=COUNTY_CODE)
    for row in table.rows:
        region = Region.objects.get(path=row.key)
        assert region == county or region.parent == county
    labels = [r.label for r in table.rows]
    assert f"{county.name}本级" in labels


def test_days_of_a_period_add_up(history: int) -> None:
    scope = county_scope()
    month = period_of(PeriodKind.MONTH, dt.date(2026, 10, 1))
    month_total = selectors.figures(scope, month, Dimension.CHANNEL).total
    sums: dict[str, int] = defaultdict(int)
    day = month.start
    while day <= month.end:
        total = selectors.figures(scope, period_of(PeriodKind.DAY, day), Dimension.CHANNEL).total
        for name in ("received", "accepted", "refused", "completed", "on_time", "visits_saved"):
            sums[name] += getattr(total, name)
        day += dt.timedelta(days=1)
    for name, value in sums.items():
        assert value == getattr(month_total, name), name
    quarter = period_of(PeriodKind.QUARTER, dt.date(2026, 8, 1))
    parts = [period_of(PeriodKind.MONTH, dt.date(2026, m, 1)) for m in (7, 8, 9)]
    q = selectors.figures(scope, quarter, Dimension.CHANNEL).total
    for name in ("received", "completed", "actual_days"):
        assert sum(getattr(selectors.figures(scope, p).total, name) for p in parts) == getattr(
            q, name
        )


def test_a_case_submitted_just_before_midnight_belongs_to_that_day(history: int) -> None:
    case = Case.objects.filter(status=CaseStatus.APPROVED).first()
    assert case is not None
    late_evening = timezone.make_aware(dt.datetime(2026, 5, 31, 23, 59, 30))
    Case.objects.filter(pk=case.pk).update(submitted_at=late_evening)
    scope = county_scope()
    may = selectors.figures(scope, period_of(PeriodKind.MONTH, dt.date(2026, 5, 1)))
    june = selectors.figures(scope, period_of(PeriodKind.MONTH, dt.date(2026, 6, 1)))
    assert may.total.received == expected(raw(), may.period)["received"]
    assert june.total.received == expected(raw(), june.period)["received"]
    on_31 = selectors.figures(scope, period_of(PeriodKind.DAY, dt.date(2026, 5, 31))).total
    assert on_31.received >= 1


def test_jurisdiction_scoping(history: int) -> None:
    supervisor = User.objects.get(username="jiancha")
    head = User.objects.get(username="scjg_fzr")
    period = period_of(PeriodKind.YEAR, END)
    whole = selectors.figures(selectors.scope_for_actor(supervisor), period).total
    assert as_dict(whole) == expected(raw(), period)
    dept = Department.objects.get(pk=head.posts_as_a.get(role="dept_head").department_id)
    own = selectors.figures(selectors.scope_for_actor(head), period, Dimension.DEPARTMENT)
    assert {r.key for r in own.rows} <= {dept.pk}
    assert as_dict(own.total) == expected(raw(department=dept), period)
    assert own.total.received < whole.received
    # the three administrators hold no business permission
    with pytest.raises(NotAllowed):
        selectors.scope_for_actor(User.objects.get(username="xitong"))


def test_bad_input_is_named_in_chinese() -> None:
    today = dt.date(2026, 10, 30)
    with pytest.raises(InvalidInput) as exc:
        parse_period(kind="custom", start="2026-10-31", end="2026-10-01", today=today)
    assert exc.value.field == "end" and "早于开始日期" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        parse_period(kind="fortnight", today=today)
    assert exc.value.field == "period" and "不存在" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        parse_period(kind="month", on="2026-13-01", today=today)
    assert exc.value.field == "on" and "2026-10-31" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        selectors.check_dimension("colour")
    assert exc.value.field == "dimension" and "部门" in exc.value.message


def test_periods() -> None:
    assert period_of("week", dt.date(2026, 10, 30)) == Period(
        "week", dt.date(2026, 10, 26), dt.date(2026, 11, 1)
    )
    assert period_of("quarter", dt.date(2026, 11, 29)) == Period(
        "quarter", dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    )
    assert period_of("month", dt.date(2026, 2, 10)).end == dt.date(2026, 2, 28)
    assert period_of("month", dt.date(2024, 2, 10)).end == dt.date(2024, 2, 29)
    assert period_of("month", dt.date(2026, 12, 31)).end == dt.date(2026, 12, 31)


def test_town_cases_roll_up_to_their_towns(history: int, town_cases: list[int]) -> None:
    scope = county_scope()
    period = period_of(PeriodKind.MONTH, dt.date(2026, 10, 1))
    table = selectors.figures(scope, period, Dimension.REGION)
    tiles = {name: row for _code, name, row in selectors.region_tiles(scope, table)}
    assert list(tiles) == ["城关街道", "东城街道", "青石镇", "柳湾镇", "白河镇"]
    assert tiles["城关街道"] is not None and tiles["城关街道"].completed == 4
    assert tiles["柳湾镇"] is not None and tiles["柳湾镇"].completed == 1
    assert tiles["白河镇"] is None
    cases = raw(pk__in=town_cases)
    assert all(c["immediate"] for c in cases)
    town = Region.objects.get(name="城关街道")
    assert as_dict(tiles["城关街道"]) == expected(raw(region_path__startswith=town.path), period)
    level = {r.key: r for r in selectors.figures(scope, period, Dimension.LEVEL).rows}
    assert level["town"].completed == 10


def test_grid_colours_follow_the_bands() -> None:
    from onewindow.stats import charts

    assert charts.band_of(None)[2] == "无办结件"
    assert charts.band_of(1.0)[2] == "95% 及以上"
    assert charts.band_of(0.9)[2] == "85%–95%"
    assert charts.band_of(0.7)[2] == "70%–85%"
    assert charts.band_of(0.2)[2] == "70% 以下"


def test_query_count_does_not_grow_with_cases(history: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counted(queries: list[dict[str, str]]) -> int:
        # savepoints and PostgreSQL's SET LOCAL jit are bookkeeping, not reads
        skip = ("SAVEPOINT", "RELEASE SAVEPOINT", "SET LOCAL")
        return len([q for q in queries if not q["sql"].startswith(skip)])

    scope = county_scope()
    period = period_of(PeriodKind.YEAR, END)
    selectors.figures(scope, period, Dimension.STAFF, ratings=False)  # the day index is built
    # stamp + calendar stamp, day-index bounds, grouped, labels
    with CaptureQueriesContext(connection) as captured:
        table = selectors.figures(scope, period, Dimension.STAFF, ratings=False)
    assert counted(captured.captured_queries) == 5
    assert len(table.rows) > 3
    with CaptureQueriesContext(connection) as captured:
        selectors.monthly_trend(scope, END)
    assert counted(captured.captured_queries) == 1


def test_day_index_follows_the_calendar(db: None) -> None:
    from onewindow.calendar.selectors import get_calendar
    from onewindow.stats.models import DayIndex
    from onewindow.stats.services import day_index_current, day_index_ensure

    clear_calendar_cache()
    day_index_ensure()
    assert day_index_current()
    calendar = get_calendar()
    days = {d.date: d for d in DayIndex.objects.filter(date__year=2026)}
    for a, b in [
        (dt.date(2026, 9, 30), dt.date(2026, 10, 9)),  # National Day: holiday and make-up days
        (dt.date(2026, 2, 13), dt.date(2026, 2, 25)),  # Spring Festival
        (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ]:
        assert days[b].workday_ordinal - days[a].workday_ordinal == (
            calendar.count_working_days(a, b)
        )
        assert days[b].natural_ordinal - days[a].natural_ordinal == (b - a).days


def test_visit_baseline_is_a_setting(history: int, settings: Any) -> None:
    settings.ONEWINDOW_STATS_VISIT_BASELINE = 3
    period = period_of(PeriodKind.YEAR, END)
    total = selectors.figures(county_scope(), period, Dimension.CHANNEL).total
    assert total.visits_saved == expected(raw(), period, baseline=3)["visits_saved"]
    assert total.visits_saved > expected(raw(), period)["visits_saved"]
