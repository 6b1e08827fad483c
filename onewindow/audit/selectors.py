"""Reading the audit log: search (for the audit administrator's page) and export rows.

The log is read-only everywhere; these functions only build querysets and rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from onewindow.core.errors import InvalidInput

from .models import AuditEntry

EXPORT_CHUNK = 2000

# (field, column heading) in export order; the CSV has these headings, JSONL these keys.
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "链序号"),
    ("id", "编号"),
    ("occurred_at", "时间"),
    ("actor_id", "操作人ID"),
    ("actor_name", "操作人"),
    ("role", "角色"),
    ("ip", "IP 地址"),
    ("action", "操作"),
    ("object_type", "对象类型"),
    ("object_id", "对象编号"),
    ("summary", "摘要"),
    ("changes", "变更前后"),
    ("prev_hash", "前一条哈希"),
    ("entry_hash", "本条哈希"),
    ("sealed_at", "封存时间"),
)


def parse_moment(value: str | dt.date | dt.datetime | None, *, end: bool, field: str) -> Any:
    """A bound for a time filter, as an aware datetime (None stays None).

    A date means the whole day in the local time zone: as a start, its first moment; as an end,
    the first moment of the next day (the bound is exclusive). A datetime without a zone is local.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = (
                dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
            )
        except ValueError:
            label = "截止时间" if end else "起始时间"
            raise InvalidInput(
                f"{label}格式不对，应为 2026-01-31 或 2026-01-31T08:30", field=field
            ) from None
    if isinstance(value, dt.datetime):
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    day = value + dt.timedelta(days=1) if end else value
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_search(
    *,
    actor_name: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: str | dt.date | dt.datetime | None = None,
    until: str | dt.date | dt.datetime | None = None,
    ip: str | None = None,
) -> QuerySet[AuditEntry]:
    """Entries matching every given filter, newest first.

    actor_name and action match a part (action also matches a prefix such as "accounts."),
    object_type, object_id and ip match exactly. since/until take a date (whole days, local time)
    or a datetime; until is inclusive for a date, exclusive for a datetime. A malformed bound
    raises InvalidInput.
    """
    qs = AuditEntry.objects.all()
    if actor_name:
        qs = qs.filter(actor_name__contains=actor_name.strip())
    if action:
        qs = qs.filter(action__contains=action.strip())
    if object_type:
        qs = qs.filter(object_type=object_type.strip())
    if object_id:
        qs = qs.filter(object_id=str(object_id).strip())
    if ip:
        qs = qs.filter(ip=ip.strip())
    start = parse_moment(since, end=False, field="since")
    stop = parse_moment(until, end=True, field="until")
    if start is not None:
        qs = qs.filter(occurred_at__gte=start)
    if stop is not None:
        qs = qs.filter(occurred_at__lt=stop)
    return qs.order_by("-id")


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if name == "changes":
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def audit_export_records(qs: QuerySet[AuditEntry]) -> Iterator[dict[str, Any]]:
    """One dict per entry (JSON-ready: times in ISO 8601 with zone), streamed in chunks."""
    for row in qs.values(*(name for name, _ in EXPORT_COLUMNS)).iterator(chunk_size=EXPORT_CHUNK):
        for name in ("occurred_at", "sealed_at"):
            if row[name] is not None:
                row[name] = timezone.localtime(row[name]).isoformat()
        yield row


def audit_export_rows(qs: QuerySet[AuditEntry]) -> Iterator[list[str]]:
    """The heading row, then one row of strings per entry, streamed in chunks.

    For csv.writer. Write a UTF-8 byte-order mark first (or open the file as "utf-8-sig") so that
    Excel reads the Chinese correctly. Cells that start with = + - @ are prefixed with a quote so
    a spreadsheet does not run them as formulas.
    """
    yield [heading for _, heading in EXPORT_COLUMNS]
    names = [name for name, _ in EXPORT_COLUMNS]
    for row in qs.values_list(*names).iterator(chunk_size=EXPORT_CHUNK):
        yield [_safe(_cell(name, value)) for name, value in zip(names, row, strict=True)]


def _safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
