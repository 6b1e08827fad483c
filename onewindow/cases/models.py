"""Cases (办件): one application from submission to result, bound to the item version it was
submitted under, moving through that version's flow template.

A case has its own clocks (the promised and the statutory limit, from acceptance) and one `Step`
per state it passes through (per department in a joint stage), each with its own limit. Every
change is a `CaseEvent` (the timeline) written in the same transaction as the audit entry.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models

from onewindow.core.models import TimeStampedModel
from onewindow.core.personal import PersonalDataField

from .choices import (
    CaseStatus,
    Channel,
    Delivery,
    MaterialStatus,
    Opinion,
    PauseKind,
    StepKind,
)


class CaseSequence(models.Model):
    """The last case number issued for a region prefix on a day; locked to issue the next."""

    prefix = models.CharField(max_length=12)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "day"], name="cases_sequence_prefix_day")
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.day}: {self.last}"


class BundleApplication(TimeStampedModel):
    """One application for a "one thing" bundle: one form, one set of materials, one progress
    page; it opens one linked case per item."""

    number = models.CharField("申请编号", max_length=32, unique=True)
    bundle = models.ForeignKey(
        "catalogue.Bundle", verbose_name="一件事", on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submission_key = models.CharField("提交标识", max_length=64, blank=True)
    answers = models.JSONField("情形选择", default=dict, blank=True)

    class Meta:
        verbose_name = "一件事申请"
        verbose_name_plural = "一件事申请"
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "submission_key"],
                condition=~models.Q(submission_key=""),
                name="cases_bundle_submission_once",
            )
        ]

    def __str__(self) -> str:
        return self.number


class Case(TimeStampedModel):
    number = models.CharField("办件编号", max_length=32, unique=True)
    item = models.ForeignKey(
        "catalogue.Item", verbose_name="事项", on_delete=models.PROTECT, related_name="cases"
    )
    version = models.ForeignKey(
        "catalogue.ItemVersion",
        verbose_name="事项版本",
        on_delete=models.PROTECT,
        related_name="cases",
    )
    bundle_application = models.ForeignKey(
        BundleApplication, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    bundle_order = models.PositiveSmallIntegerField(default=0)
    waits_for = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="unblocks", verbose_name="前置办件"
    )

    # who applies (copied at submission: the case keeps what was declared)
    applicant = models.ForeignKey(
        "accounts.Applicant", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    applicant_kind = models.CharField("主体类型", max_length=16)
    applicant_name = models.CharField("申请人", max_length=100)
    applicant_id_number = PersonalDataField("证件号码", kind="id_number", max_length=18, blank=True)
    applicant_credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    applicant_phone = PersonalDataField("联系电话", kind="phone", max_length=11)
    applicant_address = models.CharField("联系地址", max_length=200, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submission_key = models.CharField("提交标识", max_length=64, blank=True)

    channel = models.CharField("申请渠道", max_length=16, choices=Channel.choices)
    region = models.ForeignKey(
        "org.Region", verbose_name="受理区划", on_delete=models.PROTECT, related_name="cases"
    )
    region_path = models.CharField(max_length=255, db_index=True, editable=False)
    department = models.ForeignKey(
        "org.Department", verbose_name="实施部门", on_delete=models.PROTECT, related_name="cases"
    )
    window = models.ForeignKey(
        "org.Window",
        verbose_name="受理窗口",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    answers = models.JSONField("情形选择", default=dict, blank=True)
    form_data = models.JSONField("申请表", default=dict, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED
    )
    state_key = models.CharField("当前环节", max_length=40, blank=True)
    revision = models.PositiveIntegerField("修订号", default=0)

    # categories (the six managed kinds)
    immediate = models.BooleanField("即办件", default=False)
    joint = models.BooleanField("联办件", default=False)
    reported = models.BooleanField("上报件", default=False)
    returned = models.BooleanField("退回件", default=False)
    supplemented = models.BooleanField("补办件", default=False)

    # the case's clocks, from acceptance
    submitted_at = models.DateTimeField("提交时间")
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    limit_unit = models.CharField("时限单位", max_length=16)
    promised_limit = models.PositiveIntegerField("承诺时限")
    statutory_limit = models.PositiveIntegerField("法定时限")
    paused_days = models.PositiveIntegerField("暂停天数", default=0)
    paused_since = models.DateField("暂停开始", null=True, blank=True)
    promised_due = models.DateField("承诺办结日", null=True, blank=True, db_index=True)
    statutory_due = models.DateField("法定办结日", null=True, blank=True)
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)
    completed_on = models.DateField("办结日期", null=True, blank=True)

    decision_reason = models.TextField("决定理由", blank=True)
    legal_basis = models.TextField("依据", blank=True)

    # result and delivery
    result_held = models.BooleanField("结果暂缓发放（容缺未补齐）", default=False)
    delivery = models.CharField(
        "送达方式", max_length=16, choices=Delivery.choices, default=Delivery.PICKUP
    )
    delivery_address = models.CharField("邮寄地址", max_length=200, blank=True)
    pickup_code = models.CharField("取件码", max_length=8, blank=True)
    courier = models.CharField("快递公司", max_length=50, blank=True)
    tracking_number = models.CharField("运单号", max_length=50, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = "办件"
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "submission_key"],
                condition=~models.Q(submission_key=""),
                name="cases_submission_once",
            )
        ]
        indexes = [
            models.Index(fields=["status", "promised_due"], name="cases_open_due"),
            models.Index(fields=["department", "status"], name="cases_dept_status"),
            # statistics by period within a region (the scope filter is a path prefix)
            models.Index(fields=["region_path", "submitted_at"], name="cases_region_submitted"),
            models.Index(fields=["region_path", "completed_on"], name="cases_region_completed"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.version.name}"

    @property
    def is_open(self) -> bool:
        from .choices import OPEN_STATUSES

        return self.status in OPEN_STATUSES

    @property
    def phone_tail(self) -> str:
        return (self.applicant_phone or "")[-4:]


class CaseMaterial(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    key = models.CharField("标识", max_length=40)
    name = models.CharField("材料名称", max_length=200)
    required = models.BooleanField("必须提交", default=True)
    deferrable = models.BooleanField("可容缺", default=False)
    status = models.CharField(
        "状态", max_length=16, choices=MaterialStatus.choices, default=MaterialStatus.MISSING
    )
    file = models.ForeignKey(
        "files.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    licence = models.ForeignKey(
        "Licence", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked = models.BooleanField("窗口已核验", default=False)
    promised_by = models.DateField("承诺补齐日期", null=True, blank=True)
    supplied_at = models.DateTimeField("补齐时间", null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "key"], name="cases_material_key"),
        ]

    def __str__(self) -> str:
        return self.name


class Step(models.Model):
    """One state of the flow as this case passes through it (per department in a joint stage):
    who may act (role, region, department, optionally one post), and its own clock."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    state_key = models.CharField("环节", max_length=40)
    state_name = models.CharField("环节名称", max_length=60)
    kind = models.CharField(max_length=16, choices=StepKind.choices, default=StepKind.TASK)
    lead = models.BooleanField("牵头", default=False)
    roles = models.CharField("可办理角色", max_length=120)  # ",approver,dept_head,"
    region = models.ForeignKey("org.Region", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    post = models.ForeignKey(
        "accounts.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField("开始时间")
    started_on = models.DateField("起算日期")
    limit = models.PositiveIntegerField("环节时限")
    paused_days = models.PositiveIntegerField(default=0)
    due = models.DateField("环节到期日", null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField("结果", max_length=40, blank=True)
    opinion = models.CharField("意见", max_length=16, choices=Opinion.choices, blank=True)
    note = models.TextField("意见说明", blank=True)

    class Meta:
        ordering = ["opened_at", "id"]
        indexes = [
            models.Index(
                fields=["region", "department"],
                condition=models.Q(closed_at__isnull=True),
                name="cases_open_steps",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.state_name}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]


class Pause(models.Model):
    """A special procedure (hearing, expert review, site survey, public notice …): the clocks
    stop from `started_on` until `ended_on`; the working days in between move every due date."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    kind = models.CharField("特别程序", max_length=16, choices=PauseKind.choices)
    reason = models.CharField("事由", max_length=300)
    max_days = models.PositiveIntegerField("最长天数", default=0)
    started_at = models.DateTimeField()
    started_on = models.DateField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    days = models.PositiveIntegerField("暂停天数", default=0)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_on}"


class SupplementRequest(models.Model):
    """A one-time supplement notice (一次性补正告知): everything missing or wrong, at once."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supplements")
    items = models.JSONField("需补正内容", default=list)  # [{"key", "name", "reason"}]
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    repeated = models.BooleanField("重复补正", default=False)

    class Meta:
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"补正 {self.requested_at:%Y-%m-%d}"


class CaseEvent(models.Model):
    """The case's timeline. `public` events show on the tracking page, by department only."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    action = models.CharField(max_length=40)
    label = models.CharField(max_length=60)
    state_name = models.CharField(max_length=60, blank=True)
    department_name = models.CharField(max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.label


def _token() -> str:
    return secrets.token_urlsafe(18)


class Licence(TimeStampedModel):
    """A result document kept as the holder's e-licence (电子证照): verified publicly by its QR
    code, offered instead of an upload when a later case asks for it."""

    number = models.CharField("证照编号", max_length=40, unique=True)
    name = models.CharField("证照名称", max_length=100)
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="licence")
    holder = models.ForeignKey(
        "accounts.Applicant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licences",
    )
    holder_name = models.CharField("持证主体", max_length=100)
    issued_on = models.DateField("发证日期")
    valid_until = models.DateField("有效期至", null=True, blank=True)
    file = models.ForeignKey(
        "files.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # rendered when first asked for
    token = models.CharField(max_length=40, unique=True, default=_token)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "电子证照"
        verbose_name_plural = "电子证照"

    def __str__(self) -> str:
        return f"{self.name} {self.number}"

    def valid_on(self, day: dt.date) -> bool:
        return self.revoked_at is None and (self.valid_until is None or day <= self.valid_until)


class Document(TimeStampedModel):
    """A notice the case produced: acceptance notice, refusal decision, supplement notice,
    decision — as a PDF kept with its hash."""

    KINDS = [
        ("receipt", "收件回执"),
        ("acceptance", "受理通知书"),
        ("refusal", "不予受理决定书"),
        ("supplement", "补正材料通知书"),
        ("denial", "不予许可决定书"),
        ("result", "办理结果"),
    ]
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=16, choices=KINDS)
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at"]
