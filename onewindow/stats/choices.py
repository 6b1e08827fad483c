from django.db import models


class PeriodKind(models.TextChoices):
    DAY = "day", "日"
    WEEK = "week", "周"
    MONTH = "month", "月"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年"
    CUSTOM = "custom", "自定义"


# the periodic assessment (日督查、周回访、月评议、季考核)
REPORT_PERIODS: dict[str, str] = {
    PeriodKind.DAY: "日督查",
    PeriodKind.WEEK: "周回访",
    PeriodKind.MONTH: "月评议",
    PeriodKind.QUARTER: "季考核",
}


class Dimension(models.TextChoices):
    REGION = "region", "区划"
    LEVEL = "level", "层级"
    DEPARTMENT = "department", "部门"
    WINDOW = "window", "窗口"
    STAFF = "staff", "人员"
    ITEM = "item", "事项"
    CHANNEL = "channel", "渠道"
