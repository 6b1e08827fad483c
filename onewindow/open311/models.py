"""Open311 GeoReport v2: the API clients, the service attributes (data the administrator edits)
and the record of each request a client filed (the appeal itself lives in `onewindow.appeals`)."""

from __future__ import annotations

from django.db import models

from onewindow.core.models import TimeStampedModel

from .choices import Datatype


class Client(TimeStampedModel):
    """An application allowed to file requests. Only the SHA-256 of its api_key is kept: the key
    is shown once, when it is made (`onewindow open311 newkey NAME`)."""

    name = models.CharField("名称", max_length=100, unique=True)
    key_hash = models.CharField("密钥摘要（SHA-256）", max_length=64, unique=True, editable=False)
    key_prefix = models.CharField("密钥前缀", max_length=8, editable=False)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "Open311 客户端"
        verbose_name_plural = verbose_name
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceAttribute(TimeStampedModel):
    """One field of a service definition. Without a category it belongs to every service; a
    category's own attribute with the same code replaces the common one for that service."""

    category = models.ForeignKey(
        "appeals.Category",
        verbose_name="分类（空=所有服务）",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="open311_attributes",
    )
    code = models.CharField("编码", max_length=32)
    variable = models.BooleanField("需要填写", default=True)
    datatype = models.CharField("类型", max_length=16, choices=Datatype.choices)
    required = models.BooleanField("必填", default=False)
    datatype_description = models.CharField("类型说明", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("顺序", default=1)
    description = models.CharField("说明", max_length=200)
    values = models.JSONField(
        "可选值", default=list, blank=True, help_text='[{"key": "…", "name": "…"}, …]'
    )
    default = models.CharField("缺省值", max_length=64, blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "Open311 服务属性"
        verbose_name_plural = verbose_name
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "code"], name="open311_attribute_code_per_category"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(category__isnull=True),
                name="open311_common_attribute_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or '所有服务'} · {self.code}"

    def keys(self) -> dict[str, str]:
        return {str(v.get("key")): str(v.get("name", "")) for v in self.values or []}


class ServiceRequest(models.Model):
    """What a client sent beyond the appeal's own fields. `email`, `device_id` and `account_id`
    are the submitter's: kept for the command centre, never shown by the GET methods."""

    appeal = models.OneToOneField(
        "appeals.Appeal", verbose_name="诉求", on_delete=models.CASCADE, related_name="open311"
    )
    client = models.ForeignKey(
        Client, verbose_name="客户端", on_delete=models.PROTECT, related_name="requests"
    )
    token = models.CharField("令牌", max_length=32, unique=True)
    attributes = models.JSONField("服务属性", default=dict, blank=True)
    address_id = models.CharField("地址编码", max_length=12, blank=True)
    media_url = models.URLField("媒体链接", max_length=500, blank=True)
    email = models.EmailField("电子邮箱", blank=True)
    device_id = models.CharField("设备编号", max_length=100, blank=True)
    account_id = models.CharField("账号", max_length=100, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)

    class Meta:
        verbose_name = "Open311 服务请求"
        verbose_name_plural = verbose_name
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.client} · {self.appeal_id}"
