from django.db import migrations

from onewindow.appeals.seed import load


class Migration(migrations.Migration):
    dependencies = [("appeals", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
