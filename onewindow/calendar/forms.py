"""The page on which the system administrator enters a year from the State Council's notice.

Holidays are typed one per line, as the notice lists them::

    2027-01-01 至 2027-01-03 元旦
    2027-02-06~2027-02-13 春节
    2027-04-05 清明节

(`至`, `到`, `~`, `～`, `-` or `—` between the two dates; one date for a one-day holiday; dates as
2027-01-01, 2027/1/1, 2027.1.1 or 2027年1月1日). Make-up working days one per line:
`2027-02-07 春节调休`. Errors name the line.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms

from . import schedule

_DATE = r"(\d{4})\s*[-/.－年]\s*(\d{1,2})\s*[-/.－月]\s*(\d{1,2})\s*日?"
_NAME = r"(?:\s*(?P<name>[^\s\d~～\-－—–至到].*))?$"
_HOLIDAY_LINE = re.compile(rf"^{_DATE}(?:\s*(?:至|到|~|～|-|－|—|–)\s*{_DATE})?{_NAME}")
_MAKEUP_LINE = re.compile(rf"^{_DATE}{_NAME}")
_HOLIDAY_EXAMPLE = "“2027-01-01 至 2027-01-03 元旦”或“2027-04-05 清明节”"


def _date(parts: tuple[str | None, ...], line_no: int) -> dt.date:
    year, month, day = (int(p or 0) for p in parts)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise forms.ValidationError(
            f"第 {line_no} 行：{year}-{month:02d}-{day:02d} 不是有效日期，请核对月份和日。"
        ) from None


def _lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of every non-empty line; lines starting with # are comments."""
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace("\u3000", " ")
        if line and not line.startswith("#"):
            out.append((number, line))
    return out


def parse_holiday_lines(text: str) -> tuple[list[schedule.HolidayRange], list[int]]:
    """Holiday ranges and their line numbers; raises ValidationError listing every bad line."""
    items: list[schedule.HolidayRange] = []
    numbers: list[int] = []
    errors: list[forms.ValidationError] = []
    for number, line in _lines(text):
        match = _HOLIDAY_LINE.match(line)
        if match is None:
            errors.append(
                forms.ValidationError(
                    f"第 {number} 行“{line[:40]}”格式不正确，应为{_HOLIDAY_EXAMPLE}。"
                )
            )
            continue
        groups = match.groups()
        name = (match.group("name") or "").strip()
        try:
            start = _date(groups[0:3], number)
            end = _date(groups[3:6], number) if groups[3] else start
        except forms.ValidationError as exc:
            errors.append(exc)
            continue
        if not name:
            errors.append(
                forms.ValidationError(f"第 {number} 行缺少节假日名称，应为{_HOLIDAY_EXAMPLE}。")
            )
            continue
        items.append(schedule.HolidayRange(start, end, name))
        numbers.append(number)
    if errors:
        raise forms.ValidationError(errors)
    return items, numbers


def parse_makeup_lines(text: str) -> tuple[list[schedule.MakeupDay], list[int]]:
    """Make-up working days and their line numbers; raises ValidationError listing bad lines."""
    items: list[schedule.MakeupDay] = []
    numbers: list[int] = []
    errors: list[forms.ValidationError] = []
    for number, line in _lines(text):
        match = _MAKEUP_LINE.match(line)
        if match is None:
            errors.append(
                forms.ValidationError(
                    f"第 {number} 行“{line[:40]}”格式不正确，应为“2027-02-07 春节调休”"
                    f"（每行一天）。"
                )
            )
            continue
        try:
            day = _date(match.groups()[0:3], number)
        except forms.ValidationError as exc:
            errors.append(exc)
            continue
        name = (match.group("name") or "").strip() or schedule.DEFAULT_MAKEUP_NAME
        items.append(schedule.MakeupDay(day, name))
        numbers.append(number)
    if errors:
        raise forms.ValidationError(errors)
    return items, numbers


def schedule_text(
    holidays: list[schedule.HolidayRange], makeup: list[schedule.MakeupDay]
) -> tuple[str, str]:
    """A published schedule as the form's two text areas (to correct a year)."""
    holiday_text = "\n".join(
        f"{h.start.isoformat()} 至 {h.end.isoformat()} {h.name}"
        if h.start != h.end
        else f"{h.start.isoformat()} {h.name}"
        for h in holidays
    )
    makeup_text = "\n".join(f"{m.date.isoformat()} {m.name}" for m in makeup)
    return holiday_text, makeup_text


class CalendarYearForm(forms.Form):
    year = forms.IntegerField(
        label="年份",
        min_value=schedule.FIRST_YEAR,
        max_value=schedule.LAST_YEAR,
        error_messages={
            "required": "请填写年份，例如 2027。",
            "invalid": "年份应为 4 位数字，例如 2027。",
        },
    )
    notice_ref = forms.CharField(
        label="通知文号",
        max_length=200,
        help_text="国务院办公厅关于该年部分节假日安排的通知的文号或标题，例如：国办发明电〔2026〕X号。",
        error_messages={"required": "请填写通知的文号或标题。"},
    )
    holidays = forms.CharField(
        label="节假日",
        widget=forms.Textarea(attrs={"rows": 9, "spellcheck": "false"}),
        help_text=(
            "每行一个节假日，照通知填写：开始日期 至 结束日期 名称，例如 2027-10-01 至 2027-10-07 "
            "国庆节；只放一天的写一个日期，例如 2027-04-05 清明节。假期中的周六、周日也包含在内，"
            "普通周末不必填写。"
        ),
        error_messages={"required": "请填写节假日，每行一个。"},
    )
    makeup_workdays = forms.CharField(
        label="调休上班日",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text="每行一天：日期 名称，例如 2027-02-07 春节调休。只能是周六或周日。",
    )

    def clean_holidays(self) -> list[schedule.HolidayRange]:
        items, self._holiday_lines = parse_holiday_lines(self.cleaned_data["holidays"])
        if not items:
            raise forms.ValidationError("请填写节假日，每行一个。")
        return items

    def clean_makeup_workdays(self) -> list[schedule.MakeupDay]:
        items, self._makeup_lines = parse_makeup_lines(self.cleaned_data.get("makeup_workdays", ""))
        return items

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        by_field: dict[str, list[str]] = {}
        if all(name in data for name in ("year", "holidays", "makeup_workdays")):
            for problem in schedule.check_schedule(
                year=data["year"],
                holidays=data["holidays"],
                makeup_workdays=data["makeup_workdays"],
                holiday_labels=[f"第 {n} 行" for n in self._holiday_lines],
                makeup_labels=[f"第 {n} 行" for n in self._makeup_lines],
            ):
                by_field.setdefault(problem.field, []).append(problem.message)
        for field, messages in by_field.items():
            self.add_error(field if field in self.fields else None, messages)
        return data
