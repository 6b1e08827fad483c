"""Deadline arithmetic: our WorkingCalendar against a naive day-by-day loop, in the same run.

For 1, 5, 20 and 60 working days from random start dates in 2004–2025, measures how many
`add_working_days` calls per second our implementation answers, and how many a loop that steps
one day at a time through `chinese_calendar.is_workday` answers (the reference: "naive"). Prints
one line per case: days, our rate, the naive rate, the ratio; then, for context, the rate of the
same day-by-day loop over a precomputed set of working days and our ratio to it. Exits with status
1 if the ratio to the naive loop at 20 days is below the goal (100×). No database is needed: the
calendar is built directly from the chinesecalendar package. About 15 seconds.

    make bench        or        .venv/bin/python bench/calendar.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# This file is called calendar.py: run as a script, its folder would come first on sys.path and
# shadow the standard library's `calendar` (which datetime parsing and Django import).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.test")

import datetime as dt  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import chinese_calendar  # noqa: E402

from onewindow.calendar.arithmetic import WorkingCalendar  # noqa: E402

CASES = (1, 5, 20, 60)
GOAL_AT_20 = 100.0
BUDGET = 1.0  # seconds of measuring per implementation and case
STARTS = 20_000
ONE = dt.timedelta(days=1)


def build() -> WorkingCalendar:
    years = range(2004, 2027)
    first, last = dt.date(years.start, 1, 1), dt.date(years.stop - 1, 12, 31)
    days = (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return WorkingCalendar(years, [d for d in days if chinese_calendar.is_workday(d)])


def naive_add(start: dt.date, n: int) -> dt.date:
    day = start
    while n:
        day += ONE
        if chinese_calendar.is_workday(day):
            n -= 1
    return day


def set_loop_add(workdays: frozenset[dt.date]) -> Callable[[dt.date, int], dt.date]:
    def add(start: dt.date, n: int) -> dt.date:
        day = start
        while n:
            day += ONE
            if day in workdays:
                n -= 1
        return day

    return add


def rate(
    add: Callable[[dt.date, int], dt.date], starts: list[dt.date], n: int, chunk: int
) -> float:
    """Calls per second over at least BUDGET seconds, cycling through the start dates."""
    done = 0
    position = 0
    began = time.perf_counter()
    while True:
        batch = starts[position : position + chunk]
        for start in batch:
            add(start, n)
        done += len(batch)
        position = (position + chunk) % len(starts)
        elapsed = time.perf_counter() - began
        if elapsed >= BUDGET:
            return done / elapsed


def main() -> int:
    began = time.perf_counter()
    calendar = build()
    built = time.perf_counter() - began
    rng = random.Random(2026)
    low, high = dt.date(2004, 1, 1).toordinal(), dt.date(2025, 12, 31).toordinal()
    starts = [dt.date.fromordinal(rng.randint(low, high)) for _ in range(STARTS)]
    print(
        f"working-day calendar: add_working_days, {STARTS} random starts 2004–2025 "
        f"(calendar built in {built * 1000:.0f} ms; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU)"
    )
    set_add = set_loop_add(frozenset(calendar.workdays))
    print(
        f"{'days':>4}  {'ours ops/s':>14}  {'naive ops/s':>12}  {'ratio':>8}"
        f"  {'set-loop ops/s':>15}  {'ratio':>6}"
    )
    ratios = {}
    for n in CASES:
        for start in starts[:300]:  # the two must agree before their speed means anything
            expected = naive_add(start, n)
            assert calendar.add_working_days(start, n) == expected == set_add(start, n), (start, n)
        ours = rate(calendar.add_working_days, starts, n, chunk=5000)
        naive = rate(naive_add, starts, n, chunk=20)
        set_loop = rate(set_add, starts, n, chunk=1000)
        ratios[n] = ours / naive
        print(
            f"{n:>4}  {ours:>14,.0f}  {naive:>12,.0f}  {ratios[n]:>7,.0f}×"
            f"  {set_loop:>15,.0f}  {ours / set_loop:>5,.1f}×"
        )
    print(f"total {time.perf_counter() - began:.1f} s")
    if ratios[20] < GOAL_AT_20:
        print(f"FAIL: {ratios[20]:.0f}× at 20 working days, goal {GOAL_AT_20:.0f}×")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
