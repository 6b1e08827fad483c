"""The append-only audit log. Writers insert unsealed entries in their own transaction; a sealer
chains committed entries in order (seq, prev_hash, entry_hash). See docs/adr/0002-audit-chain.md.

Nothing in the application can change or remove an entry: `save()` only inserts, `delete()` and
the default QuerySet's `update()`/`delete()`/`bulk_update()` raise. The sealer fills the four
sealing columns of unsealed rows with its own raw UPDATE (`onewindow.audit.chain._write_seals`),
the one write path besides insertion. On PostgreSQL a trigger (migration 0003) enforces the same
rules below the ORM.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

GENESIS_HASH = "0" * 64


class AuditLogImmutable(Exception):
    """Someone tried to change or remove an audit entry through the application."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Reading only: the log cannot be updated or deleted in bulk."""

    def update(self, **kwargs: Any) -> int:
        raise AuditLogImmutable("审计日志只能追加，不能修改")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("审计日志只能追加，不能删除")

    def _raw_delete(self, using: Any) -> int:
        raise AuditLogImmutable("审计日志只能追加，不能删除")

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[AuditEntry]:
        objs = list(objs)
        for obj in objs:
            obj._check_unsealed_insert()
        return super().bulk_create(objs, *args, **kwargs)


class AuditEntry(models.Model):
    occurred_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField("操作人姓名", max_length=150, blank=True)
    role = models.CharField("角色", max_length=32, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    action = models.CharField("操作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    summary = models.CharField("摘要", max_length=255, blank=True)
    changes = models.JSONField("变更前后", default=dict, blank=True)
    # Filled by the sealer, never by the writer.
    seq = models.BigIntegerField("链序号", null=True, blank=True, unique=True)
    prev_hash = models.CharField("前一条哈希", max_length=64, blank=True)
    entry_hash = models.CharField("本条哈希", max_length=64, blank=True)
    sealed_at = models.DateTimeField("封存时间", null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The sealer's work queue: small however long the log grows.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogImmutable("审计日志只能追加，不能修改")
        self._check_unsealed_insert()
        kwargs.pop("force_update", None)
        kwargs["force_insert"] = True  # never an UPDATE, even when a pk was set by hand
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("审计日志只能追加，不能删除")

    def _check_unsealed_insert(self) -> None:
        if self.seq is not None or self.prev_hash or self.entry_hash or self.sealed_at:
            raise AuditLogImmutable("新写入的审计记录不能自带链序号或哈希，封存由封存程序完成")


class AuditChainHead(models.Model):
    """The one row that holds the end of the chain. Only the sealer locks and moves it."""

    id = models.SmallIntegerField(primary_key=True, default=1, editable=False)
    last_seq = models.BigIntegerField("最后链序号", default=0)
    last_hash = models.CharField("最后哈希", max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = "审计链头"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_chainhead_single_row")
        ]

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("审计链头不能删除")
