"""The item catalogue (事项清单): items, their versioned guides, materials, situations, bundles.

An `Item` is the stable identity (basic code, department). Everything the public guide shows
lives on an `ItemVersion`; a published version never changes (editing makes a new draft), and
every case will bind to the version it was submitted under.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

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


FROZEN_MESSAGE = "已发布的版本不能修改，请新建修订草稿。"

# What guards a published (or superseded) version, and what cannot:
#   guarded   ItemVersion.save / delete; save / delete of every child (materials, fees, faqs,
#             situations, situation options); QuerySet.update / delete / bulk_create /
#             bulk_update of versions and children (`FrozenGuardQuerySet`); the many-to-many
#             links co_departments, options' adds / removes, from either side (`m2m_changed`).
#   not guarded  raw SQL, the auto-created through tables used directly
#             (`ItemVersion.co_departments.through.objects…`), `QuerySet._raw_delete`, and
#             migrations (historical models have no custom methods).
_unfrozen: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "catalogue_unfrozen", default=False
)


@contextlib.contextmanager
def frozen_guard_off() -> Iterator[None]:
    """Lift the guard for a block: only to purge a whole catalogue (the test fixture that sets
    the demo catalogue aside). Never for editing a guide: edit a new draft instead."""
    token = _unfrozen.set(True)
    try:
        yield
    finally:
        _unfrozen.reset(token)


def _refuse_if_frozen(versions: models.QuerySet[Any]) -> None:
    """Raise if any of `versions` (a queryset of ItemVersion) is published or superseded."""
    if not _unfrozen.get() and versions.filter(status__in=FROZEN_STATUSES).exists():
        raise InvalidTransition(FROZEN_MESSAGE)


class FrozenGuardQuerySet(models.QuerySet[Any]):
    """Bulk writes refused when they touch a frozen version. `version_path` is the lookup from
    the row to its ItemVersion ("" for versions themselves)."""

    version_path = "version"

    def _versions(self) -> models.QuerySet[Any]:
        if not self.version_path:
            return ItemVersion.objects.filter(pk__in=self.values("pk"))
        return ItemVersion.objects.filter(
            pk__in=self.values(self.version_path).order_by().distinct()
        )

    def _guard_objs(self, objs: Iterable[Any]) -> list[Any]:
        objs = list(objs)
        ids = {self.model.version_id_of(o) for o in objs}
        _refuse_if_frozen(ItemVersion.objects.filter(pk__in=[i for i in ids if i is not None]))
        return objs

    def update(self, **kwargs: Any) -> int:
        _refuse_if_frozen(self._versions())
        return super().update(**kwargs)

    update.alters_data = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        _refuse_if_frozen(self._versions())
        return super().delete()

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        return super().bulk_create(self._guard_objs(objs), *args, **kwargs)

    def bulk_update(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> int:
        return super().bulk_update(self._guard_objs(objs), *args, **kwargs)


class VersionQuerySet(FrozenGuardQuerySet):
    """Versions: a bulk update or delete may touch drafts and reviewed versions only (publication
    supersedes the replaced version through `ItemVersion.save`, which allows that one step)."""

    version_path = ""


class ItemVersion(TimeStampedModel):
    objects = VersionQuerySet.as_manager()

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
                raise InvalidTransition(FROZEN_MESSAGE)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.pk is not None:
            _refuse_if_frozen(ItemVersion.objects.filter(pk=self.pk))
        return super().delete(*args, **kwargs)

    @staticmethod
    def version_id_of(obj: ItemVersion) -> int | None:
        return obj.pk


class VersionChild(models.Model):
    """Rows that belong to one version: frozen with it (save, delete, bulk writes)."""

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveSmallIntegerField("顺序", default=0)

    objects = FrozenGuardQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_if_frozen()
        if self.pk is not None and not self._state.adding:
            # moved from a frozen version to a draft is a change of the frozen one too
            stored = type(self)._base_manager.filter(pk=self.pk).values("version_id")
            _refuse_if_frozen(ItemVersion.objects.filter(pk__in=stored))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._refuse_if_frozen()
        return super().delete(*args, **kwargs)

    @staticmethod
    def version_id_of(obj: Any) -> int | None:
        return obj.version_id

    def _refuse_if_frozen(self) -> None:
        _refuse_if_frozen(ItemVersion.objects.filter(pk__in=[self.version_id_of(self)]))


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


class OptionQuerySet(FrozenGuardQuerySet):
    version_path = "situation__version"

    def _guard_objs(self, objs: Iterable[Any]) -> list[Any]:
        objs = list(objs)
        situations = Situation.objects.filter(pk__in={o.situation_id for o in objs})
        _refuse_if_frozen(ItemVersion.objects.filter(pk__in=situations.values("version")))
        return objs


class SituationOption(models.Model):
    """One answer to a situation question and what choosing it changes: materials added or
    removed, acceptance conditions added, and the time limits for that situation (in the
    version's unit; empty: the item's own limit). Frozen with its version."""

    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="options")
    key = models.CharField("标识", max_length=40)
    answer = models.CharField("选项", max_length=100)
    note = models.CharField("说明", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("顺序", default=0)
    adds = models.ManyToManyField(Material, blank=True, related_name="added_by")
    removes = models.ManyToManyField(Material, blank=True, related_name="removed_by")
    conditions = models.JSONField(
        "增加的受理条件", default=list, blank=True, help_text="选择该选项时另需满足的条件"
    )
    promised_limit = models.PositiveIntegerField(
        "该情形承诺时限", null=True, blank=True, help_text="不填则按事项的承诺时限"
    )
    statutory_limit = models.PositiveIntegerField(
        "该情形法定时限", null=True, blank=True, help_text="不填则按事项的法定时限"
    )

    objects = OptionQuerySet.as_manager()

    class Meta:
        verbose_name = "情形选项"
        verbose_name_plural = "情形选项"
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["situation", "key"], name="catalogue_option_key"),
            models.CheckConstraint(
                condition=models.Q(promised_limit__isnull=True)
                | models.Q(statutory_limit__isnull=True)
                | models.Q(promised_limit__lte=models.F("statutory_limit")),
                name="catalogue_option_promised_within_statutory",
            ),
        ]

    def __str__(self) -> str:
        return self.answer

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_if_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._refuse_if_frozen()
        return super().delete(*args, **kwargs)

    def _refuse_if_frozen(self) -> None:
        situations = Situation.objects.filter(pk=self.situation_id)
        if self.pk is not None and not self._state.adding:
            stored = SituationOption._base_manager.filter(pk=self.pk).values("situation_id")
            situations = Situation.objects.filter(
                models.Q(pk=self.situation_id) | models.Q(pk__in=stored)
            )
        _refuse_if_frozen(ItemVersion.objects.filter(pk__in=situations.values("version")))


def _guard_links(
    *, action: str, reverse: bool, instance: Any, pk_set: set[Any] | None, forward: Any, back: Any
) -> None:
    """Refuse adding, removing or clearing a many-to-many link that belongs to a frozen version.
    `forward(ids)` / `back(ids)` give the versions of the owning side / the other side's rows."""
    if _unfrozen.get() or action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    if not reverse:
        versions = forward([instance.pk])
    elif pk_set is not None:
        versions = forward(list(pk_set))
    else:  # clear from the other side: every owner linked to `instance`
        versions = back([instance.pk])
    _refuse_if_frozen(versions)


def _option_versions(ids: list[Any]) -> models.QuerySet[Any]:
    return ItemVersion.objects.filter(situations__options__pk__in=ids)


@receiver(m2m_changed, sender=ItemVersion.co_departments.through)
def _freeze_co_departments(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    _guard_links(
        action=action,
        reverse=reverse,
        instance=instance,
        pk_set=pk_set,
        forward=lambda ids: ItemVersion.objects.filter(pk__in=ids),
        back=lambda ids: ItemVersion.objects.filter(co_departments__pk__in=ids),
    )


@receiver(m2m_changed, sender=SituationOption.adds.through)
@receiver(m2m_changed, sender=SituationOption.removes.through)
def _freeze_option_materials(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    link = "adds" if sender is SituationOption.adds.through else "removes"
    _guard_links(
        action=action,
        reverse=reverse,
        instance=instance,
        pk_set=pk_set,
        forward=_option_versions,
        back=lambda ids: ItemVersion.objects.filter(
            **{f"situations__options__{link}__pk__in": ids}
        ),
    )


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
    # 停止办理: no longer offered in the hall or the search, no new application; kept (its
    # applications refer to it) and may be offered again
    active = models.BooleanField("在办", default=True)
    retire_reason = models.CharField("停止办理原因", max_length=200, blank=True)
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
