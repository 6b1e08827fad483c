"""PostgreSQL only: triggers that make the audit log append-only below the ORM.

audit_auditentry
  * DELETE and TRUNCATE are refused;
  * INSERT must arrive unsealed (no seq, hashes or sealed_at);
  * UPDATE may never change a content column (every column but the four sealing ones, so a column
    added later is covered too), may fill the sealing columns once, and never change them after.
audit_auditchainhead
  * DELETE and TRUNCATE are refused; last_seq never goes back, and last_hash changes only with it.

The application's role can still drop these if it owns the tables (ALTER TABLE ... DISABLE
TRIGGER); see docs/adr/0002-audit-chain.md for running the application as a non-owner role.
On SQLite (development, tests) this migration does nothing: the model guards still apply.
"""

from django.db import migrations

GUARD_SQL = r"""
CREATE OR REPLACE FUNCTION onewindow_audit_entry_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION '审计日志只能追加，不能删除（%）', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.seq IS NOT NULL OR NEW.prev_hash <> '' OR NEW.entry_hash <> ''
                OR NEW.sealed_at IS NOT NULL THEN
            RAISE EXCEPTION '新写入的审计记录不能自带链序号或哈希'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    -- UPDATE
    IF (to_jsonb(NEW) - ARRAY['seq', 'prev_hash', 'entry_hash', 'sealed_at'])
            IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['seq', 'prev_hash', 'entry_hash', 'sealed_at']) THEN
        RAISE EXCEPTION '审计日志只能追加，不能修改（id=%）', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.seq IS NOT NULL OR OLD.prev_hash <> '' OR OLD.entry_hash <> ''
            OR OLD.sealed_at IS NOT NULL THEN
        IF (NEW.seq, NEW.prev_hash, NEW.entry_hash, NEW.sealed_at)
                IS DISTINCT FROM (OLD.seq, OLD.prev_hash, OLD.entry_hash, OLD.sealed_at) THEN
            RAISE EXCEPTION '已封存的审计记录不能改动（id=%）', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF NEW.seq IS NULL OR length(NEW.entry_hash) <> 64 OR length(NEW.prev_hash) <> 64
            OR NEW.sealed_at IS NULL THEN
        RAISE EXCEPTION '封存必须一次写全链序号、前一条哈希、本条哈希和封存时间（id=%）', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION onewindow_audit_head_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION '审计链头不能删除（%）', TG_OP USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id <> OLD.id OR NEW.last_seq < OLD.last_seq
            OR (NEW.last_seq = OLD.last_seq AND NEW.last_hash <> OLD.last_hash) THEN
        RAISE EXCEPTION '审计链头只能向前推进' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$fn$;

DROP TRIGGER IF EXISTS onewindow_audit_entry_guard ON audit_auditentry;
CREATE TRIGGER onewindow_audit_entry_guard
    BEFORE INSERT OR UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION onewindow_audit_entry_guard();
DROP TRIGGER IF EXISTS onewindow_audit_entry_no_truncate ON audit_auditentry;
CREATE TRIGGER onewindow_audit_entry_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION onewindow_audit_entry_guard();
DROP TRIGGER IF EXISTS onewindow_audit_head_guard ON audit_auditchainhead;
CREATE TRIGGER onewindow_audit_head_guard
    BEFORE UPDATE OR DELETE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION onewindow_audit_head_guard();
DROP TRIGGER IF EXISTS onewindow_audit_head_no_truncate ON audit_auditchainhead;
CREATE TRIGGER onewindow_audit_head_no_truncate
    BEFORE TRUNCATE ON audit_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION onewindow_audit_head_guard();
"""

UNGUARD_SQL = r"""
DROP TRIGGER IF EXISTS onewindow_audit_entry_guard ON audit_auditentry;
DROP TRIGGER IF EXISTS onewindow_audit_entry_no_truncate ON audit_auditentry;
DROP TRIGGER IF EXISTS onewindow_audit_head_guard ON audit_auditchainhead;
DROP TRIGGER IF EXISTS onewindow_audit_head_no_truncate ON audit_auditchainhead;
DROP FUNCTION IF EXISTS onewindow_audit_entry_guard();
DROP FUNCTION IF EXISTS onewindow_audit_head_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_SQL, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD_SQL, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_auditchainhead"),
    ]

    operations = [
        migrations.RunPython(guard, unguard, elidable=False),
    ]
