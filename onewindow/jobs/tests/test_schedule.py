"""The schedule's rules: the latest slot at or before a moment, in the centre's time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from onewindow.jobs.schedule import JOBS, SCHEDULE, Daily, Every, Monthly, Quarterly, Weekly

SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    ("rule", "now", "slot"),
    [
        (Every(1), at(2026, 3, 2, 10, 5, 59), at(2026, 3, 2, 10, 5)),
        (Every(30), at(2026, 3, 2, 10, 29, 59), at(2026, 3, 2, 10, 0)),
        (Every(30), at(2026, 3, 2, 10, 30), at(2026, 3, 2, 10, 30)),
        (Every(30), at(2026, 3, 2, 0, 0, 1), at(2026, 3, 2, 0, 0)),
        (Daily(dt.time(1, 30)), at(2026, 3, 2, 1, 29), at(2026, 3, 1, 1, 30)),
        (Daily(dt.time(1, 30)), at(2026, 3, 2, 1, 30), at(2026, 3, 2, 1, 30)),
        (Weekly(dt.time(1, 40)), at(2026, 3, 2, 1, 39), at(2026, 2, 23, 1, 40)),  # a Monday
        (Weekly(dt.time(1, 40)), at(2026, 3, 8, 23, 0), at(2026, 3, 2, 1, 40)),  # Sunday
        (Monthly(dt.time(1, 50)), at(2026, 3, 1, 1, 49), at(2026, 2, 1, 1, 50)),
        (Monthly(dt.time(1, 50)), at(2026, 3, 31, 12, 0), at(2026, 3, 1, 1, 50)),
        (Monthly(dt.time(1, 50)), at(2026, 1, 1, 0, 0), at(2025, 12, 1, 1, 50)),
        (Quarterly(dt.time(2, 10)), at(2026, 3, 31, 12, 0), at(2026, 1, 1, 2, 10)),
        (Quarterly(dt.time(2, 10)), at(2026, 1, 1, 2, 9), at(2025, 10, 1, 2, 10)),
        (Quarterly(dt.time(2, 10)), at(2026, 12, 7, 3, 0), at(2026, 10, 1, 2, 10)),
    ],
)
def test_latest_slot(rule: Every, now: dt.datetime, slot: dt.datetime) -> None:
    assert rule.latest(now) == slot
    assert rule.latest(now.astimezone(dt.UTC)) == slot  # the same moment given in UTC


def test_the_schedule_mirrors_the_crontab() -> None:
    assert len(JOBS) == len(SCHEDULE)
    assert JOBS["supervise"].when == Every(30)
    assert JOBS["appeals.sweep"].when == Every(30)
    assert JOBS["notify.retry"].when == Every(1)
    assert JOBS["audit.seal"].when == Every(1)
    assert JOBS["report.day"].when == Daily(dt.time(1, 30))
    assert JOBS["report.week"].when == Weekly(dt.time(1, 40))
    assert JOBS["report.month"].when == Monthly(dt.time(1, 50))
    assert JOBS["report.quarter"].when == Monthly(dt.time(2, 10), months=3)
    # a report is for the period before its slot's day, even when it runs late
    slot = at(2026, 3, 9, 1, 40)
    assert JOBS["report.week"].kwargs_for(slot) == {"kind": "week", "today": "2026-03-09"}
    assert JOBS["supervise"].kwargs_for(slot) == {}
