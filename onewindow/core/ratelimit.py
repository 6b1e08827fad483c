"""Counting what one address or client does in a fixed window of time, for the limits on public
look-ups and Open311 posts.

The counts live in the database (`RateCount`), not in a process's memory: `make run` serves with
two gunicorn workers and a real installation with more, and a limit kept per process would be
that many times the allowance. One statement counts and reads back (`INSERT … ON CONFLICT DO
UPDATE … RETURNING`, on PostgreSQL and on SQLite 3.35+), so two processes counting at once
never lose a hit. `jobs.prune` deletes the windows that have passed."""

from __future__ import annotations

import datetime as dt
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


def _window(window: int) -> tuple[int, dt.datetime]:
    start = int(now()) // window * window
    return start, dt.datetime.fromtimestamp(start + window, tz=dt.UTC)


def hit(key: str, *, window: int) -> int:
    """Count one for `key` in the current window of `window` seconds; the count so far, this one
    included."""
    start, expires = _window(window)
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(_TABLE)} ({q('key')}, {q('window_start')}, {q('count')}, "  # noqa: S608 - names from the model, values bound
            f"{q('expires_at')}) VALUES (%s, %s, 1, %s) "
            f"ON CONFLICT ({q('key')}, {q('window_start')}) "
            f"DO UPDATE SET {q('count')} = {q(_TABLE)}.{q('count')} + 1 RETURNING {q('count')}",
            [key[:_KEY_LENGTH], start, connection.ops.adapt_datetimefield_value(expires)],
        )
        return int(cursor.fetchone()[0])


def count(key: str, *, window: int) -> int:
    """The count of `key` in the current window, without counting."""
    start, _ = _window(window)
    found = (
        RateCount.objects.filter(key=key[:_KEY_LENGTH], window_start=start)
        .values_list("count", flat=True)
        .first()
    )
    return found or 0


def prune(*, at: dt.datetime | None = None) -> int:
    """Delete the windows that have passed by `at` (now by default); how many rows went."""
    return RateCount.objects.filter(expires_at__lte=at or timezone.now()).delete()[0]
