"""Django's `flush`, aware of the audit log's PostgreSQL guard.

`flush` empties every table with one TRUNCATE, which the audit triggers (migration 0003) refuse:
in a running system `onewindow flush` therefore fails and the audit log survives, as it must.

Django's test framework flushes the test database after every transactional test (live server,
concurrency tests). Only in a test process, recognised by the outbox Django's test environment
installs on django.core.mail, this command switches the audit triggers off for the duration of
its own transaction, so the flush and the re-enabling commit or roll back together.
"""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

GUARDED_TABLES = ("audit_auditentry", "audit_auditchainhead")


def _in_test_process() -> bool:
    return hasattr(mail, "outbox")


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        alias = options.get("database") or DEFAULT_DB_ALIAS
        connection = connections[alias]
        if connection.vendor != "postgresql" or not _in_test_process():
            super().handle(**options)
            return
        existing = set(connection.introspection.table_names())
        tables = [t for t in GUARDED_TABLES if t in existing]
        qn = connection.ops.quote_name
        with transaction.atomic(using=alias):
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ALTER TABLE {qn(table)} DISABLE TRIGGER USER")
            super().handle(**options)
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ALTER TABLE {qn(table)} ENABLE TRIGGER USER")
