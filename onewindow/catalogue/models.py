"""The item catalogue (事项清单): items, their versioned guides, materials, situations, bundles.

An `Item` is the stable identity (basic code, department). Everything the public guide shows
lives on an `ItemVersion`; a published version never changes (editing makes a new draft), and
every case will bind to the version it was submitted under.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from onewindow.core.errors import InvalidTransition
from onewindow.core.models import TimeStampedModel

from .choices import (
    FROZEN_STATUSES,
    Handling,
    ItemKind,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    OnlineDepth,
    ResultType,
    VersionStatus,
)


class Item(TimeStampedModel):
    code = models.CharField("基本编码", max_length=12, unique=True)
    department = models.ForeignKey(
        "org.Department", verbose_name="实施部门", on_delete=models.PROTECT, related_name="items"
    )
    region = models.ForeignKey(
        "org.Region", verbose_name="实施区划", on_delete=models.PROTECT, related_name="items"
    )
    published = models.OneToOneField(
        "ItemVersion",
        verbose_name="现行版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "事项"
        verbose_name_plural = "事项"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.published.name if self.published else ''}".strip()

    @property
    def implementation_code(self) -> str:
        """实施编码: basic code, the implementing region and the department, as the exchange
        tables join them."""
        return f"{self.code}{self.region.code[:6]}{self.department.code.rsplit('-', 1)[-1]}"


class ItemVersion(TimeStampedModel):
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    status = models.CharField(
        "状态", max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    change_note = models.CharField("修订说明", max_length=200, blank=True)

    name = models.CharField("事项名称", max_length=100)
    kind = models.CharField("事项类型", max_length=16, choices=ItemKind.choices)
    co_departments = models.ManyToManyField(
        "org.Department", verbose_name="协办部门", blank=True, related_name="co_item_versions"
    )
    levels = models.JSONField("可办理层级", default=list)
    power_source = models.CharField("权力来源", max_length=50, blank=True)
    content = models.TextField("服务内容", blank=True)
    legal_basis = models.JSONField("设定依据", default=list)
    conditions = models.JSONField("受理条件", default=list)
    handling = models.CharField("办件类型", max_length=16, choices=Handling.choices)
    statutory_limit = models.PositiveIntegerField("法定办结时限")
    promised_limit = models.PositiveIntegerField("承诺办结时限")
    limit_unit = models.CharField(
        "时限单位", max_length=16, choices=LimitUnit.choices, default=LimitUnit.WORKING_DAYS
    )
    limit_note = models.CharField("时限说明", max_length=200, blank=True)
    forms = models.JSONField("办理形式", default=list)
    visits = models.PositiveSmallIntegerField("到现场次数", default=1)
    online_depth = models.CharField("网办深度", max_length=16, choices=OnlineDepth.choices)
    result_type = models.CharField("结果类型", max_length=16, choices=ResultType.choices)
    result_name = models.CharField("结果名称", max_length=100)
    special_procedures = models.JSONField("特别程序", default=list, blank=True)
    intermediaries = models.JSONField("中介服务", default=list, blank=True)
    place = models.CharField("办理地点", max_length=200, blank=True)
    hours = models.CharField("办理时间", max_length=100, blank=True)
    phone = models.CharField("咨询电话", max_length=32, blank=True)
    complaint_phone = models.CharField("投诉电话", max_length=32, default="12345")
    life_events = models.JSONField("个人主题", default=list, blank=True)
    business_stages = models.JSONField("法人主题", default=list, blank=True)
    keywords = models.JSONField("常用说法", default=list, blank=True)
    flow = models.JSONField(
        "办理流程",
        default=dict,
        blank=True,
        help_text="环节、操作、角色和各环节时限，见 catalogue/flows.py",
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="最后修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "事项版本"
        verbose_name_plural = "事项版本"
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="catalogue_version_number"),
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(status="published"),
                name="catalogue_one_published_version",
            ),
            models.CheckConstraint(
                condition=models.Q(promised_limit__lte=models.F("statutory_limit")),
                name="catalogue_promised_within_statutory",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（第 {self.number} 版，{self.get_status_display()}）"

    @property
    def frozen(self) -> bool:
        return self.status in FROZEN_STATUSES

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = ItemVersion.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            # a published version may only move on to superseded, nothing else about it changes
            if stored in FROZEN_STATUSES and not (
                stored == VersionStatus.PUBLISHED
                and self.status == VersionStatus.SUPERSEDED
                and set(kwargs.get("update_fields") or ()) <= {"status", "updated_at"}
            ):
                raise InvalidTransition("已发布的版本不能修改，请新建修订草稿。")
        super().save(*args, **kwargs)


class VersionChild(models.Model):
    """Rows that belong to one version: frozen with it."""

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        status = ItemVersion.objects.filter(pk=self.version_id).values_list("status", flat=True)
        if status.first() in FROZEN_STATUSES:
            raise InvalidTransition("已发布的版本不能修改，请新建修订草稿。")
        super().save(*args, **kwargs)


class Material(VersionChild):
    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="materials")
    key = models.CharField("标识", max_length=40)
    name = models.CharField("材料名称", max_length=200)
    required = models.BooleanField("必须提交", default=True)
    deficiency_ok = models.BooleanField("可容缺后补", default=False)
    situational = models.BooleanField("仅特定情形需要", default=False)
    form = models.CharField("材料形式", max_length=20, choices=MaterialForm.choices)
    copies = models.PositiveSmallIntegerField("份数", default=1)
    source = models.CharField(
        "来源", max_length=16, choices=MaterialSource.choices, default=MaterialSource.APPLICANT
    )
    standard = models.CharField("受理标准", max_length=300, blank=True)
    has_blank_form = models.BooleanField("有空白表格", default=False)
    blank_form = models.FileField("空白表格", upload_to="catalogue/forms/", blank=True)
    example = models.FileField("填写样例", upload_to="catalogue/examples/", blank=True)
    # uploads through files.services.store_upload; carried to the next version by material key
    blank_file = models.ForeignKey(
        "files.StoredFile",
        verbose_name="空白表格文件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    example_file = models.ForeignKey(
        "files.StoredFile",
        verbose_name="填写样例文件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta(VersionChild.Meta):
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="catalogue_material_key")
        ]

    def __str__(self) -> str:
        return self.name


class Fee(VersionChild):
    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="fees")
    name = models.CharField("收费项目", max_length=100)
    standard = models.CharField("收费标准", max_length=200)
    basis = models.CharField("收费依据", max_length=300, blank=True)
    reduction = models.CharField("减免政策", max_length=300, blank=True)

    class Meta(VersionChild.Meta):
        verbose_name = "收费"
        verbose_name_plural = "收费"

    def __str__(self) -> str:
        return f"{self.name}：{self.standard}"


class Faq(VersionChild):
    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="faqs")
    question = models.CharField("问题", max_length=200)
    answer = models.TextField("解答")

    class Meta(VersionChild.Meta):
        verbose_name = "常见问题"
        verbose_name_plural = "常见问题"

    def __str__(self) -> str:
        return self.question


class Situation(VersionChild):
    """A question whose answer changes what the applicant must bring (受理事典)."""

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="situations")
    key = models.CharField("标识", max_length=40)
    question = models.CharField("问题", max_length=200)

    class Meta(VersionChild.Meta):
        verbose_name = "情形"
        verbose_name_plural = "情形"
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="catalogue_situation_key")
        ]

    def __str__(self) -> str:
        return self.question


class SituationOption(models.Model):
    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="options")
    key = models.CharField("标识", max_length=40)
    answer = models.CharField("选项", max_length=100)
    note = models.CharField("说明", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("顺序", default=0)
    adds = models.ManyToManyField(Material, blank=True, related_name="added_by")
    removes = models.ManyToManyField(Material, blank=True, related_name="removed_by")

    class Meta:
        verbose_name = "情形选项"
        verbose_name_plural = "情形选项"
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["situation", "key"], name="catalogue_option_key")
        ]

    def __str__(self) -> str:
        return self.answer


class Bundle(TimeStampedModel):
    """A "one thing" (一件事): several items done as one, in stages."""

    code = models.CharField("编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    description = models.TextField("说明", blank=True)
    target = models.CharField(
        "服务对象", max_length=16, choices=[("person", "个人"), ("company", "企业")]
    )
    promised_limit = models.PositiveIntegerField("承诺办结时限（工作日）")
    shared_materials = models.JSONField("共用材料", default=list, blank=True)
    keywords = models.JSONField("常用说法", default=list, blank=True)
    life_events = models.JSONField("个人主题", default=list, blank=True)
    business_stages = models.JSONField("法人主题", default=list, blank=True)
    items: models.ManyToManyField[Item, BundleItem] = models.ManyToManyField(
        Item, through="BundleItem", related_name="bundles"
    )

    class Meta:
        verbose_name = "一件事"
        verbose_name_plural = "一件事"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="steps")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    stage = models.PositiveSmallIntegerField(
        "阶段", help_text="同一阶段的事项并联办理，阶段依次进行"
    )

    class Meta:
        verbose_name = "一件事包含的事项"
        verbose_name_plural = "一件事包含的事项"
        ordering = ["stage", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "item"], name="catalogue_bundle_item")
        ]

    def __str__(self) -> str:
        return f"{self.bundle} 第 {self.stage} 阶段：{self.item}"


class Devolution(TimeStampedModel):
    """下沉/县镇同权: the county grants a town or village the power to handle an item, by letter."""

    item = models.ForeignKey(
        Item, verbose_name="事项", on_delete=models.PROTECT, related_name="devolutions"
    )
    region = models.ForeignKey(
        "org.Region", verbose_name="承接区划", on_delete=models.PROTECT, related_name="devolutions"
    )
    letter_no = models.CharField("授权书文号", max_length=100)
    scope = models.CharField("授权范围", max_length=300)
    seal = models.CharField("使用印章", max_length=100)
    responsible = models.CharField("责任人", max_length=64)
    granted_on = models.DateField("授权日期")
    recalled_on = models.DateField("收回日期", null=True, blank=True)
    recall_reason = models.CharField("收回原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "下沉授权"
        verbose_name_plural = "下沉授权"
        ordering = ["region__path", "item__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "region"],
                condition=models.Q(recalled_on__isnull=True),
                name="catalogue_one_active_devolution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} · {self.item}"


class WindowAuthorisation(TimeStampedModel):
    """部门窗口授权书: which window may do what for which item, under whose seal and name."""

    POWERS = (("accept", "受理"), ("approve", "审批"), ("issue", "出件"))

    window = models.ForeignKey(
        "org.Window", verbose_name="窗口", on_delete=models.PROTECT, related_name="authorisations"
    )
    item = models.ForeignKey(
        Item, verbose_name="事项", on_delete=models.PROTECT, related_name="window_authorisations"
    )
    powers = models.JSONField("授权权限", default=list)
    letter_no = models.CharField("授权书文号", max_length=100)
    seal = models.CharField("使用印章", max_length=100)
    responsible = models.CharField("责任人", max_length=64)
    granted_on = models.DateField("授权日期")
    revoked_on = models.DateField("撤销日期", null=True, blank=True)

    class Meta:
        verbose_name = "窗口授权"
        verbose_name_plural = "窗口授权"
        ordering = ["window", "item__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["window", "item"],
                condition=models.Q(revoked_on__isnull=True),
                name="catalogue_one_active_window_authorisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window} · {self.item}"
