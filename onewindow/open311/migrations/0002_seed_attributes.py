from django.db import migrations

from onewindow.open311.seed import load


def seed(apps, schema_editor):
    load(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("open311", "0001_initial"), ("appeals", "0002_seed_categories")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
