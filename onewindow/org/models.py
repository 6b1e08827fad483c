"""The organisation: a tree of regions, their service points, departments and windows."""

from __future__ import annotations

from django.db import models

from onewindow.core.models import TimeStampedModel

from .choices import RegionLevel, ServicePointKind, WindowKind


class Region(TimeStampedModel):
    """A node of the division tree, keyed by its 12-digit statistical division code.

    `path` is the materialised path of codes from the root ("610799000000/610799001000/"), so
    "this node and below" is one indexed prefix query, whatever the depth.
    """

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("层级", max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField("路径", max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/")


class ServicePoint(TimeStampedModel):
    region = models.ForeignKey(
        Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="service_points"
    )
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=ServicePointKind.choices)
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("咨询电话", max_length=32, blank=True)
    hours = models.CharField("办公时间", max_length=100, blank=True)

    class Meta:
        verbose_name = "服务场所"
        verbose_name_plural = "服务场所"
        ordering = ["region__path", "name"]

    def __str__(self) -> str:
        return self.name


class Department(TimeStampedModel):
    region = models.ForeignKey(
        Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="departments"
    )
    code = models.CharField("部门编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=32, blank=True)
    is_stationed = models.BooleanField("进驻中心", default=True)
    phone = models.CharField("咨询电话", max_length=32, blank=True)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Window(TimeStampedModel):
    service_point = models.ForeignKey(
        ServicePoint, verbose_name="服务场所", on_delete=models.PROTECT, related_name="windows"
    )
    number = models.CharField("窗口号", max_length=16)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=WindowKind.choices)
    department = models.ForeignKey(
        Department,
        verbose_name="所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="windows",
        help_text="部门专窗必填；综合受理窗口不填。",
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = "窗口"
        ordering = ["service_point", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["service_point", "number"], name="org_window_number_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=WindowKind.DEPARTMENT)
                | models.Q(department__isnull=False),
                name="org_window_department_needs_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"
