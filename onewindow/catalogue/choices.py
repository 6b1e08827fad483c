from django.db import models


class ItemKind(models.TextChoices):
    LICENCE = "licence", "行政许可"
    PAYMENT = "payment", "行政给付"
    CONFIRMATION = "confirmation", "行政确认"
    RULING = "ruling", "行政裁决"
    REWARD = "reward", "行政奖励"
    LEVY = "levy", "行政征收"
    PENALTY = "penalty", "行政处罚"
    ENFORCEMENT = "enforcement", "行政强制"
    INSPECTION = "inspection", "行政检查"
    OTHER_POWER = "other_power", "其他行政权力"
    PUBLIC_SERVICE = "public_service", "公共服务"


class Handling(models.TextChoices):
    IMMEDIATE = "immediate", "即办件"
    PROMISED = "promised", "承诺件"


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", "个工作日"
    NATURAL_DAYS = "natural_days", "个自然日"
    WORKING_HOURS = "working_hours", "个工作小时"


class OnlineDepth(models.TextChoices):
    DISCLOSURE = "disclosure", "信息公开"
    PRE_REVIEW = "pre_review", "在线预审"
    FULL_ONLINE = "full_online", "全程网办"


class ResultType(models.TextChoices):
    LICENCE = "licence", "许可证"
    CERTIFICATE = "certificate", "证明/证件"
    APPROVAL = "approval", "批准文书"
    FILING = "filing", "备案回执"
    REGISTRATION = "registration", "登记证"
    PAYMENT = "payment", "待遇/款项"
    OTHER = "other", "其他"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    REVIEWED = "reviewed", "已审核"
    PUBLISHED = "published", "已发布"
    SUPERSEDED = "superseded", "已被新版本取代"


# A published (or superseded) version never changes.
FROZEN_STATUSES = frozenset({VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED})


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", "原件"
    COPY = "copy", "复印件"
    ELECTRONIC = "electronic", "电子件"
    ORIGINAL_AND_COPY = "original_and_copy", "原件及复印件"


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", "申请人自备"
    AUTHORITY = "authority", "部门共享（免提交）"
    LICENCE = "licence", "电子证照（免提交）"


LEVELS = (("county", "县级"), ("town", "乡镇（街道）"), ("village", "村（社区）"))
FORMS = (("window", "窗口办理"), ("online", "网上办理"), ("post", "邮寄办理"))

LIFE_EVENTS = {
    "birth": "生育收养",
    "schooling": "教育培训",
    "work": "就业创业",
    "marriage": "婚姻登记",
    "housing": "住房保障",
    "medical": "医疗卫生",
    "retirement": "退休养老",
    "social_assistance": "社会救助",
    "disability": "残疾人服务",
    "death": "死亡殡葬",
    "travel": "出境入境",
}
BUSINESS_STAGES = {
    "start": "设立开办",
    "operate": "经营许可",
    "change": "变更",
    "close": "注销",
    "construct": "工程建设",
}
