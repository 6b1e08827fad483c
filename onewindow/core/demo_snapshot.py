"""A copy of the demo county inside the test database, to put back after a flush.

Django empties the test database after every transactional test (live server, concurrency). The
suite then needs the demo county again; building it with `DemoBuilder` takes 10–25 seconds, and
the suite has some thirty such tests on each of its two databases. Copying the rows back from
tables beside them takes well under a second.

`take()` copies every Django table into `zz_demo_snapshot_<n>` in the same database, once per
test database, after the demo is built. `restore()` empties the Django tables and copies the rows
back in one transaction; foreign keys are deferred to the commit (Django creates them
DEFERRABLE INITIALLY DEFERRED), sequences are moved past the restored keys, and on PostgreSQL the
audit log's guard is switched off for that transaction only, as the test `flush` does.

For tests only: nothing in the application imports it.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction

from onewindow.audit.management.commands.flush import GUARDED_TABLES

PREFIX = "zz_demo_snapshot_"
_tables: list[str] = []


def _django_tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True))


def taken() -> bool:
    return bool(_tables)


def take() -> None:
    """Copy every Django table's rows into a snapshot table beside it."""
    tables = _django_tables()
    qn = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for i, table in enumerate(tables):
            snap = qn(f"{PREFIX}{i}")
            cursor.execute(f"DROP TABLE IF EXISTS {snap}")
            cursor.execute(f"CREATE TABLE {snap} AS SELECT * FROM {qn(table)}")  # noqa: S608 - table names
    _tables[:] = tables


def restore() -> None:
    """Empty the Django tables and put the snapshot's rows back."""
    if not _tables:
        raise RuntimeError("no snapshot of the demo county has been taken in this process")
    qn = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"
    guarded = [t for t in GUARDED_TABLES if t in _tables] if postgres else []
    with transaction.atomic(), connection.cursor() as cursor:
        for table in guarded:
            cursor.execute(f"ALTER TABLE {qn(table)} DISABLE TRIGGER USER")
        if postgres:
            cursor.execute("TRUNCATE " + ", ".join(qn(t) for t in _tables))
        else:
            for table in _tables:
                cursor.execute(f"DELETE FROM {qn(table)}")  # noqa: S608 - table names
        for i, table in enumerate(_tables):
            snap = qn(f"{PREFIX}{i}")
            cursor.execute(f"INSERT INTO {qn(table)} SELECT * FROM {snap}")  # noqa: S608 - table names
        models = apps.get_models(include_auto_created=True)
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        for table in guarded:
            cursor.execute(f"ALTER TABLE {qn(table)} ENABLE TRIGGER USER")
    from django.contrib.contenttypes.models import ContentType

    # the flush's post_migrate made content types under new keys; the restored ones are the old
    ContentType.objects.clear_cache()
