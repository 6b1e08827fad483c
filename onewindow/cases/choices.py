from django.db import models


class Channel(models.TextChoices):
    ONLINE = "online", "网上申请"
    COUNTER = "counter", "窗口申请"
    POST = "post", "邮寄申请"


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", "待受理"
    SUPPLEMENT = "supplement", "待补正"
    IN_PROGRESS = "in_progress", "办理中"
    PAUSED = "paused", "特别程序中"
    APPROVED = "approved", "已办结（准予）"
    DENIED = "denied", "已办结（不予）"
    REFUSED = "refused", "不予受理"
    WITHDRAWN = "withdrawn", "已撤回"
    TERMINATED = "terminated", "已终止"


OPEN_STATUSES = frozenset(
    {CaseStatus.SUBMITTED, CaseStatus.SUPPLEMENT, CaseStatus.IN_PROGRESS, CaseStatus.PAUSED}
)
FINISHED_STATUSES = frozenset({CaseStatus.APPROVED, CaseStatus.DENIED})
CLOSED_STATUSES = frozenset(set(CaseStatus) - OPEN_STATUSES)


class MaterialStatus(models.TextChoices):
    PROVIDED = "provided", "已提交"
    MISSING = "missing", "未提交"
    DEFERRED = "deferred", "容缺后补"
    LICENCE = "licence", "电子证照"


class StepKind(models.TextChoices):
    TASK = "task", "办理"
    BRANCH = "branch", "并联分支"


class Opinion(models.TextChoices):
    AGREE = "agree", "同意"
    DISAGREE = "disagree", "不同意"


class TimeState(models.TextChoices):
    NORMAL = "normal", "正常"
    WARNING = "warning", "预警"
    OVERDUE = "overdue", "超期"
    PENDING = "pending", "待定"  # the due date waits for next year's calendar


class PauseKind(models.TextChoices):
    HEARING = "hearing", "听证"
    EXPERT = "expert", "专家评审"
    SURVEY = "survey", "现场勘查"
    NOTICE = "notice", "公示"
    TESTING = "testing", "检验检测"
    OTHER = "other", "其他特别程序"


class Delivery(models.TextChoices):
    PICKUP = "pickup", "窗口领取"
    POST = "post", "邮寄送达"
    ONLINE = "online", "电子证照（网上下载）"


# The six managed categories of the seeds (即办件, 承诺件, 联办件, 上报件, 退回件, 补办件).
CATEGORIES = {
    "immediate": "即办件",
    "promised": "承诺件",
    "joint": "联办件",
    "reported": "上报件",
    "returned": "退回件",
    "supplemented": "补办件",
}
