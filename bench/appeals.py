"""Appeals (民情直通车) on a province's volume: routing and the escalation sweep beside the same
work written by hand in SQL, in the same run, on PostgreSQL.

Loads N open appeals (default 1,000,000) with one open dispatch each into PostgreSQL with
`INSERT … SELECT generate_series` (not timed; reused by the next run when N is unchanged): filed
in the demo county's towns and villages under the leaf categories, 40 % waiting to be signed for
(待签收) and 60 % signed (办理中); 0.3 % of the dispatches are 1–6 days past their sign-for
or handling due date, the rest due within the next three weeks. Then, on the simulated day:

(a) routing: `appeals.services.route(category, region)` for a batch of `--batch` appeals (their
    category and region as `file_appeal` holds them) beside one hand-written query per appeal
    (the category's ancestors by a recursive CTE, the first applicable routing rule by priority,
    the unit resolved in SQL);
(b) the escalation sweep's decisions: which (dispatch, clock, step) are due today and not yet
    taken. The hand-written query answers it in one statement; before the first sweep its
    answer must equal what the first `sweep()` then records. The first sweep (with its writes,
    events, notices and automatic 提级) is timed on its own; then `sweep()` again, which finds
    nothing new, is measured `--repeat` times beside the hand-written query (the same
    question, the same empty answer).

Prints each side's time and the ratio app ÷ hand-written (goal <= 1.5).

    python bench/appeals.py [--n 1000000] [--batch 2000] [--repeat 3] [--strict]

Needs PostgreSQL: DATABASE_URL, default postgres://postgres@127.0.0.1:5432/ow_bench_app (created,
migrated and given the demo county when missing). On SQLite, or when the server cannot be
reached, it says so and exits 0 (`--strict`: exits 1 then, and when a ratio misses the goal).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
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
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ow_bench_app"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.test")
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("ONEWINDOW_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.db import connection  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench._db import ensure_database, machine, prepare_database  # noqa: E402

GOAL = 1.5
PREFIX = "MQB"
DAY = dt.date(2026, 9, 15)  # a Tuesday
BATCH = 250_000


# -- loading ---------------------------------------------------------------------------------------

APPEALS_SQL = """
INSERT INTO appeals_appeal (
    created_at, updated_at, number, channel, kind, address, latitude, longitude, title, content,
    anonymous, caller_name, callback_phone, publish_consent, urgency, recording_ref, status,
    reopen_count, rating, filed_on, revision, filed_by_id, region_id, category_id)
SELECT now(), now(), %(prefix)s || lpad(g.i::text, 12, '0'),
       (ARRAY['web', 'mobile', 'hotline'])[1 + g.h %% 3],
       (ARRAY['consultation', 'help', 'complaint', 'report', 'suggestion'])[1 + (g.h / 3) %% 5],
       '', NULL, NULL, '诉求' || g.i, '诉求内容：路灯不亮，请尽快修理。', false, '群众' || g.i, '',
       false, 'normal', '', CASE WHEN g.i %% 10 < 4 THEN 'dispatched' ELSE 'handling' END,
       0, '', %(day)s::date - 10, 1, NULL,
       (%(regions)s::bigint[])[1 + (g.h / 15) %% cardinality(%(regions)s::bigint[])],
       (%(categories)s::bigint[])[1 + (g.h / 7) %% cardinality(%(categories)s::bigint[])]
  FROM (SELECT s AS i, ((s * 2654435761) %% 1000003)::int AS h
          FROM generate_series(%(first)s::bigint, %(last)s::bigint) s) g
"""
# One open dispatch per appeal, to the unit the routing rules give (the centre for category
# 0801, else the appeal's own village or town); 3 in 1000 are 1–6 days overdue.
DISPATCHES_SQL = """
INSERT INTO appeals_dispatch (
    created_at, updated_at, lead, state, sign_due, signed_on, handle_due, closed_on, reason,
    reply, appeal_id, department_id, region_id, extension_days, extension_reason,
    extension_state)
SELECT now(), now(), true, x.state,
       CASE WHEN x.state = 'waiting' THEN x.due ELSE x.due - 8 END,
       CASE WHEN x.state = 'waiting' THEN NULL ELSE x.due - 7 END,
       CASE WHEN x.state = 'waiting' THEN NULL ELSE x.due END,
       NULL, '', '', x.id, NULL,
       CASE WHEN x.category_id = %(centre_category)s THEN %(county)s::bigint ELSE x.region_id END,
       0, '', ''
  FROM (
    SELECT a.id, a.region_id, a.category_id,
           CASE WHEN a.status = 'dispatched' THEN 'waiting' ELSE 'signed' END AS state,
           %(day)s::date + CASE WHEN (a.id * 7919) %% 1000 < 3
                                THEN -(1 + (a.id / 1000) %% 6)::int
                                ELSE (((a.id * 7919) %% 1000 - 3) / 48)::int END AS due
      FROM appeals_appeal a
     WHERE a.id BETWEEN %(lo)s AND %(hi)s AND a.number LIKE %(like)s
  ) x
"""


def loaded(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "SELECT count(*) FROM appeals_appeal WHERE number LIKE %s", (PREFIX + "%",)
    ).fetchone()
    return int(row[0])


def load(conn: psycopg.Connection[Any], n: int) -> None:
    print(f"  loading {n:,} appeals and their dispatches (INSERT … SELECT; not timed)")
    began = time.perf_counter()
    conn.execute("TRUNCATE appeals_appeal CASCADE")  # the bench database holds bench appeals only
    regions = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM org_region WHERE level IN ('town', 'village') ORDER BY id"
        ).fetchall()
    ]
    categories = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM appeals_category c WHERE NOT EXISTS "
            "(SELECT 1 FROM appeals_category k WHERE k.parent_id = c.id) ORDER BY id"
        ).fetchall()
    ]
    county = conn.execute(
        "SELECT id FROM org_region WHERE level = 'county' AND parent_id IS NULL"
    ).fetchone()[0]
    centre = conn.execute(
        "SELECT category_id FROM appeals_routingrule WHERE target = 'centre' "
        "AND category_id IS NOT NULL ORDER BY priority DESC LIMIT 1"
    ).fetchone()
    with tqdm(total=2 * n, unit="row", file=sys.stderr, leave=False) as bar:
        for first in range(1, n + 1, BATCH):
            last = min(first + BATCH - 1, n)
            conn.execute(
                APPEALS_SQL,
                {
                    "prefix": PREFIX,
                    "first": first,
                    "last": last,
                    "day": DAY,
                    "regions": regions,
                    "categories": categories,
                },
            )
            bar.update(last - first + 1)
        lo, hi = conn.execute("SELECT min(id), max(id) FROM appeals_appeal").fetchone()
        for start in range(lo, hi + 1, BATCH):
            conn.execute(
                DISPATCHES_SQL,
                {
                    "lo": start,
                    "hi": start + BATCH - 1,
                    "like": PREFIX + "%",
                    "day": DAY,
                    "county": county,
                    "centre_category": centre[0] if centre else 0,
                },
            )
            bar.update(min(BATCH, hi + 1 - start))
    conn.execute("VACUUM ANALYZE appeals_appeal")
    conn.execute("VACUUM ANALYZE appeals_dispatch")
    print(f"  loaded in {time.perf_counter() - began:.0f} s")


# -- measuring -------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def compare(
    name: str, app: Callable[[], Any], hand: Callable[[], Any], repeat: int
) -> tuple[float, float]:
    a, h = app(), hand()
    if a != h:
        raise AssertionError(f"{name}: the app and the hand-written SQL disagree:\n  {a}\n  {h}")
    app_times, hand_times = [], []
    for _ in range(repeat):
        app_times.append(timed(app)[0])
        hand_times.append(timed(hand)[0])
    return statistics.median(app_times), statistics.median(hand_times)


# -- (a) routing -----------------------------------------------------------------------------------

ROUTE_SQL = """
WITH RECURSIVE anc(id, parent_id) AS (
    SELECT id, parent_id FROM appeals_category WHERE id = %(category)s
    UNION ALL
    SELECT c.id, c.parent_id FROM appeals_category c JOIN anc ON c.id = anc.parent_id
)
SELECT CASE WHEN r.target = 'village' THEN g.id
            WHEN r.target = 'town' AND g.level = 'town' THEN g.id
            WHEN r.target = 'town' THEN g.parent_id
            WHEN r.target = 'department' THEN d.region_id
            ELSE (SELECT id FROM org_region WHERE level = 'county' AND parent_id IS NULL) END,
       CASE WHEN r.target = 'department' THEN d.id END
  FROM org_region g
  LEFT JOIN LATERAL (
      SELECT r.target, r.department_id FROM appeals_routingrule r
       WHERE (r.category_id IS NULL OR r.category_id IN (SELECT id FROM anc))
         AND (r.region_level = '' OR r.region_level = g.level)
         AND (r.target = 'centre'
              OR (r.target = 'village' AND g.level = 'village')
              OR (r.target = 'town' AND (g.level = 'town'
                                         OR (g.level = 'village' AND g.parent_id IS NOT NULL)))
              OR (r.target = 'department' AND r.department_id IS NOT NULL))
       ORDER BY r.priority DESC, r.id LIMIT 1
  ) r ON true
  LEFT JOIN org_department d ON d.id = r.department_id
 WHERE g.id = %(region)s
"""


def routing_sides(
    conn: psycopg.Connection[Any], batch: int
) -> tuple[Callable[[], Any], Callable[[], Any]]:
    from onewindow.appeals.models import Category
    from onewindow.appeals.services import route
    from onewindow.org.models import Region

    rng = random.Random(20261207)
    lo, hi = conn.execute(
        "SELECT min(id), max(id) FROM appeals_appeal WHERE number LIKE %s", (PREFIX + "%",)
    ).fetchone()
    ids = rng.sample(range(lo, hi + 1), min(batch, hi - lo + 1))
    pairs = conn.execute(
        "SELECT category_id, region_id FROM appeals_appeal WHERE id = ANY(%s) ORDER BY id", (ids,)
    ).fetchall()
    categories = {c.pk: (c.code, c.name, c.parent_id) for c in Category.objects.all()}
    # the regions as `file_appeal` holds them (with their parent)
    regions = {r.pk: r for r in Region.objects.select_related("parent")}

    def app() -> list[tuple[int, int | None]]:
        out = []
        for category_id, region_id in pairs:
            code, name, parent_id = categories[category_id]
            # a category as `file_appeal` reads it: fresh, its parent not loaded yet
            category = Category(pk=category_id, code=code, name=name, parent_id=parent_id)
            unit, department = route(category, regions[region_id])
            out.append((unit.pk, department.pk if department else None))
        return out

    def hand() -> list[tuple[int, int | None]]:
        out = []
        for category_id, region_id in pairs:
            row = conn.execute(ROUTE_SQL, {"category": category_id, "region": region_id}).fetchone()
            out.append((row[0], row[1]))
        return out

    return app, hand


# -- (b) the sweep ---------------------------------------------------------------------------------

DUE_STEPS_SQL = """
WITH cut(after, cut) AS (SELECT * FROM unnest(%(afters)s::int[], %(cuts)s::date[])),
     ladder(step, after) AS (SELECT * FROM unnest(%(steps)s::text[], %(afters)s::int[]))
SELECT d.id, w.clock, l.step
  FROM appeals_dispatch d
  JOIN org_region g ON g.id = d.region_id
  CROSS JOIN LATERAL (
      SELECT CASE WHEN d.state = 'waiting' THEN 'sign' ELSE 'handle' END AS clock,
             CASE WHEN d.state = 'waiting' THEN d.sign_due ELSE d.handle_due END AS due) w
  JOIN ladder l ON true
  JOIN cut ON cut.after = l.after
 WHERE (d.state = 'waiting' AND d.sign_due < %(day)s OR d.state = 'signed'
        AND d.handle_due < %(day)s)
   AND w.due <= cut.cut
   AND NOT (l.step = 'escalate' AND g.level = 'county' AND d.department_id IS NULL)
   AND NOT EXISTS (SELECT 1 FROM appeals_escalation e
                    WHERE e.dispatch_id = d.id AND e.clock = w.clock AND e.step = l.step)
"""


def latest_due(n: int, day: dt.date) -> dt.date:
    """The latest due date at least n working days late on `day`."""
    from onewindow.cases import clock

    due = day - dt.timedelta(days=1)
    while clock.elapsed(due, day, clock.WORKING_DAYS) < n:
        due -= dt.timedelta(days=1)
    return due


def due_steps(conn: psycopg.Connection[Any]) -> set[tuple[int, str, str]]:
    from onewindow.appeals import limits

    afters = [after for _, after in limits.LADDER]
    rows = conn.execute(
        DUE_STEPS_SQL,
        {
            "day": DAY,
            "steps": [step for step, _ in limits.LADDER],
            "afters": afters,
            "cuts": [latest_due(a, DAY) for a in afters],
        },
    ).fetchall()
    return {(r[0], r[1], r[2]) for r in rows}


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def skip(message: str, strict: bool) -> int:
    print(f"SKIPPED: {message}")
    return 1 if strict else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="open appeals (1,000,000)")
    parser.add_argument("--batch", type=int, default=2000, help="appeals routed per run (2000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side (3)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when skipped or slow")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    if connection.vendor != "postgresql" or not url.startswith(("postgres://", "postgresql://")):
        return skip(
            f"bench/appeals.py measures PostgreSQL only; DATABASE_URL is "
            f"{url.split(':', 1)[0]}:… (unset it to use {DEFAULT_URL})",
            args.strict,
        )
    try:
        ensure_database(url)
    except psycopg.OperationalError as exc:
        return skip(f"cannot reach PostgreSQL at {url}: {str(exc).strip()}", args.strict)
    prepare_database()

    from onewindow.appeals.models import Escalation
    from onewindow.appeals.services import sweep
    from onewindow.cases import clock

    print(f"appeals over {args.n:,} open appeals, on {DAY}")
    print(f"  {machine()}")
    conn = psycopg.connect(url, autocommit=True)
    ratios = []
    try:
        if loaded(conn) != args.n:
            load(conn, args.n)
        else:
            print(f"  {args.n:,} appeals already loaded (from an earlier run)")
            # what an earlier run's sweep did: undone, so that this run's first sweep has work
            conn.execute("TRUNCATE appeals_escalation, appeals_appealevent")
            conn.execute(
                "DELETE FROM appeals_dispatch d USING appeals_appeal a WHERE a.id = d.appeal_id "
                "AND a.number LIKE %s AND d.id > (SELECT min(id) FROM appeals_dispatch x "
                "WHERE x.appeal_id = a.id)",
                (PREFIX + "%",),
            )
            conn.execute(
                "UPDATE appeals_dispatch SET state = CASE WHEN signed_on IS NULL THEN 'waiting' "
                "ELSE 'signed' END, closed_on = NULL, reason = '' WHERE state NOT IN "
                "('waiting', 'signed')"
            )
        states = dict(
            conn.execute("SELECT state, count(*) FROM appeals_dispatch GROUP BY 1").fetchall()
        )
        print("  dispatches: " + ", ".join(f"{k} {v:,}" for k, v in sorted(states.items())))
        with clock.simulate(DAY):
            app, hand = routing_sides(conn, args.batch)
            a, h = compare("routing", app, hand, args.repeat)
            ratios.append(a / h)
            print(
                f"  (a) routing {args.batch} appeals: app {a * 1000:8.1f} ms "
                f"({a / args.batch * 1000:.2f} ms each)  hand-written {h * 1000:8.1f} ms "
                f"({h / args.batch * 1000:.2f} ms each)  ratio {a / h:5.2f}"
            )
            expected = due_steps(conn)
            overdue = conn.execute(
                "SELECT count(*) FROM appeals_dispatch WHERE state = 'waiting' AND sign_due < %s "
                "OR state = 'signed' AND handle_due < %s",
                (DAY, DAY),
            ).fetchone()[0]
            before = maxrss_mb()
            seconds, steps = timed(lambda: sweep(on=DAY))
            recorded = {
                (e.dispatch_id, e.clock, e.step)
                for e in Escalation.objects.filter(on=DAY).only("dispatch_id", "clock", "step")
            }
            if not expected <= recorded or steps != len(recorded):
                raise AssertionError(
                    f"the first sweep recorded {steps} steps ({len(recorded)} rows); the "
                    f"hand-written query expected {len(expected)}, "
                    f"{len(expected - recorded)} of them missing"
                )
            print(
                f"  (b) first sweep: {seconds:8.1f} s for {overdue:,} overdue dispatches, "
                f"{steps:,} steps recorded ({seconds / max(overdue, 1) * 1000:.1f} ms per "
                f"overdue dispatch; the hand-written query named the same {len(expected):,}); "
                f"peak RSS {before:.0f} → {maxrss_mb():.0f} MB"
            )
            a, h = compare(
                "second sweep", lambda: sweep(on=DAY), lambda: len(due_steps(conn)), args.repeat
            )
            ratios.append(a / h)
            print(
                f"  (b) a second sweep (nothing new): app {a * 1000:8.1f} ms  hand-written "
                f"{h * 1000:8.1f} ms  ratio {a / h:5.2f}"
            )
    finally:
        conn.close()
    worst = max(ratios)
    print(f"  worst ratio {worst:.2f} (goal <= {GOAL}): {'met' if worst <= GOAL else 'NOT met'}")
    return 1 if args.strict and worst > GOAL else 0


if __name__ == "__main__":
    sys.exit(main())
