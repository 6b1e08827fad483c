"""PostgreSQL only: a trigger that refuses any UPDATE of a rating below the ORM (a rating is
written once and never changed; the model and its queryset refuse it above). On SQLite this
migration does nothing."""

from django.db import migrations

GUARD_SQL = r"""
CREATE OR REPLACE FUNCTION onewindow_rating_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION '评价一经提交不能修改（id=%）', OLD.id USING ERRCODE = 'insufficient_privilege';
END
$fn$;
DROP TRIGGER IF EXISTS onewindow_rating_guard ON evaluation_rating;
CREATE TRIGGER onewindow_rating_guard
    BEFORE UPDATE ON evaluation_rating
    FOR EACH ROW EXECUTE FUNCTION onewindow_rating_guard();
"""

UNGUARD_SQL = r"""
DROP TRIGGER IF EXISTS onewindow_rating_guard ON evaluation_rating;
DROP FUNCTION IF EXISTS onewindow_rating_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_SQL, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(guard, unguard)]
