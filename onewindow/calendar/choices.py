from __future__ import annotations

from django.db import models

from . import schedule


class DayKind(models.TextChoices):
    WORKDAY = schedule.WORKDAY, "工作日"
    WEEKEND = schedule.WEEKEND, "周末"
    HOLIDAY = schedule.HOLIDAY, "节假日"
    MAKEUP_WORKDAY = schedule.MAKEUP_WORKDAY, "调休上班日"


class CalendarSource(models.TextChoices):
    PACKAGE = "chinese-calendar", "chinesecalendar 软件包（历年国务院办公厅通知）"
    NOTICE = "state_council_notice", "国务院办公厅通知（系统管理员录入）"
