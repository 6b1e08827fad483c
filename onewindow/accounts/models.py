"""Accounts: one user table for staff and applicants; posts with A and B holders."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from onewindow.core.models import TimeStampedModel
from onewindow.core.personal import PersonalDataField

from .choices import ApplicantKind, Role, UserKind


class User(AbstractUser):
    kind = models.CharField(
        "账户类型", max_length=16, choices=UserKind.choices, default=UserKind.STAFF
    )
    name = models.CharField("姓名", max_length=64, blank=True)
    phone = PersonalDataField("手机号码", kind="phone", max_length=11, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [
            models.UniqueConstraint(
                fields=["phone"],
                condition=models.Q(kind="applicant"),
                name="accounts_applicant_phone_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def is_applicant(self) -> bool:
        return self.kind == UserKind.APPLICANT


class Applicant(TimeStampedModel):
    """The applicant's identity: a natural person or a legal person (company, organisation)."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="applicant")
    kind = models.CharField("主体类型", max_length=16, choices=ApplicantKind.choices)
    name = models.CharField("姓名/名称", max_length=100)
    id_number = PersonalDataField("身份证号码", kind="id_number", max_length=18, blank=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    legal_representative = models.CharField("法定代表人", max_length=64, blank=True)

    class Meta:
        verbose_name = "申请人"
        verbose_name_plural = "申请人"
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=models.Q(kind="person"),
                name="accounts_person_id_unique",
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=models.Q(kind="legal"),
                name="accounts_legal_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Post(TimeStampedModel):
    """A post (岗位): a role in a region (and a department, a window), held by A with B as stand-in.

    The post's region and department are its jurisdiction: the holder sees and acts on that
    subtree of the region tree and, when a department is set, on that department only.
    """

    name = models.CharField("岗位名称", max_length=100)
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    region = models.ForeignKey(
        "org.Region", verbose_name="管辖区划", on_delete=models.PROTECT, related_name="posts"
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name="所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    window = models.ForeignKey(
        "org.Window",
        verbose_name="窗口",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    holder_a = models.ForeignKey(
        User, verbose_name="A 岗", on_delete=models.PROTECT, related_name="posts_as_a"
    )
    holder_b = models.ForeignKey(
        User,
        verbose_name="B 岗",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts_as_b",
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "岗位"
        verbose_name_plural = "岗位"
        ordering = ["region__path", "department__code", "role", "name"]

    def __str__(self) -> str:
        return self.name


class Absence(TimeStampedModel):
    """A staff member is away: while open, B holders act on this member's A posts."""

    user = models.ForeignKey(
        User, verbose_name="人员", on_delete=models.PROTECT, related_name="absences"
    )
    started_at = models.DateTimeField("开始时间")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    reason = models.CharField("事由", max_length=200)
    recorded_by = models.ForeignKey(
        User, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "离岗登记"
        verbose_name_plural = "离岗登记"
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(ended_at__isnull=True),
                name="accounts_one_open_absence",
            )
        ]
