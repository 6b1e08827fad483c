from django.db import models


class Channel(models.TextChoices):
    WEB = "web", "网站"
    MOBILE = "mobile", "移动端"
    HOTLINE = "hotline", "5412345 热线"
    WINDOW = "window", "办不成事反映窗口"
    OPEN311 = "open311", "Open311 接口"


class Kind(models.TextChoices):
    CONSULTATION = "consultation", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    SUGGESTION = "suggestion", "建议"
    PRAISE = "praise", "表扬"
    CANNOT_GET_DONE = "cannot_get_done", "办不成事"


class Urgency(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"


class Status(models.TextChoices):
    DISPATCHED = "dispatched", "待签收"
    HANDLING = "handling", "办理中"
    REPLIED = "replied", "已答复待评价"
    CLOSED = "closed", "已办结"


class Target(models.TextChoices):
    VILLAGE = "village", "村（社区）"
    TOWN = "town", "镇（街道）"
    DEPARTMENT = "department", "县级部门"
    CENTRE = "centre", "县指挥中心"


class DispatchState(models.TextChoices):
    WAITING = "waiting", "待签收"
    SIGNED = "signed", "已签收"
    BOUNCED = "bounced", "已退单"
    TRANSFERRED = "transferred", "已转办"
    ESCALATED = "escalated", "已上报"
    REPLIED = "replied", "已答复"
    MERGED = "merged", "已并案"


class Rating(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Step(models.TextChoices):
    """The automatic escalation ladder of one overdue clock."""

    REMIND = "remind", "催办"
    SUPERVISE = "supervise", "督办"
    ESCALATE = "escalate", "提级"
