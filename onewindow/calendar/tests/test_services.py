"""The stored calendar: the 2004–2026 seed, the cached calendar, publishing a year."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from chinese_calendar import constants

from onewindow.accounts.models import User
from onewindow.audit.models import AuditEntry
from onewindow.calendar import selectors, services
from onewindow.calendar.errors import CalendarYearMissing
from onewindow.calendar.models import CalendarDay, CalendarYear
from onewindow.calendar.schedule import HolidayRange, MakeupDay
from onewindow.core.errors import InvalidInput

from .conftest import LAST, YEARS
from .test_arithmetic import check_against_reference

pytestmark = pytest.mark.django_db

D = dt.date

# A plausible 2027 (the real notice is not in any package): 2027-01-01 is a Friday.
HOLIDAYS_2027 = [
    (D(2027, 1, 1), D(2027, 1, 3), "元旦"),
    (D(2027, 2, 5), D(2027, 2, 12), "春节"),
    (D(2027, 4, 5), D(2027, 4, 5), "清明节"),
    (D(2027, 5, 1), D(2027, 5, 5), "劳动节"),
    (D(2027, 6, 9), D(2027, 6, 9), "端午节"),
    (D(2027, 9, 15), D(2027, 9, 15), "中秋节"),
    (D(2027, 10, 1), D(2027, 10, 7), "国庆节"),
]
MAKEUP_2027 = [
    (D(2027, 1, 31), "春节调休"),
    (D(2027, 2, 20), "春节调休"),
    (D(2027, 4, 25), "劳动节调休"),
    (D(2027, 9, 26), "国庆节调休"),
    (D(2027, 10, 9), "国庆节调休"),
]


@pytest.fixture
def sysadmin() -> User:
    return User.objects.get(username="xitong")


def publish(actor: User | None, **changes: object) -> CalendarYear:
    data: dict[str, object] = {
        "year": 2027,
        "holidays": HOLIDAYS_2027,
        "makeup_workdays": MAKEUP_2027,
        "notice_ref": "国办发明电〔2026〕7号",
        "actor": actor,
    }
    data.update(changes)
    return services.calendar_year_publish(**data)  # type: ignore[arg-type]


# -- the seed ------------------------------------------------------------------------------------


def test_the_seed_covers_2004_to_2026_day_by_day():
    assert list(CalendarYear.objects.values_list("year", flat=True)) == list(YEARS)
    assert set(CalendarYear.objects.values_list("source", flat=True)) == {"chinese-calendar"}
    assert CalendarDay.objects.count() == (LAST - D(2004, 1, 1)).days + 1
    rows = CalendarDay.objects.values_list("date", "is_workday", "kind", "name")
    for day, is_workday, kind, name in rows:
        assert is_workday is chinese_calendar.is_workday(day), day
        if day in constants.holidays:
            assert (kind, is_workday) == ("holiday", False) and name, day
        elif day in constants.workdays:
            assert (kind, is_workday) == ("makeup_workday", True) and name.endswith("调休"), day
        else:
            assert kind == ("weekend" if day.weekday() >= 5 else "workday") and not name, day


def test_seeded_names_are_chinese():
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"
    assert CalendarDay.objects.get(date=D(2026, 9, 20)).name == "国庆节调休"
    assert CalendarDay.objects.get(date=D(2015, 9, 3)).name.startswith("中国人民抗日战争")
    names = set(CalendarDay.objects.filter(kind="holiday").values_list("name", flat=True))
    assert names <= {
        "元旦",
        "春节",
        "清明节",
        "劳动节",
        "端午节",
        "国庆节",
        "中秋节",
        "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
    }


def test_the_stored_calendar_answers_like_chinese_calendar(reference_workdays, package_calendar):
    calendar = selectors.get_calendar()
    assert calendar.years == YEARS
    assert calendar.workdays == package_calendar.workdays
    check_against_reference(calendar, reference_workdays)


def test_year_schedule_reads_back_as_the_notice(sysadmin):
    holidays, makeup = selectors.year_schedule(2026)
    assert HolidayRange(D(2026, 10, 1), D(2026, 10, 7), "国庆节") in holidays
    assert HolidayRange(D(2026, 2, 15), D(2026, 2, 23), "春节") in holidays
    assert MakeupDay(D(2026, 9, 20), "国庆节调休") in makeup
    assert selectors.next_year_to_publish() == 2027
    assert selectors.workday_count(2026) == sum(
        1 for d in range(365) if chinese_calendar.is_workday(D(2026, 1, 1) + dt.timedelta(d))
    )


# -- the cached calendar -------------------------------------------------------------------------


def test_the_calendar_is_cached(django_assert_num_queries):
    first = selectors.get_calendar()
    with django_assert_num_queries(0):
        assert selectors.get_calendar() is first
        assert selectors.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
        assert selectors.count_working_days(D(2026, 9, 30), D(2026, 10, 8)) == 1
        assert selectors.next_working_day(D(2026, 9, 19)) == D(2026, 9, 20)
        assert selectors.is_working_day(D(2026, 9, 20))
        assert selectors.natural_deadline(D(2026, 9, 30), 1) == D(2026, 10, 8)
        assert selectors.add_natural_days(D(2026, 9, 30), 1) == D(2026, 10, 1)


def test_another_process_publishing_is_seen_after_the_check_interval(
    sysadmin, django_capture_on_commit_callbacks
):
    before = selectors.get_calendar()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish(sysadmin)  # as if in another process: this process's cache is not cleared
    assert selectors.clear_calendar_cache in callbacks
    assert selectors.get_calendar() is before  # still within the check interval
    selectors._cache.checked_at -= selectors.CHECK_SECONDS + 1  # type: ignore[union-attr]
    after = selectors.get_calendar()
    assert after is not before
    assert after.years == range(2004, 2028)
    selectors._cache.checked_at -= selectors.CHECK_SECONDS + 1  # type: ignore[union-attr]
    assert selectors.get_calendar() is after  # same stamp: not rebuilt


def test_a_gap_in_the_stored_years_limits_the_calendar_to_the_latest_run():
    CalendarYear.objects.filter(year=2010).delete()
    calendar = selectors.build_calendar()
    assert calendar.years == range(2011, 2027)
    with pytest.raises(CalendarYearMissing, match=r"^2010 年工作日历尚未发布$"):
        calendar.add_working_days(D(2010, 12, 30), 1)
    CalendarYear.objects.all().delete()
    assert selectors.build_calendar().years == range(0)


# -- publishing ----------------------------------------------------------------------------------


def test_unpublished_2027_is_refused_with_the_exact_message():
    with pytest.raises(CalendarYearMissing) as exc:
        selectors.add_working_days(D(2026, 12, 31), 1)
    assert exc.value.message == "2027 年工作日历尚未发布"
    with pytest.raises(CalendarYearMissing, match=r"^2027 年工作日历尚未发布$"):
        selectors.calendar_year_get(2027)


def test_publishing_2027_extends_the_calendar(sysadmin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        year = publish(sysadmin)
    assert year.source == "state_council_notice"
    assert year.published_by == sysadmin
    assert year.days.count() == 365
    assert CalendarDay.objects.get(date=D(2027, 10, 2)).kind == "holiday"
    assert CalendarDay.objects.get(date=D(2027, 10, 9)).kind == "makeup_workday"
    assert CalendarDay.objects.get(date=D(2027, 10, 16)).kind == "weekend"

    calendar = selectors.get_calendar()
    assert calendar.years == range(2004, 2028)
    assert calendar.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)  # 元旦 1–3 January
    assert calendar.add_working_days(D(2027, 2, 4), 1) == D(2027, 2, 15)  # 春节 5–12 February
    assert calendar.add_working_days(D(2027, 9, 24), 1) == D(2027, 9, 26)  # make-up Sunday
    assert calendar.add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 8)
    assert calendar.add_working_days(D(2027, 10, 8), 1) == D(2027, 10, 9)  # make-up Saturday
    # 365 days − 104 weekend days − 18 holidays on weekdays + 5 make-up days
    assert calendar.count_working_days(D(2026, 12, 31), D(2027, 12, 31)) == 248
    assert calendar.natural_deadline(D(2027, 9, 20), 12) == D(2027, 10, 8)
    with pytest.raises(CalendarYearMissing, match=r"^2028 年工作日历尚未发布$"):
        calendar.add_working_days(D(2027, 12, 31), 1)

    entry = AuditEntry.objects.filter(action="calendar.year.publish").latest("id")
    assert entry.actor == sysadmin
    assert entry.role == "sysadmin"
    assert entry.object_id == str(year.pk)
    assert entry.changes["after"]["holidays"][0] == "2027-01-01 至 2027-01-03 元旦"
    assert entry.changes["after"]["makeup_workdays"][0] == "2027-01-31 春节调休"
    assert "before" not in entry.changes
    assert "2027" in entry.summary


def test_a_notice_year_can_be_corrected_and_the_next_year_follows(
    sysadmin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = publish(sysadmin)
    assert selectors.add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 8)
    with django_capture_on_commit_callbacks(execute=True):
        corrected = publish(
            sysadmin,
            holidays=[*HOLIDAYS_2027[:-1], (D(2027, 10, 1), D(2027, 10, 8), "国庆节")],
            makeup_workdays=MAKEUP_2027[:-1],
            notice_ref="国办发明电〔2026〕7号（更正）",
        )
    assert corrected.pk == first.pk
    assert corrected.days.count() == 365
    assert CalendarDay.objects.get(date=D(2027, 10, 9)).kind == "weekend"
    assert selectors.add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 11)
    entry = AuditEntry.objects.filter(action="calendar.year.publish").latest("id")
    assert entry.changes["before"]["notice_ref"] == "国办发明电〔2026〕7号"
    assert "2027-10-09 国庆节调休" in entry.changes["before"]["makeup_workdays"]
    assert entry.summary.startswith("更正 2027 年工作日历")

    with django_capture_on_commit_callbacks(execute=True):
        publish(
            sysadmin,
            year=2028,
            holidays=[(D(2028, 1, 1), D(2028, 1, 3), "元旦")],
            makeup_workdays=[],
        )
    assert selectors.get_calendar().years == range(2004, 2029)


GOOD = {"holidays": HOLIDAYS_2027, "makeup_workdays": MAKEUP_2027}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"holidays": [*HOLIDAYS_2027, (D(2027, 10, 7), D(2027, 10, 8), "补假")]},
            "holidays",
            "节假日第 8 项（补假）与节假日第 7 项（国庆节）日期重叠（2027-10-07），请修改其中一项。",
        ),
        (
            {"makeup_workdays": [(D(2027, 2, 15), "春节调休")]},
            "makeup_workdays",
            "调休上班日第 1 项：2027-02-15 是周一，本来就是工作日；调休上班日只能是周六或周日，请核对日期。",
        ),
        (
            {"makeup_workdays": [(D(2027, 10, 3), "国庆节调休")]},
            "makeup_workdays",
            "调休上班日第 1 项：2027-10-03 在节假日“国庆节”（2027-10-01 至 2027-10-07）之内，"
            "同一天不能既放假又上班，请修改其中一项。",
        ),
        (
            {"holidays": [(D(2026, 12, 31), D(2027, 1, 2), "元旦")]},
            "holidays",
            "节假日第 1 项（元旦）：日期 2026-12-31 不在 2027 年内，请只填写 2027 年的日期"
            "（跨年的假期请分别在各自年份填写）。",
        ),
        (
            {"holidays": [(D(2027, 10, 7), D(2027, 10, 1), "国庆节")]},
            "holidays",
            "节假日第 1 项（国庆节）：结束日期 2027-10-01 早于开始日期 2027-10-07，请对调两个日期。",
        ),
        (
            {
                "year": 2028,
                "holidays": [(D(2028, 1, 1), D(2028, 1, 3), "元旦")],
                "makeup_workdays": [],
            },
            "year",
            "工作日历须逐年连续发布：目前已发布至 2026 年，下一个应发布的是 2027 年，请先发布 2027 年。",
        ),
        (
            {
                "year": 2026,
                "holidays": [(D(2026, 1, 1), D(2026, 1, 3), "元旦")],
                "makeup_workdays": [],
            },
            "year",
            "2026 年工作日历来自 chinesecalendar 软件包（历年国务院办公厅通知），不能在此覆盖；"
            "只能续接发布 2027 年及以后的年度。",
        ),
        (
            {
                "year": 2003,
                "holidays": [(D(2003, 1, 1), D(2003, 1, 1), "元旦")],
                "makeup_workdays": [],
            },
            "year",
            "工作日历须逐年连续发布：目前已发布至 2026 年，下一个应发布的是 2027 年，请先发布 2027 年。",
        ),
        (
            {"holidays": []},
            "holidays",
            "请至少填写一个节假日，例如：2027-01-01 至 2027-01-03 元旦。",
        ),
        (
            {"notice_ref": "  "},
            "notice_ref",
            "请填写国务院办公厅通知的文号或标题，例如“国办发明电〔2026〕X号”。",
        ),
        ({"year": 2100}, "year", "年份应在 2000–2099 之间，当前填写的是 2100。"),
    ],
)
def test_bad_publications_are_refused_and_nothing_is_saved(sysadmin, changes, field, message):
    counts = (CalendarYear.objects.count(), CalendarDay.objects.count(), AuditEntry.objects.count())
    with pytest.raises(InvalidInput) as exc:
        publish(sysadmin, **changes)
    assert exc.value.field == field
    assert exc.value.message == message
    assert exc.value.status == 422
    after = (CalendarYear.objects.count(), CalendarDay.objects.count(), AuditEntry.objects.count())
    assert after == counts
    with pytest.raises(CalendarYearMissing):
        selectors.get_calendar().add_working_days(D(2026, 12, 31), 1)
