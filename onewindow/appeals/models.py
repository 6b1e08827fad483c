"""民情直通车: citizens' appeals, the units they are dispatched to, and every step on record."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from onewindow.core.models import TimeStampedModel
from onewindow.core.personal import PersonalDataField

from .choices import Channel, DispatchState, Kind, Rating, Status, Step, Target, Urgency


class Category(models.Model):
    code = models.CharField("编码", max_length=16, unique=True)
    name = models.CharField("名称", max_length=64)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = "诉求分类"
        verbose_name_plural = verbose_name
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Which unit first handles an appeal: the most specific matching rule (highest priority)."""

    category = models.ForeignKey(
        Category, verbose_name="分类（空=任意）", null=True, blank=True, on_delete=models.CASCADE
    )
    region_level = models.CharField("区划层级（空=任意）", max_length=16, blank=True)
    target = models.CharField("承办单位", max_length=16, choices=Target.choices)
    department = models.ForeignKey(
        "org.Department",
        verbose_name="县级部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    priority = models.IntegerField("优先级", default=0)

    class Meta:
        verbose_name = "分派规则"
        verbose_name_plural = verbose_name
        ordering = ["-priority", "pk"]

    def __str__(self) -> str:
        return f"{self.category or '任意分类'} → {self.get_target_display()}"

    def clean(self) -> None:
        """A rule the router can follow: a county department for that target, and only then."""
        from django.core.exceptions import ValidationError

        from onewindow.org.choices import RegionLevel

        if self.target == Target.DEPARTMENT and self.department_id is None:
            raise ValidationError({"department": "承办单位为县级部门时，请选择部门。"})
        if self.target != Target.DEPARTMENT and self.department_id is not None:
            raise ValidationError({"department": "只有承办单位为县级部门时才选择部门。"})
        levels = (RegionLevel.COUNTY, RegionLevel.TOWN, RegionLevel.VILLAGE)
        if self.region_level and self.region_level not in levels:
            raise ValidationError(
                {"region_level": "区划层级须为空（任意）或 county、town、village 之一。"}
            )
        if self.category is not None and self.category.children.exists():
            raise ValidationError({"category": "请选择末级分类（诉求登记时只能选末级分类）。"})


class Appeal(TimeStampedModel):
    number = models.CharField("诉求编号", max_length=20, unique=True)
    channel = models.CharField("来源渠道", max_length=16, choices=Channel.choices)
    kind = models.CharField("诉求类型", max_length=20, choices=Kind.choices)
    category = models.ForeignKey(Category, verbose_name="分类", on_delete=models.PROTECT)
    region = models.ForeignKey(
        "org.Region", verbose_name="所在区划", on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField("地址", max_length=200, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    title = models.CharField("标题", max_length=100)
    content = models.TextField("诉求内容")
    anonymous = models.BooleanField("匿名", default=False)
    caller_name = models.CharField("诉求人姓名", max_length=64, blank=True)
    callback_phone = PersonalDataField("回访电话", kind="phone", blank=True)
    publish_consent = models.BooleanField("同意公开", default=False)
    urgency = models.CharField(
        "紧急程度", max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    recording_ref = models.CharField("录音编号", max_length=64, blank=True)
    attachments = models.ManyToManyField("files.StoredFile", verbose_name="附件", blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=Status.choices, default=Status.DISPATCHED
    )
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    rating = models.CharField("评价", max_length=16, choices=Rating.choices, blank=True)
    filed_on = models.DateField("受理日期")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revision = models.PositiveIntegerField("版本", default=0)
    # 并案: a duplicate points at the appeal it was merged into and shares its outcome
    merged_into = models.ForeignKey(
        "self",
        verbose_name="并入诉求",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )
    # 办不成事 window: the case that could not get done, when there is one
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="关联办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )

    class Meta:
        verbose_name = "民情诉求"
        verbose_name_plural = verbose_name
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.number


class Dispatch(TimeStampedModel):
    """One handling unit's turn with an appeal: a region plus optional county department."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="dispatches")
    region = models.ForeignKey(
        "org.Region", verbose_name="承办区划", on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name="承办部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lead = models.BooleanField("主办", default=True)
    state = models.CharField(
        "状态", max_length=16, choices=DispatchState.choices, default=DispatchState.WAITING
    )
    sign_due = models.DateField("签收时限", null=True)
    signed_on = models.DateField("签收日期", null=True, blank=True)
    handle_due = models.DateField("办理时限", null=True, blank=True)
    closed_on = models.DateField("结束日期", null=True, blank=True)
    reason = models.CharField("退单/转办理由", max_length=500, blank=True)
    reply = models.TextField("答复内容", blank=True)
    extension_days = models.PositiveSmallIntegerField("申请延期（工作日）", default=0)
    extension_reason = models.CharField("延期理由", max_length=500, blank=True)
    extension_state = models.CharField(
        "延期审批",
        max_length=16,
        blank=True,
        choices=[("requested", "待审批"), ("approved", "已同意"), ("refused", "未同意")],
    )

    class Meta:
        verbose_name = "派单"
        verbose_name_plural = verbose_name
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["state", "sign_due"]),
            models.Index(fields=["state", "handle_due"]),
        ]

    @property
    def open(self) -> bool:
        return self.state in (DispatchState.WAITING, DispatchState.SIGNED)


class Escalation(models.Model):
    """One automatic step of the ladder for one clock of one dispatch: recorded once."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="escalations")
    clock = models.CharField("时限", max_length=8)  # "sign" or "handle"
    step = models.CharField("措施", max_length=16, choices=Step.choices)
    on = models.DateField("日期")

    class Meta:
        verbose_name = "超期处置"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch", "clock", "step"], name="appeals_escalation_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dispatch_id} {self.clock} {self.step}"


class AppealEvent(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="events")
    dispatch = models.ForeignKey(Dispatch, null=True, blank=True, on_delete=models.CASCADE)
    action = models.CharField("动作", max_length=32)
    note = models.TextField("说明", blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    on = models.DateField("日期")
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "诉求流转记录"
        verbose_name_plural = verbose_name
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.action}"
