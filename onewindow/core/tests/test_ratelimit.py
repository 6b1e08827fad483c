"""Rate-limit counts in the database: shared by every process, exact under concurrent hits, held
to a sliding window (the current fixed window plus the share of the previous one it still
covers), pruned once no window covers them."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from onewindow.core import ratelimit
from onewindow.core.models import RateCount

T0 = 1_800_000_000.0  # a window boundary for windows of 600 s and 3600 s


@pytest.mark.django_db
def test_counts_within_a_window_and_slide_into_the_next(monkeypatch) -> None:
    monkeypatch.setattr(ratelimit, "now", lambda: T0 + 599)
    assert [ratelimit.hit("a", window=600) for _ in range(4)] == [1, 2, 3, 4]
    assert ratelimit.count("a", window=600) == 4 and ratelimit.count("b", window=600) == 0
    assert ratelimit.hit("b", window=600) == 1  # another key counts apart
    # just into the next window: the previous one's hits are all still inside the sliding one
    monkeypatch.setattr(ratelimit, "now", lambda: T0 + 600)
    assert ratelimit.count("a", window=600) == 4 and ratelimit.hit("a", window=600) == 5
    row = RateCount.objects.get(key="a", window_start=int(T0) + 600)
    assert row.expires_at == dt.datetime.fromtimestamp(T0 + 1800, tz=dt.UTC)
    # half-way: half of them; a whole window later: none
    monkeypatch.setattr(ratelimit, "now", lambda: T0 + 900)
    assert ratelimit.count("a", window=600) == 1 + 2
    monkeypatch.setattr(ratelimit, "now", lambda: T0 + 1200)
    assert ratelimit.count("a", window=600) == 0 + 1


@pytest.mark.django_db
def test_a_whole_allowance_at_a_windows_end_is_not_a_second_one_at_the_next_start(
    monkeypatch,
) -> None:
    """With fixed windows alone, 10 hits in the last second of one window and 10 more in the
    first second of the next would all pass a limit of 10."""
    monkeypatch.setattr(ratelimit, "now", lambda: T0 + 599)
    assert max(ratelimit.hit("edge", window=600) for _ in range(10)) == 10
    monkeypatch.setattr(ratelimit, "now", lambda: T0 + 601)
    assert ratelimit.hit("edge", window=600) > 10


@pytest.mark.django_db
def test_prune_deletes_the_windows_no_sliding_window_covers(monkeypatch) -> None:
    monkeypatch.setattr(ratelimit, "now", lambda: T0)
    ratelimit.hit("old", window=600)
    monkeypatch.setattr(ratelimit, "now", lambda: T0 + 600)
    ratelimit.hit("current", window=600)
    # at T0 + 700 the first window still counts for the sliding window: kept
    assert ratelimit.prune(at=dt.datetime.fromtimestamp(T0 + 700, tz=dt.UTC)) == 0
    assert ratelimit.prune(at=dt.datetime.fromtimestamp(T0 + 1250, tz=dt.UTC)) == 1
    assert list(RateCount.objects.values_list("key", flat=True)) == ["current"]


@pytest.mark.django_db
def test_a_long_key_is_cut_not_refused() -> None:
    assert ratelimit.hit("k" * 400, window=60) == 1
    assert ratelimit.count("k" * 400, window=60) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_from_many_connections_are_all_counted(require_postgres) -> None:
    """Eight threads, each with its own connection (as separate web processes would have), hit
    the same key at once: the last count is exactly the number of hits."""
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker() -> None:
        try:
            start.wait()
            for _ in range(25):
                counts.append(ratelimit.hit("busy", window=600))
        except BaseException as exc:  # collected for the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sorted(counts) == list(range(1, 201))
    assert ratelimit.count("busy", window=600) == 200
