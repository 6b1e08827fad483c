from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class RateCount(models.Model):
    """How many times one key (an address looking up cases, an Open311 client posting) acted in
    one fixed window of time; counted by `core.ratelimit`, in the database so that every web
    process shares the count."""

    key = models.CharField("键", max_length=150)
    window_start = models.BigIntegerField("时段起点（Unix 秒）")
    count = models.PositiveIntegerField("次数", default=0)
    expires_at = models.DateTimeField("过期时间", db_index=True)

    class Meta:
        verbose_name = "频率计数"
        verbose_name_plural = "频率计数"
        constraints = [
            models.UniqueConstraint(
                fields=["key", "window_start"], name="core_ratecount_key_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} @{self.window_start}: {self.count}"
