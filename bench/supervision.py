"""Electronic supervision and statistics on a province's volume: the app's queries beside the
same questions written by hand in SQL, in the same run, on PostgreSQL.

Loads N synthetic cases (default 1,000,000) of the demo county's timed items into PostgreSQL
with `INSERT … SELECT generate_series` (not timed; reused by the next run when N is unchanged):
35 % running (办理中, one open step each: three open clocks per case — promised, statutory and
the step's), 65 % closed over the two years before the day (approved, denied, refused; one closed
step each). Of the running clocks about 3 % are overdue by 1–15 days and about 5 % in warning.
Then, on the simulated day (`clock.simulate`), it measures:

(a) the supervision board's overdue list of one department, as the supervisor jiancha sees it
    (`supervision.selectors.board_cases` with the filters department = 市场监管局 and state =
    overdue: the paginator's count and the first page of 30 rows), and the board's count per
    time state for that department (`board_state_counts`, as the board page counts) — beside
    hand-written SQL;
(b) a month's statistics by department (`stats.selectors.figures(…, "department",
    ratings=False)` for the county, the month before the day) — beside one hand-written
    GROUP BY with FILTER clauses and joins to the day index;
(c) the supervision sweep: first the clocks it selects (`_clock_sources`, streamed in lists of
    500 as the sweep reads them) beside one hand-written streaming query returning the same clocks; then
    one whole sweep (`supervise`, with its writes and notices) and a second one that finds
    nothing new, with this process's peak memory (`resource.getrusage` ru_maxrss) before and
    after: the sweep must not load the million open clocks at once.

Each query is run `--repeat` times alternating with its reference (median printed), with
`SET jit = on` (PostgreSQL's default) and `SET jit = off` (the project's connections since
ONEWINDOW_DB_JIT, see settings) on both sides; results are compared before anything is timed.
Goal: the app within 1.5× of the hand-written SQL.

    python bench/supervision.py [--n 1000000] [--repeat 5] [--no-sweep] [--strict]
    python bench/supervision.py --n 10000000      # a province: about 10× the load time

Needs PostgreSQL: DATABASE_URL, default postgres://postgres@127.0.0.1:5432/ow_bench_sup (created,
migrated and given the demo county when missing). On SQLite, or when the server cannot be
reached, it says so and exits 0 (`--strict`: exits 1 then, and when a ratio misses the goal).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent
# run as a script, this folder's calendar.py would shadow the standard library's `calendar`
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ow_bench_sup"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.test")
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("ONEWINDOW_LOG_LEVEL", "WARNING")  # the outbox SMS logs every message

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.db import connection  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench._db import ensure_database, machine, prepare_database  # noqa: E402

GOAL = 1.5
PREFIX = "BENCH"
DAY = dt.date(2026, 9, 15)  # a Tuesday: the simulated day of the board, the sweep
MONTH = (dt.date(2026, 8, 1), dt.date(2026, 8, 31))  # the statistics' month
DEPARTMENT_CODE_NAME = "青溪县市场监督管理局"
SUPERVISOR = "jiancha"
ACCEPTOR = "zc01"
BATCH = 250_000


# -- loading N cases -------------------------------------------------------------------------------

# The timed items of the demo catalogue (those with a review state), numbered 0..k-1.
ITEMS_SQL = """
CREATE TEMP TABLE bench_items AS
SELECT (row_number() OVER (ORDER BY i.code) - 1)::int AS k, i.id AS item_id, v.id AS version_id,
       i.department_id, i.region_id, r.path AS region_path, v.limit_unit, v.promised_limit,
       v.statutory_limit, v.flow -> 'states' -> 1 AS st
  FROM catalogue_item i
  JOIN catalogue_itemversion v ON v.id = i.published_id
  JOIN org_region r ON r.id = i.region_id
 WHERE v.promised_limit > 0 AND jsonb_array_length(v.flow -> 'states') >= 3
"""
# One row per case i in [first, last]: h is a cheap hash of i that spreads dates and outcomes.
# Running (i % 100 < 35): promised due 1–15 days ago for o < 30 (3 %), else 0–60 days ahead.
# Closed: submitted 20–730 days before the day, finished within about 1.4 × the limit + 3 days.
CASES_SQL = """
INSERT INTO cases_case (
    created_at, updated_at, number, item_id, version_id, bundle_application_id, bundle_order,
    applicant_id, applicant_kind, applicant_name, applicant_id_number, applicant_credit_code,
    applicant_phone, applicant_address, submitted_by_id, submission_key, channel, region_id,
    region_path, department_id, window_id, accepted_by_id, answers, form_data, status,
    state_key, revision, immediate, joint, reported, returned, supplemented, submitted_at,
    accepted_at, accepted_on, limit_unit, promised_limit, statutory_limit, paused_days,
    paused_since, promised_due, statutory_due, completed_at, completed_on, decision_reason,
    legal_basis, result_held, delivery, delivery_address, pickup_code, courier,
    tracking_number, delivered_at)
SELECT now(), now(), %(prefix)s || lpad(x.i::text, 9, '0'), x.item_id, x.version_id, NULL, 0,
       NULL, 'person', '申请人' || x.i, '', '', '', '', NULL, '', x.channel, x.region_id,
       x.region_path, x.department_id, NULL,
       CASE WHEN x.accepted_on IS NULL THEN NULL ELSE %(acceptor)s::bigint END,
       '{}', '{}', x.status, x.state_key, 1, false, false, false, false, false,
       (x.submitted_on + time '09:00' + make_interval(secs => x.h %% 3600))
           AT TIME ZONE 'Asia/Shanghai',
       (x.accepted_on + time '09:30') AT TIME ZONE 'Asia/Shanghai', x.accepted_on,
       x.limit_unit, x.promised_limit, x.statutory_limit, 0, NULL, x.promised_due,
       x.statutory_due,
       (x.completed_on + time '16:00') AT TIME ZONE 'Asia/Shanghai', x.completed_on, '', '',
       false, 'pickup', '', '', '', '', NULL
  FROM (
    SELECT y.*,
           CASE WHEN y.running THEN y.p_due - (y.promised_limit * 7 / 5 + 1)
                WHEN y.refused THEN NULL ELSE y.submitted_on0 END AS accepted_on,
           CASE WHEN y.running THEN y.p_due - (y.promised_limit * 7 / 5 + 1)
                ELSE y.submitted_on0 END AS submitted_on,
           CASE WHEN y.refused THEN NULL WHEN y.running THEN y.p_due
                ELSE y.submitted_on0 + (y.promised_limit * 7 / 5 + 1) END AS promised_due,
           CASE WHEN y.refused THEN NULL WHEN y.running
                THEN y.p_due + (y.statutory_limit - y.promised_limit) * 7 / 5
                ELSE y.submitted_on0 + (y.statutory_limit * 7 / 5 + 1) END AS statutory_due,
           CASE WHEN y.running THEN NULL WHEN y.refused THEN y.submitted_on0
                ELSE y.submitted_on0 + ((y.h / 7) %% (y.promised_limit * 7 / 5 + 4)) END
               AS completed_on,
           CASE WHEN y.running THEN 'in_progress' WHEN y.refused THEN 'refused'
                WHEN y.h %% 100 < 6 THEN 'denied' ELSE 'approved' END AS status,
           CASE WHEN y.running THEN y.st ->> 'key' ELSE 'done' END AS state_key,
           CASE WHEN y.h %% 3 = 0 THEN 'online' ELSE 'counter' END AS channel
      FROM (
        SELECT g.i, g.h, it.*, (g.i %% 100 < 35) AS running,
               (g.i %% 100 >= 35 AND g.h %% 100 < 3) AS refused,
               %(day)s::date + CASE WHEN g.h %% 1000 < 30 THEN -(1 + (g.h %% 1000) / 2)
                                    ELSE (g.h %% 1000 - 30) / 16 END AS p_due,
               %(day)s::date - 20 - (g.h / 1000) %% 710 AS submitted_on0
          FROM (SELECT s AS i, ((s * 2654435761) %% 1000003)::int AS h
                  FROM generate_series(%(first)s::bigint, %(last)s::bigint) s) g
          JOIN bench_items it ON it.k = g.i %% %(items)s
      ) y
  ) x
"""
# The step the case is at (running) or its last one (closed), from the flow's review state.
STEPS_SQL = """
INSERT INTO cases_step (case_id, state_key, state_name, kind, lead, roles, region_id,
                        department_id, post_id, opened_at, started_on, "limit", paused_days, due,
                        closed_at, closed_by_id, outcome, opinion, note)
SELECT c.id, it.st ->> 'key', it.st ->> 'name', 'task', false,
       ',' || (it.st -> 'roles' ->> 0) || ',', c.region_id, c.department_id, NULL,
       c.accepted_at, c.accepted_on, (it.st ->> 'limit')::int, 0,
       c.promised_due - CASE WHEN c.status = 'in_progress' THEN (c.id %% 2)::int ELSE 1 END,
       CASE WHEN c.status = 'in_progress' THEN NULL ELSE c.completed_at END,
       CASE WHEN c.status = 'in_progress' THEN NULL ELSE c.accepted_by_id END,
       CASE WHEN c.status = 'in_progress' THEN '' ELSE 'pass' END, '', ''
  FROM cases_case c
  JOIN bench_items it ON it.version_id = c.version_id
 WHERE c.id BETWEEN %(lo)s AND %(hi)s AND c.number LIKE %(like)s AND c.accepted_on IS NOT NULL
"""


def loaded(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "SELECT count(*) FROM cases_case WHERE number LIKE %s", (PREFIX + "%",)
    ).fetchone()
    return int(row[0])


def reset_sweeps(conn: psycopg.Connection[Any]) -> None:
    """What earlier runs' sweeps recorded: gone, so that each run's first sweep does the work."""
    conn.execute(
        "TRUNCATE supervision_escalation, supervision_clockalert, supervision_sweep CASCADE"
    )


def load(conn: psycopg.Connection[Any], n: int, acceptor: int) -> None:
    """N cases and their steps, in batches of BATCH (each its own statement and commit)."""
    print(f"  loading {n:,} cases and their steps (INSERT … SELECT generate_series; not timed)")
    began = time.perf_counter()
    reset_sweeps(conn)
    conn.execute("TRUNCATE cases_case CASCADE")  # the bench database holds only bench cases
    conn.execute(ITEMS_SQL)
    items = conn.execute("SELECT count(*) FROM bench_items").fetchone()[0]
    with tqdm(total=2 * n, unit="row", file=sys.stderr, leave=False) as bar:
        for first in range(1, n + 1, BATCH):
            last = min(first + BATCH - 1, n)
            conn.execute(
                CASES_SQL,
                {
                    "prefix": PREFIX,
                    "acceptor": acceptor,
                    "first": first,
                    "last": last,
                    "items": items,
                    "day": DAY,
                },
            )
            bar.update(last - first + 1)
        lo, hi = conn.execute("SELECT min(id), max(id) FROM cases_case").fetchone()
        for start in range(lo, hi + 1, BATCH):
            conn.execute(STEPS_SQL, {"lo": start, "hi": start + BATCH - 1, "like": PREFIX + "%"})
            bar.update(min(BATCH, hi + 1 - start))
    conn.execute("DROP TABLE bench_items")
    conn.execute("VACUUM ANALYZE cases_case")
    conn.execute("VACUUM ANALYZE cases_step")
    print(f"  loaded in {time.perf_counter() - began:.0f} s")


# -- measuring -------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def compare(
    name: str,
    app: Callable[[], Any],
    hand: Callable[[], Any],
    repeat: int,
    same: Callable[[Any, Any], bool] = lambda a, b: a == b,
) -> tuple[float, float]:
    """Median seconds of each, alternating; one untimed warm-up call of each first, whose
    results must agree."""
    a, h = app(), hand()
    if not same(a, h):
        raise AssertionError(f"{name}: the app and the hand-written SQL disagree:\n  {a}\n  {h}")
    app_times, hand_times = [], []
    for _ in range(repeat):
        app_times.append(timed(app)[0])
        hand_times.append(timed(hand)[0])
    return statistics.median(app_times), statistics.median(hand_times)


def set_jit(conn: psycopg.Connection[Any], on: bool) -> None:
    value = "on" if on else "off"
    conn.execute(f"SET jit = {value}")
    with connection.cursor() as cursor:
        cursor.execute(f"SET jit = {value}")


# -- (a) the board ---------------------------------------------------------------------------------

BOARD_WHERE = """
  FROM cases_case c
 WHERE c.region_path LIKE %(path)s AND c.department_id = %(department)s
   AND c.status = 'in_progress' AND c.accepted_on IS NOT NULL
   AND (c.promised_due < %(on)s OR c.statutory_due < %(on)s)
"""
BOARD_COUNT_SQL = "SELECT count(*)" + BOARD_WHERE
BOARD_PAGE_SQL = (
    """
SELECT c.number, v.name, d.name, r.name, c.accepted_on, c.promised_due, c.statutory_due
"""
    + BOARD_WHERE.replace(
        "FROM cases_case c",
        """FROM cases_case c
  JOIN catalogue_itemversion v ON v.id = c.version_id
  JOIN org_department d ON d.id = c.department_id
  JOIN org_region r ON r.id = c.region_id""",
    )
    + " ORDER BY c.promised_due, c.number LIMIT 30"
)
# The count per time state: the warning cut-off of each (unit, limit) comes in as a VALUES list.
STATE_COUNTS_SQL = """
WITH cut(unit, lim, cut) AS (SELECT * FROM unnest(%(units)s::text[], %(limits)s::int[],
                                                  %(cuts)s::date[]))
SELECT CASE WHEN c.status = 'paused' THEN 'paused'
            WHEN c.promised_due < %(on)s OR c.statutory_due < %(on)s THEN 'overdue'
            WHEN c.promised_due <= p.cut OR c.statutory_due <= s.cut THEN 'warning'
            WHEN c.promised_due IS NULL THEN 'pending'
            ELSE 'normal' END AS state,
       count(*)
  FROM cases_case c
  LEFT JOIN cut p ON p.unit = c.limit_unit AND p.lim = c.promised_limit
  LEFT JOIN cut s ON s.unit = c.limit_unit AND s.lim = c.statutory_limit
 WHERE c.region_path LIKE %(path)s AND c.department_id = %(department)s
   AND c.status IN ('in_progress', 'paused') AND c.accepted_on IS NOT NULL
 GROUP BY 1
"""


def board_sides(conn: psycopg.Connection[Any]) -> dict[str, tuple[Callable[[], Any], ...]]:
    from onewindow.accounts.models import User
    from onewindow.cases import clock
    from onewindow.org.models import Department, Region
    from onewindow.supervision import selectors, thresholds

    actor = User.objects.get(username=SUPERVISOR)
    department = Department.objects.get(name=DEPARTMENT_CODE_NAME)
    county = Region.objects.get(level="county", parent__isnull=True)
    params = {"path": county.path + "%", "department": department.pk, "on": DAY}

    def app_list() -> tuple[int, list[str]]:
        filters = selectors.BoardFilters(department=department, state="overdue")
        cases = selectors.board_cases(actor, filters, DAY)
        count = cases.count()  # what the paginator asks first
        page = selectors.with_versions(cases[:30])  # the names the page shows, as it reads them
        return count, [c.number for c in page if c.version.name]

    def hand_list() -> tuple[int, list[str]]:
        count = conn.execute(BOARD_COUNT_SQL, params).fetchone()[0]
        rows = conn.execute(BOARD_PAGE_SQL, params).fetchall()
        return count, [r[0] for r in rows]

    def app_counts() -> dict[str, int]:
        filters = selectors.BoardFilters(department=department)
        counts = selectors.board_state_counts(actor, filters, DAY)
        return {k: v for k, v in counts.items() if v and k != "total"}

    def hand_counts() -> dict[str, int]:
        # the cut-off per distinct (unit, limit), the limits read as the app reads them
        cuts: dict[tuple[str, int], dt.date] = {}
        for unit, promised, statutory in selectors._running_limits():
            for limit in (promised, statutory):
                t = thresholds.threshold(clock.days_of(limit, unit))
                cuts[(unit, limit)] = thresholds.warn_until(t, DAY)
        rows = conn.execute(
            STATE_COUNTS_SQL,
            params
            | {
                "units": [u for u, _ in cuts],
                "limits": [limit for _, limit in cuts],
                "cuts": list(cuts.values()),
            },
        ).fetchall()
        return dict(rows)

    return {
        "(a) board: one department's overdue list (count + first page)": (app_list, hand_list),
        "(a) board: that department's count per time state": (app_counts, hand_counts),
    }


# -- (b) a month's statistics ----------------------------------------------------------------------

STATS_SQL = """
SELECT c.department_id, d.name,
       count(*) FILTER (WHERE c.submitted_at >= %(start_at)s AND c.submitted_at < %(end_at)s)
           AS received,
       count(*) FILTER (WHERE c.submitted_at >= %(start_at)s AND c.submitted_at < %(end_at)s
                          AND c.channel = 'online') AS online,
       count(*) FILTER (WHERE c.accepted_on BETWEEN %(s)s AND %(e)s) AS accepted,
       count(*) FILTER (WHERE c.accepted_on BETWEEN %(s)s AND %(e)s AND c.immediate) AS immediate,
       count(*) FILTER (WHERE c.completed_on BETWEEN %(s)s AND %(e)s AND c.status = 'refused')
           AS refused,
       count(*) FILTER (WHERE f.finished) AS completed,
       count(*) FILTER (WHERE f.finished AND NOT f.late) AS on_time,
       count(*) FILTER (WHERE f.finished AND f.late) AS overdue,
       count(*) FILTER (WHERE f.pending) AS pending,
       count(*) FILTER (WHERE f.pending AND c.promised_due < %(e)s) AS pending_overdue,
       count(*) FILTER (WHERE f.measured) AS measured,
       sum(greatest(CASE WHEN c.limit_unit = 'natural_days'
                         THEN b.natural_ordinal - a.natural_ordinal
                         ELSE b.workday_ordinal - a.workday_ordinal END - c.paused_days, 0))
           FILTER (WHERE f.measured) AS actual_days,
       sum(CASE WHEN c.limit_unit = 'working_hours' THEN (c.promised_limit + 7) / 8
                ELSE c.promised_limit END) FILTER (WHERE f.measured) AS promised_days,
       sum(CASE WHEN c.limit_unit = 'working_hours' THEN (c.statutory_limit + 7) / 8
                ELSE c.statutory_limit END) FILTER (WHERE f.measured) AS statutory_days,
       sum(greatest(%(baseline)s - CASE WHEN c.channel = 'counter' AND v.visits = 0 THEN 1
                                        ELSE v.visits END, 0)) FILTER (WHERE f.finished)
           AS visits_saved
  FROM cases_case c
  JOIN catalogue_itemversion v ON v.id = c.version_id
  JOIN org_department d ON d.id = c.department_id
  LEFT JOIN stats_dayindex a ON a.date = c.accepted_on
  LEFT JOIN stats_dayindex b ON b.date = c.completed_on
  CROSS JOIN LATERAL (
    SELECT c.completed_on BETWEEN %(s)s AND %(e)s AND c.status IN ('approved', 'denied')
               AS finished,
           c.promised_due IS NOT NULL AND c.completed_on > c.promised_due AS late,
           c.submitted_at < %(end_at)s AND (c.completed_on IS NULL OR c.completed_on > %(e)s)
               AS pending,
           c.completed_on BETWEEN %(s)s AND %(e)s AND c.status IN ('approved', 'denied')
               AND c.accepted_on >= %(first)s AND c.completed_on <= %(last)s AS measured
  ) f
 WHERE c.region_path LIKE %(path)s
   AND (c.submitted_at >= %(start_at)s AND c.submitted_at < %(end_at)s
        OR c.accepted_on BETWEEN %(s)s AND %(e)s
        OR c.completed_on BETWEEN %(s)s AND %(e)s
        OR c.submitted_at < %(end_at)s AND (c.completed_on IS NULL OR c.completed_on > %(e)s))
 GROUP BY c.department_id, d.name
"""
FIGURES = (
    "received online accepted immediate refused completed on_time overdue pending "
    "pending_overdue measured actual_days promised_days statutory_days visits_saved"
).split()


def stats_sides(conn: psycopg.Connection[Any]) -> dict[str, tuple[Callable[[], Any], ...]]:
    from django.conf import settings
    from django.utils import timezone

    from onewindow.org.models import Region
    from onewindow.stats import selectors
    from onewindow.stats.choices import Dimension, PeriodKind
    from onewindow.stats.periods import period_of
    from onewindow.stats.services import day_index_ensure

    county = Region.objects.get(level="county", parent__isnull=True)
    scope = selectors.scope_for_region(county)
    period = period_of(PeriodKind.MONTH, MONTH[0])
    day_index_ensure()
    tz = timezone.get_current_timezone()
    first, last = conn.execute("SELECT min(date), max(date) FROM stats_dayindex").fetchone()
    params = {
        "path": county.path + "%",
        "s": MONTH[0],
        "e": MONTH[1],
        "start_at": dt.datetime.combine(MONTH[0], dt.time.min, tzinfo=tz),
        "end_at": dt.datetime.combine(MONTH[1] + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
        "first": first,
        "last": last,
        "baseline": int(settings.ONEWINDOW_STATS_VISIT_BASELINE),
    }

    def app() -> dict[str, tuple[int, ...]]:
        table = selectors.figures(scope, period, Dimension.DEPARTMENT, ratings=False)
        return {r.label: tuple(getattr(r, f) for f in FIGURES) for r in table.rows}

    def hand() -> dict[str, tuple[int, ...]]:
        # the statistics' own queries run with JIT off (ADR 0006); so does their reference
        with conn.transaction():
            conn.execute("SET LOCAL jit = off")
            rows = conn.execute(STATS_SQL, params).fetchall()
        return {r[1]: tuple(int(v or 0) for v in r[2:]) for r in rows}

    return {"(b) a month's statistics by department": (app, hand)}


# -- (c) the sweep ---------------------------------------------------------------------------------

CLOCKS_SQL = """
WITH cut(unit, lim, cut) AS (SELECT * FROM unnest(%(units)s::text[], %(limits)s::int[],
                                                  %(cuts)s::date[])),
     steps(lim, cut) AS (SELECT * FROM unnest(%(step_limits)s::int[], %(step_cuts)s::date[]))
SELECT 'promised', c.id, c.id, c.promised_due,
       CASE WHEN c.promised_due < %(on)s THEN 'overdue' ELSE 'warning' END
  FROM cases_case c JOIN cut p ON p.unit = c.limit_unit AND p.lim = c.promised_limit
 WHERE c.status = 'in_progress' AND c.accepted_on IS NOT NULL AND c.promised_due <= p.cut
UNION ALL
SELECT 'statutory', c.id, c.id, c.statutory_due,
       CASE WHEN c.statutory_due < %(on)s THEN 'overdue' ELSE 'warning' END
  FROM cases_case c JOIN cut s ON s.unit = c.limit_unit AND s.lim = c.statutory_limit
 WHERE c.status = 'in_progress' AND c.accepted_on IS NOT NULL AND c.statutory_due <= s.cut
UNION ALL
SELECT 'step', s.id, s.case_id, s.due,
       CASE WHEN s.due < %(on)s THEN 'overdue' ELSE 'warning' END
  FROM cases_step s JOIN steps l ON l.lim = s."limit"
  JOIN cases_case c ON c.id = s.case_id
 WHERE s.closed_at IS NULL AND c.status = 'in_progress' AND s.due <= l.cut
"""


def clock_params() -> dict[str, Any]:
    """The cut-offs a hand-writer prepares for the clocks query: one warning date per distinct
    (unit, limit) of the running cases and per distinct limit of the open steps."""
    from onewindow.cases import clock
    from onewindow.supervision import selectors, thresholds

    # the distinct limits read as the app reads them (a loose index scan, one probe per value)
    cuts: dict[tuple[str, int], dt.date] = {}
    for unit, promised, statutory in selectors._running_limits():
        for limit in (promised, statutory):
            t = thresholds.threshold(clock.days_of(limit, unit))
            cuts[(unit, limit)] = thresholds.warn_until(t, DAY)
    step_limits = [limit for _q, limit in selectors.step_limits()]
    step_cuts = [thresholds.warn_until(thresholds.threshold(x), DAY) for x in step_limits]
    return {
        "on": DAY,
        "units": [u for u, _ in cuts],
        "limits": [x for _, x in cuts],
        "cuts": list(cuts.values()),
        "step_limits": step_limits,
        "step_cuts": step_cuts,
    }


# Yesterday's sweeps, as a daily sweep finds them: the events of 90 % of today's warning and
# overdue clocks already recorded, and 6 in 7 of the rungs those reached already sent; today's
# sweep records the rest (clocks that turned yellow or red today, rungs newly reached).
PRERECORD_ALERTS_SQL = (
    """
INSERT INTO supervision_clockalert (case_id, step_id, clock, state, due, recorded_on, sweep_id)
SELECT x.case_id, CASE WHEN x.kind = 'step' THEN x.id END, x.kind, x.state, x.due,
       %(yesterday)s, %(sweep)s
  FROM ("""
    + CLOCKS_SQL
    + """) x(kind, id, case_id, due, state)
 WHERE x.id %% 10 <> 0
"""
)
PRERECORD_RUNGS_SQL = """
INSERT INTO supervision_escalation (alert_id, rule_id, level, role, recipients, sent_on, sweep_id)
SELECT a.id, %(rule)s, %(level)s, %(role)s, '[]', %(yesterday)s, %(sweep)s
  FROM supervision_clockalert a
 WHERE a.sweep_id = %(sweep)s AND a.state = %(state)s AND a.due >= %(from)s AND a.due <= %(to)s
   AND a.id %% 7 <> 0
"""


def prerecord(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    from onewindow.supervision import thresholds
    from onewindow.supervision.models import EscalationRule

    yesterday = DAY - dt.timedelta(days=1)
    sweep = conn.execute(
        "INSERT INTO supervision_sweep (day, started_at, finished_at, alerts, notices, run_by) "
        "VALUES (%s, now(), now(), 0, 0, 'bench: earlier sweeps') RETURNING id",
        (yesterday,),
    ).fetchone()[0]
    params = clock_params() | {"yesterday": yesterday, "sweep": sweep}
    alerts = conn.execute(PRERECORD_ALERTS_SQL, params).rowcount
    rungs = 0
    for rule in EscalationRule.objects.filter(active=True):
        if rule.state == "warning":
            span = (DAY, dt.date.max)
        else:
            span = (dt.date.min, thresholds.overdue_since(rule.after_days, DAY))
        rungs += conn.execute(
            PRERECORD_RUNGS_SQL,
            params
            | {
                "rule": rule.pk,
                "level": rule.level,
                "role": rule.role,
                "state": rule.state,
                "from": span[0],
                "to": span[1],
            },
        ).rowcount
    conn.execute("ANALYZE supervision_clockalert")
    conn.execute("ANALYZE supervision_escalation")
    return alerts, rungs


def sweep_selection(conn: psycopg.Connection[Any]) -> tuple[Callable[[], Any], ...]:
    from onewindow.supervision import services
    from onewindow.supervision.choices import ClockKind

    def app() -> tuple[int, int]:
        """The clocks the sweep reads, as it reads them (its writes left out)."""
        n = checksum = 0
        for kind, source in services._clock_sources(DAY):
            fields = ("case_id", "due", "s") if kind == ClockKind.STEP else (f"{kind}_due", "s")
            for rows in services._stream(source, services.CHUNK, *fields):
                n += len(rows)
                checksum += sum(r[0] for r in rows)
        return n, checksum

    def hand() -> tuple[int, int]:
        params = clock_params()
        n = checksum = 0
        with conn.transaction(), conn.cursor(name="clocks") as cursor:  # streamed
            cursor.itersize = 5000
            cursor.execute(CLOCKS_SQL, params)
            for row in cursor:
                n += 1
                checksum += row[1]
        return n, checksum

    return app, hand


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_sweeps(conn: psycopg.Connection[Any]) -> list[str]:
    from onewindow.supervision.services import supervise

    lines = []
    reset_sweeps(conn)
    alerts, rungs = prerecord(conn)
    print(f"  earlier sweeps (loaded, not timed): {alerts:,} events recorded, {rungs:,} rungs sent")
    open_clocks = (
        conn.execute(
            """SELECT 2 * count(*) FILTER (WHERE status = 'in_progress') FROM cases_case"""
        ).fetchone()[0]
        + conn.execute("SELECT count(*) FROM cases_step WHERE closed_at IS NULL").fetchone()[0]
    )
    for label in ("first sweep", "second sweep (nothing new)"):
        before = maxrss_mb()
        with tqdm(unit="row", file=sys.stderr, leave=False, desc=label) as bar:
            seconds, result = timed(
                lambda bar=bar: supervise(day=DAY, run_by="bench", progress=bar.update)
            )
        lines.append(
            f"    {label:<27} {seconds:8.1f} s  open clocks {open_clocks:,}, warning or overdue "
            f"{result.clocks:,}, new events {result.alerts:,}, notices {result.notices:,}; "
            f"peak RSS {before:.0f} → {maxrss_mb():.0f} MB"
        )
        print(lines[-1], flush=True)
    return lines


# -- main ------------------------------------------------------------------------------------------


def skip(message: str, strict: bool) -> int:
    print(f"SKIPPED: {message}")
    return 1 if strict else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="cases to load (1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each query (5)")
    parser.add_argument("--no-sweep", action="store_true", help="leave out the whole sweeps")
    parser.add_argument("--strict", action="store_true", help="exit 1 when skipped or slow")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    if connection.vendor != "postgresql" or not url.startswith(("postgres://", "postgresql://")):
        return skip(
            f"bench/supervision.py measures PostgreSQL only; DATABASE_URL is "
            f"{url.split(':', 1)[0]}:… (unset it to use {DEFAULT_URL})",
            args.strict,
        )
    try:
        ensure_database(url)
    except psycopg.OperationalError as exc:
        return skip(f"cannot reach PostgreSQL at {url}: {str(exc).strip()}", args.strict)
    prepare_database()

    from onewindow.accounts.models import User
    from onewindow.cases import clock

    print(f"supervision and statistics over {args.n:,} cases, on {DAY}")
    print(f"  {machine()}")
    conn = psycopg.connect(url, autocommit=True)  # each statement its own transaction
    try:
        if loaded(conn) != args.n:
            load(conn, args.n, User.objects.get(username=ACCEPTOR).pk)
        else:
            print(f"  {args.n:,} cases already loaded (from an earlier run)")
        counts = dict(
            conn.execute("SELECT status, count(*) FROM cases_case GROUP BY 1 ORDER BY 1").fetchall()
        )
        steps = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE closed_at IS NULL) FROM cases_step"
        ).fetchone()
        print(
            "  cases: "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items())
            + f"; steps {steps[0]:,} ({steps[1]:,} open)"
        )
        results: list[tuple[str, str, float, float]] = []
        with clock.simulate(DAY):
            sides = board_sides(conn) | stats_sides(conn)
            sides["(c) sweep: the clocks it selects (warning or overdue)"] = sweep_selection(conn)
            for jit in (False, True):
                set_jit(conn, jit)
                label = "jit = on" if jit else "jit = off"
                for name, (app, hand) in sides.items():
                    if jit and name.startswith("(c)"):
                        # measured with JIT off only (the project's connections run without it)
                        print(f"  {name:<62} {label:<17} not measured (see docs/performance.md)")
                        continue
                    a, h = compare(name, app, hand, args.repeat)
                    results.append((name, label, a, h))
                    print(
                        f"  {name:<62} {label:<17} app {a * 1000:9.1f} ms  "
                        f"hand-written {h * 1000:9.1f} ms  ratio {a / h:5.2f}",
                        flush=True,
                    )
            conn.execute("RESET jit")
            with connection.cursor() as cursor:
                cursor.execute("RESET jit")  # the connection's own setting again
            sweep_lines = [] if args.no_sweep else run_sweeps(conn)
    finally:
        conn.close()
    worst = max(a / h for _n, jit, a, h in results if jit == "jit = off")
    print(
        f"  worst ratio with the project's jit = off: {worst:.2f} (goal <= {GOAL}): "
        f"{'met' if worst <= GOAL else 'NOT met'}"
    )
    del sweep_lines
    if args.strict and worst > GOAL:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
