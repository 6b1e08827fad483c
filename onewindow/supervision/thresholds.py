"""Turning the clock's rules into date cut-offs, so that the database can tell the time state.

`cases.clock.time_state(due, limit, on)` decides one clock at a time in Python. For a list of a
province's clocks the database must decide, so we turn the rule around: on a given day, a clock
whose limit gives a warning threshold of `t` working days is in warning exactly when
`on <= due <= warn_until(t, on)`, overdue when `due < on`. Thresholds depend only on the limit,
and a catalogue has few distinct limits, so a query carries one date per distinct threshold.

The escalation ladder uses the same idea: a clock is at least `n` working days overdue exactly
when `due <= overdue_since(n, on)`.

Everything here calls the clock's own functions (`remaining`, `elapsed`), so the board, the
sweep and the case page can never disagree.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings

from onewindow.cases import clock

# no limit in any catalogue comes near this; it bounds the walks below
_HORIZON = 800


def threshold(limit_days: int) -> int:
    """Working days left at which a clock of this limit turns yellow (clock.time_state's rule)."""
    return max(
        settings.ONEWINDOW_WARNING_DAYS,
        math.ceil(limit_days * settings.ONEWINDOW_WARNING_FRACTION),
    )


def warn_until(t: int, on: dt.date) -> dt.date:
    """The latest due date that is in warning on `on` for threshold `t`: the largest `d >= on`
    with `clock.remaining(d, on) <= t` (remaining grows with d)."""
    day = on
    for _ in range(_HORIZON):
        following = day + dt.timedelta(days=1)
        if clock.remaining(following, on) > t:
            return day
        day = following
    return day


def overdue_since(n: int, on: dt.date) -> dt.date:
    """The latest due date that is at least `n` working days overdue on `on`: the largest
    `d < on` with `clock.elapsed(d, on, working days) >= n` (elapsed shrinks as d grows)."""
    day = on - dt.timedelta(days=1)
    for _ in range(_HORIZON):
        if clock.elapsed(day, on, clock.WORKING_DAYS) >= n:
            return day
        day -= dt.timedelta(days=1)
    return day


def overdue_days(due: dt.date, on: dt.date) -> int:
    """Working days past the due date (0 when not overdue)."""
    if on <= due:
        return 0
    return max(clock.elapsed(due, on, clock.WORKING_DAYS), 0)
