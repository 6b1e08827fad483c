"""Writing to the audit log. Every write service calls `audit_record` inside its transaction."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone

from onewindow.core import context

from .models import AuditEntry

logger = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def audit_record(
    *,
    action: str,
    actor: Any = None,
    role: str = "",
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_name: str = "",
) -> AuditEntry:
    """Append one entry. Call it inside the same `transaction.atomic()` as the change it records.

    The actor's IP comes from the request context; personal data must not be put in `summary`,
    `before` or `after` whole (pass masked values). `actor_name` overrides the name recorded for
    the actor (for example the operating-system user of a console command).

    The entry is inserted unsealed, without any shared lock; after the commit a best-effort
    sealer chains it (see `onewindow.audit.chain`). A failure there never fails the caller: the
    periodic `onewindow audit seal` picks the entry up.
    """
    entry = _entry(
        action=action,
        actor=actor,
        role=role,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        summary=summary,
        before=before,
        after=after,
        actor_name=actor_name,
    )
    entry.save()
    transaction.on_commit(_seal_after_commit)
    return entry


def audit_export(
    *,
    action: str,
    actor: Any,
    role: str,
    kind: str,
    table: str,
    rows: int,
    filters: Mapping[str, str] | None = None,
    capped: bool = False,
) -> AuditEntry:
    """An Excel export is a disclosure: on record, who took which table (`kind` says of what:
    电子监察表, 好差评表) with which filters, and how many rows it held."""
    shown = "，".join(f"{k}={v}" for k, v in sorted((filters or {}).items())) or "无筛选"
    with transaction.atomic():
        return audit_record(
            action=action,
            actor=actor,
            role=role,
            object_type=action.replace(".export", ".table"),
            summary=f"导出{kind}：{table}（{shown}），{rows} 行{'，已截断' if capped else ''}",
            after={"table": table, "filters": dict(filters or {}), "rows": rows, "capped": capped},
        )


def audit_records(records: Iterable[Mapping[str, Any]]) -> list[AuditEntry]:
    """Several entries (each given as `audit_record`'s keyword arguments) in one INSERT, for a
    service that writes several objects at once (the files of one application)."""
    entries = [_entry(**record) for record in records]
    if entries:
        AuditEntry.objects.bulk_create(entries)
        transaction.on_commit(_seal_after_commit)
    return entries


def _entry(
    *,
    action: str,
    actor: Any = None,
    role: str = "",
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_name: str = "",
) -> AuditEntry:
    ctx = context.current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    changes: dict[str, Any] = {}
    if before:
        changes["before"] = _jsonable(before)
    if after:
        changes["after"] = _jsonable(after)
    return AuditEntry(
        occurred_at=timezone.now(),
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_name=(actor_name or (str(actor) if actor is not None else "系统"))[:150],
        role=role,
        ip=ctx.ip if ctx else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else "",
        summary=summary[:255],
        changes=changes,
    )


def record_export(
    *, actor: Any = None, actor_name: str = "", role: str, summary: str, filters: dict[str, Any]
) -> AuditEntry:
    """Reading the log out is itself on record: who exported, with which filters."""
    with transaction.atomic():
        return audit_record(
            action="audit.export",
            actor=actor,
            actor_name=actor_name,
            role=role,
            summary=summary,
            after=filters,
        )


# Sealing after a commit is throttled per process: under load, one sealing pass every
# SEAL_INTERVAL seconds picks up everything committed since in one batch (sealing one row per
# commit costs several statements each). A quiet system seals every write at once.
SEAL_INTERVAL = float(getattr(settings, "ONEWINDOW_AUDIT_SEAL_INTERVAL", 0.2))
# When a pass is skipped by the throttle, one follow-up pass is scheduled SEAL_INTERVAL later on a
# daemon timer, so the tail of a burst is sealed within a fraction of a second even if nothing is
# written after it (the periodic `onewindow audit seal` stays the backstop after a crash).
SEAL_FOLLOWUP = bool(getattr(settings, "ONEWINDOW_AUDIT_SEAL_FOLLOWUP", True))
_throttle = threading.Lock()
_last_seal = float("-inf")
_followup: threading.Timer | None = None


def _seal_now() -> None:
    from .chain import seal_pending

    try:
        seal_pending(wait=False)
    except Exception:  # the change is committed; sealing is retried by `onewindow audit seal`
        logger.exception("audit: sealing after commit failed; left for the periodic sealer")


def _seal_after_commit() -> None:
    global _last_seal, _followup
    with _throttle:
        now = time.monotonic()
        if now - _last_seal < SEAL_INTERVAL:
            if SEAL_FOLLOWUP and _followup is None:
                _followup = threading.Timer(SEAL_INTERVAL, _seal_followup)
                _followup.daemon = True
                _followup.start()
            return
        _last_seal = now
    _seal_now()


def _seal_followup() -> None:
    """Runs on the timer's own thread, with its own database connection, closed at the end."""
    global _last_seal, _followup
    with _throttle:
        _followup = None
        _last_seal = time.monotonic()
    try:
        _seal_now()
    finally:
        connections.close_all()
