"""Seed the working-day calendar for 2004–2026 from the chinesecalendar package.

The package transcribes the State Council's yearly notices (国务院办公厅关于部分节假日安排的
通知). Later years are entered by the system administrator from the notice (calendar_year_publish).
The classification below is frozen here on purpose (a migration must not change when the app's
code does); the tests check it day by day against chinese_calendar.is_workday.
"""

import datetime as dt
from importlib.metadata import PackageNotFoundError, version

from django.db import migrations
from django.utils import timezone

FIRST_YEAR, LAST_YEAR = 2004, 2026

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def seed(apps, schema_editor):
    from chinese_calendar import constants

    CalendarYear = apps.get_model("calendar", "CalendarYear")
    CalendarDay = apps.get_model("calendar", "CalendarDay")
    try:
        package = f"chinesecalendar {version('chinesecalendar')}"
    except PackageNotFoundError:  # pragma: no cover
        package = "chinesecalendar"
    now = timezone.now()
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    CalendarYear.objects.bulk_create(
        [
            CalendarYear(
                year=year,
                source="chinese-calendar",
                notice_ref=f"国务院办公厅关于 {year} 年部分节假日安排的通知（据 {package} 软件包）",
                published_at=now,
            )
            for year in years
        ]
    )
    ids = dict(CalendarYear.objects.filter(year__in=years).values_list("year", "id"))
    rows = []
    one = dt.timedelta(days=1)
    for year in years:
        day = dt.date(year, 1, 1)
        while day.year == year:
            if day in constants.holidays:
                kind, name = "holiday", NAMES.get(constants.holidays[day], constants.holidays[day])
            elif day in constants.workdays:
                holiday = NAMES.get(constants.workdays[day], constants.workdays[day])
                kind, name = "makeup_workday", f"{holiday}调休"[:60]
            elif day.weekday() >= 5:
                kind, name = "weekend", ""
            else:
                kind, name = "workday", ""
            rows.append(
                CalendarDay(
                    calendar_year_id=ids[year],
                    date=day,
                    is_workday=kind in ("workday", "makeup_workday"),
                    kind=kind,
                    name=name[:60],
                )
            )
            day += one
    CalendarDay.objects.bulk_create(rows, batch_size=2000)


def unseed(apps, schema_editor):
    CalendarYear = apps.get_model("calendar", "CalendarYear")
    CalendarDay = apps.get_model("calendar", "CalendarDay")
    CalendarDay.objects.filter(calendar_year__source="chinese-calendar").delete()
    CalendarYear.objects.filter(source="chinese-calendar").delete()


class Migration(migrations.Migration):
    dependencies = [("calendar", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
