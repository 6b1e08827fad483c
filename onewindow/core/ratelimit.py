"""Counting what one address or client does in a sliding window of time, for the limits on
public look-ups and Open311 posts.

Counts are kept per fixed window; the count a limit is held to is the current window's plus the
previous window's in the share of it the sliding window still covers (at a quarter into the
current window, three quarters of the previous one's). With fixed windows alone a client could
use a whole allowance at the end of one window and another at the start of the next: twice the
limit within seconds. The estimate assumes the previous window's hits were spread evenly, the
usual sliding-window counter.

The counts live in the database (`RateCount`), not in a process's memory: `make run` serves with
two gunicorn workers and a real installation with more, and a limit kept per process would be
that many times the allowance. One statement counts and reads back (`INSERT … ON CONFLICT DO
UPDATE … RETURNING`, on PostgreSQL and on SQLite 3.35+), so two processes counting at once
never lose a hit. `jobs.prune` deletes the windows that have passed."""

from __future__ import annotations

import datetime as dt
import math
import time

from django.db import connection
from django.utils import timezone

from .models import RateCount

_TABLE = RateCount._meta.db_table
_KEY_LENGTH = RateCount._meta.get_field("key").max_length or 150


def now() -> float:
    """The time the windows are counted on (a test that counts up to a limit holds it still, so
    that its hits do not straddle two windows)."""
    return time.time()


def _window(window: int) -> tuple[int, float, dt.datetime]:
    """The current window's start, the share of the previous window the sliding window still
    covers, and when the current window's count stops mattering (one window after it ends, as
    the previous window of the next)."""
    at = now()
    start = int(at) // window * window
    still = 1.0 - (at - start) / window
    return start, still, dt.datetime.fromtimestamp(start + 2 * window, tz=dt.UTC)


def _previous(key: str, start: int, window: int, still: float) -> int:
    if still <= 0:
        return 0
    found = (
        RateCount.objects.filter(key=key, window_start=start - window)
        .values_list("count", flat=True)
        .first()
    )
    # rounded up: a hit half-counted still counts, so the limit is never exceeded by rounding
    return math.ceil((found or 0) * still - 1e-9)


def hit(key: str, *, window: int) -> int:
    """Count one for `key`; the count in the sliding window of `window` seconds that ends now,
    this one included."""
    key = key[:_KEY_LENGTH]
    start, still, expires = _window(window)
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(_TABLE)} ({q('key')}, {q('window_start')}, {q('count')}, "  # noqa: S608 - names from the model, values bound
            f"{q('expires_at')}) VALUES (%s, %s, 1, %s) "
            f"ON CONFLICT ({q('key')}, {q('window_start')}) "
            f"DO UPDATE SET {q('count')} = {q(_TABLE)}.{q('count')} + 1 RETURNING {q('count')}",
            [key, start, connection.ops.adapt_datetimefield_value(expires)],
        )
        current = int(cursor.fetchone()[0])
    return current + _previous(key, start, window, still)


def count(key: str, *, window: int) -> int:
    """The count of `key` in the sliding window that ends now, without counting."""
    key = key[:_KEY_LENGTH]
    start, still, _ = _window(window)
    current = (
        RateCount.objects.filter(key=key, window_start=start)
        .values_list("count", flat=True)
        .first()
    )
    return (current or 0) + _previous(key, start, window, still)


def prune(*, at: dt.datetime | None = None) -> int:
    """Delete the windows no sliding window covers any more by `at` (now by default); how many
    rows went."""
    return RateCount.objects.filter(expires_at__lte=at or timezone.now()).delete()[0]
