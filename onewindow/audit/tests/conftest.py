"""Helpers for the audit tests: writing entries, and tampering with them the way someone with
direct database access could (on PostgreSQL that first means switching the guard triggers off)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from onewindow.audit.chain import seal_pending
from onewindow.audit.models import AuditEntry
from onewindow.audit.services import audit_record

TABLE = AuditEntry._meta.db_table
HEAD_TABLE = "audit_auditchainhead"


def record(n: int, *, action: str = "test.chain", **kwargs: Any) -> list[AuditEntry]:
    entries = []
    for i in range(n):
        with transaction.atomic():
            entries.append(
                audit_record(
                    action=action,
                    object_type="test.thing",
                    object_id=str(i),
                    summary=f"测试记录 {i}",
                    before={"状态": "旧"},
                    after={"状态": "新", "n": i},
                    **kwargs,
                )
            )
    return entries


def sealed(action: str = "test.chain") -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def sql(statement: str, params: list[Any] | tuple[Any, ...] = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


@contextlib.contextmanager
def guard_off() -> Iterator[None]:
    """Tampering needs the triggers off on PostgreSQL: DDL the application never runs. Inside the
    test's transaction, so it is rolled back with everything else."""
    if connection.vendor != "postgresql":
        yield
        return
    for table in (TABLE, HEAD_TABLE):
        sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        for table in (TABLE, HEAD_TABLE):
            sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")


@pytest.fixture
def chain(db: None) -> list[AuditEntry]:
    """Five fresh entries, sealed (with anything else pending), oldest first."""
    record(5)
    seal_pending()
    entries = sealed()
    assert len(entries) == 5
    return entries
