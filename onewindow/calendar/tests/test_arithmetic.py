"""The deadline arithmetic, without a database: exhaustive against chinese_calendar, properties,
worked examples, and the refusal to guess about unpublished years."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onewindow.calendar.arithmetic import WorkingCalendar
from onewindow.calendar.errors import CalendarYearMissing
from onewindow.core.errors import DomainError

from .conftest import FIRST, LAST, YEARS, every_day

D = dt.date
OFFSETS = 60


def check_against_reference(calendar: WorkingCalendar, reference: list[dt.date]) -> int:
    """Every date of 2004–2026 plus 1..60 working days, against the sorted list of working days
    made from chinese_calendar.is_workday; stops where the answer would leave 2026."""
    checked = 0
    for day in every_day():
        first_after = bisect_right(reference, day)
        expected = reference[first_after : first_after + OFFSETS]
        got = [calendar.add_working_days(day, n) for n in range(1, len(expected) + 1)]
        assert got == expected, day
        if len(expected) < OFFSETS:
            with pytest.raises(CalendarYearMissing, match=r"^2027 年工作日历尚未发布$"):
                calendar.add_working_days(day, len(expected) + 1)
        checked += len(expected)
    return checked


def test_every_date_and_offset_matches_chinese_calendar(package_calendar, reference_workdays):
    checked = check_against_reference(package_calendar, reference_workdays)
    assert checked > 8000 * 59


def test_every_date_is_classified_like_chinese_calendar(package_calendar):
    for day in every_day():
        assert package_calendar.is_working_day(day) is chinese_calendar.is_workday(day), day


def test_counts_match_the_reference(package_calendar, reference_workdays):
    def reference_count(a: dt.date, b: dt.date) -> int:
        return bisect_right(reference_workdays, b) - bisect_right(reference_workdays, a)

    days = every_day()
    for i, a in enumerate(days):
        for step in (0, 1, 3, 7, 30, 200):
            if i + step < len(days):
                b = days[i + step]
                assert package_calendar.count_working_days(a, b) == reference_count(a, b)
                assert package_calendar.count_working_days(b, a) == -reference_count(a, b)


def test_natural_deadlines_match_the_reference(package_calendar, reference_workdays):
    working = set(reference_workdays)
    for day in every_day():
        for n in range(31):
            end = day + dt.timedelta(days=n)
            if end > LAST:
                break
            expected = end
            if end not in working:
                k = bisect_right(reference_workdays, end)
                if k == len(reference_workdays):
                    continue  # the next working day is in 2027
                expected = reference_workdays[k]
            assert package_calendar.natural_deadline(day, n) == expected, (day, n)
            assert package_calendar.add_natural_days(day, n) == end


# -- properties ----------------------------------------------------------------------------------

dates = st.dates(min_value=FIRST, max_value=LAST)
counts = st.integers(min_value=0, max_value=600)


def _add(calendar: WorkingCalendar, day: dt.date, n: int) -> dt.date | None:
    try:
        return calendar.add_working_days(day, n)
    except CalendarYearMissing as exc:
        assert exc.year == 2027
        return None


@settings(max_examples=400, deadline=None)
@given(day=dates, a=counts, b=counts)
def test_adding_is_associative(package_calendar, day, a, b):
    whole = _add(package_calendar, day, a + b)
    first = _add(package_calendar, day, a)
    if first is None:
        assert whole is None
        return
    assert _add(package_calendar, first, b) == whole


@settings(max_examples=400, deadline=None)
@given(day=dates, n=st.integers(min_value=1, max_value=600))
def test_result_is_a_working_day_after_start(package_calendar, day, n):
    result = _add(package_calendar, day, n)
    if result is not None:
        assert result > day
        assert package_calendar.is_working_day(result)


@settings(max_examples=400, deadline=None)
@given(day=dates, n=counts)
def test_count_inverts_add(package_calendar, day, n):
    result = _add(package_calendar, day, n)
    if result is not None:
        assert package_calendar.count_working_days(day, result) == n


@settings(max_examples=300, deadline=None)
@given(a=dates, b=dates, c=dates)
def test_counts_add_up(package_calendar, a, b, c):
    count = package_calendar.count_working_days
    assert count(a, b) + count(b, c) == count(a, c)
    assert count(a, b) == -count(b, a)


@settings(max_examples=300, deadline=None)
@given(day=dates, n=st.integers(min_value=0, max_value=400))
def test_natural_deadline_is_the_first_working_day_from_the_plain_end(package_calendar, day, n):
    end = day + dt.timedelta(days=n)
    try:
        result = package_calendar.natural_deadline(day, n)
    except CalendarYearMissing:
        return
    assert result >= end
    assert package_calendar.is_working_day(result)
    assert package_calendar.count_working_days(end, result) == (0 if result == end else 1)


# -- worked examples -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 3, 13), 1, D(2026, 3, 16)),  # Friday + 1: the weekend does not count
        (D(2026, 3, 14), 1, D(2026, 3, 16)),  # from a Saturday: Monday is the first
        (D(2026, 3, 13), 5, D(2026, 3, 20)),
        (D(2026, 3, 13), 0, D(2026, 3, 13)),
        (D(2026, 10, 3), 0, D(2026, 10, 3)),  # n = 0 gives the start, even on a holiday
        (D(2026, 9, 30), 1, D(2026, 10, 8)),  # National Day 1–7 October 2026
        (D(2025, 9, 30), 1, D(2025, 10, 9)),  # National Day and Mid-autumn 1–8 October 2025
        (D(2026, 9, 19), 1, D(2026, 9, 20)),  # Sunday 20 September 2026 is a make-up working day
        (D(2026, 9, 24), 1, D(2026, 9, 28)),  # Mid-autumn 25–27 September 2026
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # Saturday 14 February 2026: make-up working day
        (D(2026, 2, 13), 2, D(2026, 2, 24)),  # then Spring Festival 15–23 February
        (D(2026, 1, 1), 1, D(2026, 1, 4)),  # 元旦 1–3 January, Sunday 4 January is made up
        (D(2020, 1, 23), 1, D(2020, 2, 3)),  # Spring Festival 2020, extended to 2 February
        (D(2026, 12, 30), 1, D(2026, 12, 31)),
        (D(2025, 12, 31), 1, D(2026, 1, 4)),  # across the year, onto a make-up Sunday
        (D(2004, 1, 1), 1, D(2004, 1, 2)),
    ],
)
def test_add_working_days_examples(package_calendar, start, n, expected):
    assert package_calendar.add_working_days(start, n) == expected
    if n:
        assert package_calendar.count_working_days(start, expected) == n


def test_make_up_days_count_as_working_days(package_calendar):
    assert package_calendar.is_working_day(D(2026, 9, 20))  # a Sunday, made up
    assert not package_calendar.is_working_day(D(2026, 9, 19))  # the Saturday before
    assert not package_calendar.is_working_day(D(2026, 10, 1))
    # Friday 18 to Monday 21 September 2026: Sunday 20 (made up) and Monday 21
    assert package_calendar.count_working_days(D(2026, 9, 18), D(2026, 9, 21)) == 2
    assert package_calendar.next_working_day(D(2026, 9, 18)) == D(2026, 9, 20)


def test_natural_deadline_moves_off_rest_days_only(package_calendar):
    cal = package_calendar
    # ends on 1 October 2026 (National Day): moved to the first working day after the holiday
    assert cal.add_natural_days(D(2026, 9, 30), 1) == D(2026, 10, 1)
    assert cal.natural_deadline(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert cal.add_natural_days(D(2026, 9, 30), 1, roll_forward=True) == D(2026, 10, 8)
    # ends on an ordinary Saturday: Monday
    assert cal.natural_deadline(D(2026, 3, 7), 7) == D(2026, 3, 16)
    # ends on a make-up Sunday, a working day: not moved
    assert cal.natural_deadline(D(2026, 9, 13), 7) == D(2026, 9, 20)
    # ends on a working day
    assert cal.natural_deadline(D(2026, 3, 2), 15) == D(2026, 3, 17)
    assert cal.natural_deadline(D(2026, 3, 2), 0) == D(2026, 3, 2)


# -- years not published -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.add_working_days(D(2027, 1, 4), 1),
        lambda c: c.add_working_days(D(2027, 1, 4), 0),
        lambda c: c.add_working_days(D(2026, 12, 31), 1),
        lambda c: c.add_working_days(D(2026, 12, 1), 30),
        lambda c: c.next_working_day(D(2026, 12, 31)),
        lambda c: c.is_working_day(D(2027, 6, 1)),
        lambda c: c.count_working_days(D(2026, 6, 1), D(2027, 1, 4)),
        lambda c: c.count_working_days(D(2027, 1, 4), D(2026, 6, 1)),
        lambda c: c.add_natural_days(D(2026, 12, 20), 15),
        lambda c: c.natural_deadline(D(2026, 12, 20), 15),
        lambda c: c.natural_deadline(D(2027, 1, 1), 0),
    ],
)
def test_2027_is_refused_with_the_exact_message(package_calendar, call):
    with pytest.raises(CalendarYearMissing) as exc:
        call(package_calendar)
    assert str(exc.value) == exc.value.message == "2027 年工作日历尚未发布"
    assert exc.value.year == 2027
    assert exc.value.code == "calendar_year_missing"
    assert exc.value.status == 422
    assert isinstance(exc.value, DomainError)


def test_earlier_and_later_years_name_themselves(package_calendar):
    with pytest.raises(CalendarYearMissing, match=r"^2003 年工作日历尚未发布$"):
        package_calendar.add_working_days(D(2003, 12, 31), 1)
    with pytest.raises(CalendarYearMissing, match=r"^2030 年工作日历尚未发布$"):
        package_calendar.is_working_day(D(2030, 5, 1))


def test_a_natural_deadline_rolling_into_an_unpublished_year_is_refused():
    # 2026 only, ending on Thursday 31 December: fine; a Saturday at the end rolls into 2027.
    cal = WorkingCalendar(
        range(2026, 2027),
        [d for d in every_day() if d.year == 2026 and chinese_calendar.is_workday(d)],
    )
    assert cal.natural_deadline(D(2026, 12, 1), 30) == D(2026, 12, 31)
    with pytest.raises(CalendarYearMissing, match=r"^2027 年工作日历尚未发布$"):
        cal.natural_deadline(D(2026, 12, 1), 31)
    with pytest.raises(CalendarYearMissing, match=r"^2025 年工作日历尚未发布$"):
        cal.add_working_days(D(2025, 12, 31), 1)


def test_rolling_past_the_last_published_day_names_the_next_year():
    # a calendar of one year whose last days are rest days
    workdays = [d for d in every_day(D(2021, 1, 1), D(2021, 12, 31)) if d.weekday() < 5]
    cal = WorkingCalendar(range(2021, 2022), workdays)
    assert not cal.is_working_day(D(2021, 12, 26))  # Sunday
    assert cal.natural_deadline(D(2021, 12, 20), 5) == D(2021, 12, 27)
    assert cal.natural_deadline(D(2021, 12, 1), 30) == D(2021, 12, 31)  # a Friday
    # without Friday 31st as a working day, the period would end in 2022: not guessed
    with pytest.raises(CalendarYearMissing, match=r"^2022 年工作日历尚未发布$"):
        WorkingCalendar(range(2021, 2022), workdays[:-1]).natural_deadline(D(2021, 12, 1), 30)


def test_an_empty_calendar_refuses_everything():
    cal = WorkingCalendar(range(0), [])
    assert cal.first_day is None and cal.last_day is None
    with pytest.raises(CalendarYearMissing, match=r"^2026 年工作日历尚未发布$"):
        cal.add_working_days(D(2026, 1, 5), 1)
    with pytest.raises(CalendarYearMissing):
        cal.count_working_days(D(2026, 1, 5), D(2026, 1, 6))


def test_misuse_is_a_programming_error(package_calendar):
    with pytest.raises(ValueError, match="negative"):
        package_calendar.add_working_days(D(2026, 3, 2), -1)
    with pytest.raises(ValueError, match="negative"):
        package_calendar.add_natural_days(D(2026, 3, 2), -1)
    with pytest.raises(TypeError):
        package_calendar.add_working_days(dt.datetime(2026, 3, 2, 9, 0), 1)
    with pytest.raises(ValueError, match="outside"):
        WorkingCalendar(range(2026, 2027), [D(2027, 1, 4)])
    with pytest.raises(ValueError, match="contiguous"):
        WorkingCalendar(range(2004, 2027, 2), [])


def test_span_and_repr(package_calendar):
    assert package_calendar.years == YEARS
    assert package_calendar.first_day == FIRST
    assert package_calendar.last_day == LAST
    assert package_calendar.covers(LAST) and not package_calendar.covers(LAST + dt.timedelta(1))
    assert "2004–2026" in repr(package_calendar)
