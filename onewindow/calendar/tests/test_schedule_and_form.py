"""Checking and parsing a year's schedule, without a database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.forms import ValidationError

from onewindow.calendar import schedule
from onewindow.calendar.forms import (
    CalendarYearForm,
    parse_holiday_lines,
    parse_makeup_lines,
    schedule_text,
)
from onewindow.calendar.schedule import HolidayRange, MakeupDay

D = dt.date

HOLIDAYS_2027 = """2027-01-01 至 2027-01-03 元旦
2027-02-05 ~ 2027-02-12 春节

2027-04-05 清明节
# 五一
2027-05-01-2027-05-05 劳动节
2027/6/9 端午节
2027年9月15日 中秋节
2027-10-01 至 2027-10-07 国庆节
"""
MAKEUP_2027 = """2027-01-31 春节调休
2027-02-20 春节调休
2027-04-25
2027-10-09 国庆节调休
"""


def form(**changes: str) -> CalendarYearForm:
    data = {
        "year": "2027",
        "notice_ref": "国办发明电〔2026〕7号",
        "holidays": HOLIDAYS_2027,
        "makeup_workdays": MAKEUP_2027,
    }
    data.update(changes)
    return CalendarYearForm(data)


def test_the_form_returns_structured_values():
    f = form()
    assert f.is_valid(), f.errors
    assert f.cleaned_data["year"] == 2027
    assert f.cleaned_data["holidays"] == [
        HolidayRange(D(2027, 1, 1), D(2027, 1, 3), "元旦"),
        HolidayRange(D(2027, 2, 5), D(2027, 2, 12), "春节"),
        HolidayRange(D(2027, 4, 5), D(2027, 4, 5), "清明节"),
        HolidayRange(D(2027, 5, 1), D(2027, 5, 5), "劳动节"),
        HolidayRange(D(2027, 6, 9), D(2027, 6, 9), "端午节"),
        HolidayRange(D(2027, 9, 15), D(2027, 9, 15), "中秋节"),
        HolidayRange(D(2027, 10, 1), D(2027, 10, 7), "国庆节"),
    ]
    assert f.cleaned_data["makeup_workdays"] == [
        MakeupDay(D(2027, 1, 31), "春节调休"),
        MakeupDay(D(2027, 2, 20), "春节调休"),
        MakeupDay(D(2027, 4, 25), "调休上班"),
        MakeupDay(D(2027, 10, 9), "国庆节调休"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2027-01-01 至 2027-01-03 元旦", (D(2027, 1, 1), D(2027, 1, 3), "元旦")),
        ("2027-01-01至2027-01-03 元旦", (D(2027, 1, 1), D(2027, 1, 3), "元旦")),
        ("2027-01-01~2027-01-03 元旦", (D(2027, 1, 1), D(2027, 1, 3), "元旦")),
        ("2027-01-01 ～ 2027-01-03 元旦", (D(2027, 1, 1), D(2027, 1, 3), "元旦")),
        ("2027-01-01 - 2027-01-03 元旦", (D(2027, 1, 1), D(2027, 1, 3), "元旦")),
        ("2027-01-01-2027-01-03 元旦", (D(2027, 1, 1), D(2027, 1, 3), "元旦")),
        ("2027-1-1 到 2027-1-3 元旦", (D(2027, 1, 1), D(2027, 1, 3), "元旦")),
        ("2027年1月1日至2027年1月3日元旦", (D(2027, 1, 1), D(2027, 1, 3), "元旦")),
        ("\u30002027-04-05\u3000清明节 ", (D(2027, 4, 5), D(2027, 4, 5), "清明节")),
        (
            "2027-10-01 至 2027-10-07 国庆节、中秋节",
            (D(2027, 10, 1), D(2027, 10, 7), "国庆节、中秋节"),
        ),
    ],
)
def test_holiday_line_formats(line, expected):
    items, lines = parse_holiday_lines(line)
    assert items == [HolidayRange(*expected)]
    assert lines == [1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-01-01 至 2027-01-03 元旦\n2027-02-30 春节", "第 2 行：2027-02-30 不是有效日期"),
        ("\n\n2027-13-01 元旦", "第 3 行：2027-13-01 不是有效日期"),
        ("元旦 2027-01-01", "第 1 行“元旦 2027-01-01”格式不正确"),
        ("2027-01-01 至 元旦", "第 1 行“2027-01-01 至 元旦”格式不正确"),
        ("2027-01-01 至 2027-01-03", "第 1 行缺少节假日名称"),
        ("27-01-01 元旦", "第 1 行“27-01-01 元旦”格式不正确"),
    ],
)
def test_bad_holiday_lines_are_named_by_number(text, message):
    with pytest.raises(ValidationError) as exc:
        parse_holiday_lines(text)
    assert message in " ".join(exc.value.messages)


def test_every_bad_line_is_reported_at_once():
    f = form(holidays="2027-01-01 元旦\nfoo\n2027-02-30 春节\n2027-04-05", makeup_workdays="bar")
    assert not f.is_valid()
    errors = f.errors["holidays"]
    assert len(errors) == 3
    assert errors[0].startswith("第 2 行") and errors[1].startswith("第 3 行")
    assert errors[2].startswith("第 4 行缺少节假日名称")
    assert f.errors["makeup_workdays"] == [
        "第 1 行“bar”格式不正确，应为“2027-02-07 春节调休”（每行一天）。"
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"holidays": "2027-01-01 至 2027-01-03 元旦\n2027-01-03 至 2027-01-05 元旦补"},
            "holidays",
            "第 2 行（元旦补）与第 1 行（元旦）日期重叠（2027-01-03），请修改其中一项。",
        ),
        (
            {"makeup_workdays": "2027-02-08 春节调休"},
            "makeup_workdays",
            "第 1 行：2027-02-08 是周一，本来就是工作日；调休上班日只能是周六或周日，请核对日期。",
        ),
        (
            {"makeup_workdays": "2027-10-02 国庆节调休"},
            "makeup_workdays",
            "第 1 行：2027-10-02 在节假日“国庆节”（2027-10-01 至 2027-10-07）之内，"
            "同一天不能既放假又上班，请修改其中一项。",
        ),
        (
            {"holidays": "2026-12-31 至 2027-01-02 元旦"},
            "holidays",
            "第 1 行（元旦）：日期 2026-12-31 不在 2027 年内，请只填写 2027 年的日期"
            "（跨年的假期请分别在各自年份填写）。",
        ),
        (
            {"holidays": "2027-10-07 至 2027-10-01 国庆节"},
            "holidays",
            "第 1 行（国庆节）：结束日期 2027-10-01 早于开始日期 2027-10-07，请对调两个日期。",
        ),
        (
            {"holidays": "2027-01-01 至 2027-03-01 元旦"},
            "holidays",
            "第 1 行（元旦）：共 60 天，超过 31 天，请核对开始和结束日期。",
        ),
        (
            {"makeup_workdays": "2028-02-05 春节调休"},
            "makeup_workdays",
            "第 1 行：2028-02-05 不在 2027 年内，请只填写 2027 年的日期。",
        ),
        (
            {"makeup_workdays": "2027-01-31 春节调休\n\n2027-01-31 又一次"},
            "makeup_workdays",
            "第 3 行：2027-01-31 重复填写，请删除重复的一行。",
        ),
        ({"holidays": "\n# 只有注释\n"}, "holidays", "请填写节假日，每行一个。"),
        ({"holidays": ""}, "holidays", "请填写节假日，每行一个。"),
        ({"year": ""}, "year", "请填写年份，例如 2027。"),
        ({"year": "abc"}, "year", "年份应为 4 位数字，例如 2027。"),
        ({"notice_ref": "  "}, "notice_ref", "请填写通知的文号或标题。"),
    ],
)
def test_the_form_refuses_bad_schedules_naming_the_line(changes, field, message):
    f = form(**changes)
    assert not f.is_valid()
    assert message in f.errors[field], f.errors


def test_several_problems_in_one_field_are_all_shown():
    f = form(makeup_workdays="2027-02-08 A\n2027-02-09 B")
    assert not f.is_valid()
    assert [e[:6] for e in f.errors["makeup_workdays"]] == ["第 1 行：", "第 2 行："]


def test_schedule_text_round_trips_through_the_parser():
    items, _ = parse_holiday_lines(HOLIDAYS_2027)
    makeup, _ = parse_makeup_lines(MAKEUP_2027)
    holiday_text, makeup_text = schedule_text(items, makeup)
    assert parse_holiday_lines(holiday_text)[0] == items
    assert parse_makeup_lines(makeup_text)[0] == makeup


# -- the pure checks and classification ----------------------------------------------------------


def test_check_schedule_names_items_by_default():
    problems = schedule.check_schedule(
        year=2027,
        holidays=[
            HolidayRange(D(2027, 1, 1), D(2027, 1, 3), "元旦"),
            HolidayRange(D(2027, 1, 2), D(2027, 1, 2), ""),
        ],
        makeup_workdays=[MakeupDay(D(2027, 1, 6), "")],
    )
    assert problems == [
        schedule.Problem("holidays", "节假日第 2 项缺少名称，请写明节日，例如“元旦”。"),
        schedule.Problem(
            "makeup_workdays",
            "调休上班日第 1 项：2027-01-06 是周三，本来就是工作日；调休上班日只能是周六或周日，请核对日期。",
        ),
    ]


def test_check_schedule_year_bounds_and_empty():
    assert schedule.check_schedule(year=1999, holidays=[], makeup_workdays=[]) == [
        schedule.Problem("year", "年份应在 2000–2099 之间，当前填写的是 1999。")
    ]
    assert (
        schedule.check_schedule(year=2027, holidays=[], makeup_workdays=[])[0].field == "holidays"
    )


def test_year_days_classifies_every_day():
    days = schedule.year_days(
        2027,
        [HolidayRange(D(2027, 10, 1), D(2027, 10, 7), "国庆节")],
        [MakeupDay(D(2027, 10, 9), "国庆节调休"), MakeupDay(D(2027, 9, 26), "")],
    )
    assert len(days) == 365
    by_date = {d.date: d for d in days}
    assert by_date[D(2027, 10, 2)] == schedule.Day(D(2027, 10, 2), "holiday", "国庆节")  # Saturday
    assert by_date[D(2027, 10, 9)].kind == "makeup_workday" and by_date[D(2027, 10, 9)].is_workday
    assert by_date[D(2027, 9, 26)].name == "调休上班"
    assert by_date[D(2027, 10, 16)].kind == "weekend" and not by_date[D(2027, 10, 16)].is_workday
    assert by_date[D(2027, 10, 8)].kind == "workday"
    assert schedule.holiday_periods(days) == [
        HolidayRange(D(2027, 10, 1), D(2027, 10, 7), "国庆节")
    ]
