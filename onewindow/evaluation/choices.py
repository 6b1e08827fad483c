"""The words of 好差评: five levels, two stages, four channels, the reasons an applicant may tick,
and the states of a rectification (差评整改) task."""

from __future__ import annotations

from django.db import models


class Level(models.IntegerChoices):
    VERY_SATISFIED = 5, "非常满意"
    SATISFIED = 4, "满意"
    BASIC = 3, "基本满意"
    UNSATISFIED = 2, "不满意"
    VERY_UNSATISFIED = 1, "非常不满意"


# 不满意 and 非常不满意 are bad reviews (差评): each opens a rectification task.
BAD_LEVELS = frozenset({Level.UNSATISFIED, Level.VERY_UNSATISFIED})
# satisfied (好评, counted in the satisfaction rate): the three upper levels
SATISFIED_LEVELS = frozenset({Level.VERY_SATISFIED, Level.SATISFIED, Level.BASIC})


class Stage(models.TextChoices):
    ACCEPTANCE = "acceptance", "受理环节"
    COMPLETION = "completion", "办结环节"


class RatingChannel(models.TextChoices):
    COUNTER = "counter", "窗口即时评"
    QR = "qr", "扫码评"
    ONLINE = "online", "网上评"
    CARD = "card", "评价卡"


REASONS: dict[str, str] = {
    "attitude": "服务态度",
    "efficiency": "办事效率",
    "repeat_trips": "多次跑、重复提交材料",
    "fees": "收费",
    "notice": "告知不清楚",
    "waiting": "排队等候",
    "environment": "办事环境",
    "online": "网上办理不便",
    "other": "其他",
}


class RectificationStatus(models.TextChoices):
    ASSIGNED = "assigned", "待调查核实"
    INVESTIGATED = "investigated", "已调查核实"
    ANSWERED = "answered", "已答复申请人"
    REVISITED = "revisited", "已回访"
    CLOSED = "closed", "已办结"


OPEN_RECTIFICATION = frozenset(set(RectificationStatus) - {RectificationStatus.CLOSED})

# A bad review must be investigated, answered and closed within 15 working days.
RECTIFICATION_WORKING_DAYS = 15
