"""Nobody can change the log through the application: the model refuses, and on PostgreSQL the
database refuses too, even SQL sent on the application's own connection."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.utils import timezone

from onewindow.audit.chain import _write_seals, seal_pending
from onewindow.audit.models import AuditChainHead, AuditEntry, AuditLogImmutable

from .conftest import record, sql

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(db: None) -> AuditEntry:
    return record(1, action="test.immutable")[0]


def test_save_on_an_existing_row_is_refused(entry: AuditEntry) -> None:
    entry.summary = "改"
    with pytest.raises(AuditLogImmutable):
        entry.save()
    fetched = AuditEntry.objects.get(pk=entry.pk)
    fetched.summary = "改"
    with pytest.raises(AuditLogImmutable):
        fetched.save(update_fields=["summary"])
    assert AuditEntry.objects.get(pk=entry.pk).summary == "测试记录 0"


def test_a_new_object_with_an_existing_pk_cannot_overwrite(entry: AuditEntry) -> None:
    twin = AuditEntry(pk=entry.pk, occurred_at=timezone.now(), action="test.overwrite")
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.immutable"


def test_delete_is_refused_on_instances_querysets_and_the_manager(entry: AuditEntry) -> None:
    with pytest.raises(AuditLogImmutable):
        entry.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="改")
    with pytest.raises(AuditLogImmutable), transaction.atomic():
        AuditEntry.objects.bulk_update([entry], ["summary"])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_writers_cannot_pre_seal(db: None) -> None:
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.create(occurred_at=timezone.now(), action="test.x", seq=10**9)
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.bulk_create(
            [AuditEntry(occurred_at=timezone.now(), action="test.x", entry_hash="a" * 64)]
        )


def test_the_sealer_writes_only_rows_still_unsealed(entry: AuditEntry) -> None:
    seal_pending()
    entry.refresh_from_db()
    assert entry.seq is not None
    forged = (entry.pk, entry.seq, "0" * 64, "1" * 64)
    assert _write_seals([forged], timezone.now()) == 0
    entry.refresh_from_db()
    assert entry.entry_hash != "1" * 64


def test_the_head_cannot_be_deleted_through_the_model(db: None) -> None:
    seal_pending()
    with pytest.raises(AuditLogImmutable):
        AuditChainHead.objects.get().delete()


# -- PostgreSQL: the trigger -------------------------------------------------------------------


def refused(statement: str, params: list[object] | None = None) -> None:
    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        sql(statement, params or [])
    assert "审计" in str(exc.value) or "封存" in str(exc.value)


@pytest.mark.postgres
def test_trigger_refuses_changes_from_the_application_connection(
    entry: AuditEntry, require_postgres: None
) -> None:
    # unsealed content
    refused("UPDATE audit_auditentry SET summary = 'x' WHERE id = %s", [entry.pk])
    refused("UPDATE audit_auditentry SET ip = '10.0.0.1' WHERE id = %s", [entry.pk])
    refused("UPDATE audit_auditentry SET changes = '{}'::jsonb WHERE id = %s", [entry.pk])
    refused("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    refused("TRUNCATE audit_auditentry")
    # half a seal, or a pre-sealed insert
    refused("UPDATE audit_auditentry SET seq = 999999999 WHERE id = %s", [entry.pk])
    refused(
        "INSERT INTO audit_auditentry (occurred_at, actor_name, role, action, object_type, object_id,"
        " summary, changes, seq, prev_hash, entry_hash) VALUES"
        " (now(), '', '', 'x', '', '', '', '{}'::jsonb, 999999999, '', '')"
    )
    # an ORM path that skips the model's guard
    with pytest.raises(DatabaseError), transaction.atomic():
        models.QuerySet(model=AuditEntry).filter(pk=entry.pk).update(summary="x")

    seal_pending()
    entry.refresh_from_db()
    assert entry.seq is not None
    # sealed: neither content nor the sealing columns may change
    refused("UPDATE audit_auditentry SET summary = 'x' WHERE id = %s", [entry.pk])
    refused("UPDATE audit_auditentry SET entry_hash = %s WHERE id = %s", ["0" * 64, entry.pk])
    refused(
        "UPDATE audit_auditentry SET seq = NULL, prev_hash = '', entry_hash = '' WHERE id = %s",
        [entry.pk],
    )
    refused("UPDATE audit_auditentry SET sealed_at = now() WHERE id = %s", [entry.pk])
    # the head only moves forward
    refused("UPDATE audit_auditchainhead SET last_seq = last_seq - 1")
    refused("UPDATE audit_auditchainhead SET last_hash = %s", ["1" * 64])
    refused("DELETE FROM audit_auditchainhead")
    refused("TRUNCATE audit_auditchainhead")
    # a fresh insert the way the application writes is still fine
    record(1, action="test.after")
    assert seal_pending() == 1


@pytest.mark.postgres
def test_triggers_are_installed(require_postgres: None, db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'O'"
            " AND tgrelid IN (%s::regclass, %s::regclass) ORDER BY tgname",
            ["audit_auditentry", "audit_auditchainhead"],
        )
        names = [r[0] for r in cursor.fetchall()]
    assert names == [
        "onewindow_audit_entry_guard",
        "onewindow_audit_entry_no_truncate",
        "onewindow_audit_head_guard",
        "onewindow_audit_head_no_truncate",
    ]
