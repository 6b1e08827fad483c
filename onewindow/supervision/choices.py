from django.db import models


class ClockKind(models.TextChoices):
    """The clocks supervision watches: the case's two limits and each step's own."""

    PROMISED = "promised", "承诺时限"
    STATUTORY = "statutory", "法定时限"
    STEP = "step", "环节时限"


class AlertState(models.TextChoices):
    WARNING = "warning", "预警（黄牌）"
    OVERDUE = "overdue", "超期（红牌）"


class NoticeRole(models.TextChoices):
    """Whom a rung of the escalation ladder notifies."""

    HOLDER = "holder", "承办人（当前在岗的 A 岗或 B 岗）"
    DEPT_HEAD = "dept_head", "部门负责人"
    SUPERVISOR = "supervisor", "中心电子监察"


class AnomalyKind(models.TextChoices):
    REPEATED_SUPPLEMENT = "repeated_supplement", "二次补正"
    BROKEN_PROMISE = "broken_promise", "容缺承诺逾期未补"
    UNAUTHORISED_WINDOW = "unauthorised_window", "超出窗口授权受理"
    LONG_PAUSE = "long_pause", "特别程序超过允许时长"


# the order the board lists time states in: red first, then yellow
STATE_ORDER = ("overdue", "warning", "normal", "pending")
STATE_LABELS = {"overdue": "超期", "warning": "预警", "normal": "正常", "pending": "待定"}
