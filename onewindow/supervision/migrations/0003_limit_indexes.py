"""Partial indexes for the board's and the sweep's look-up of the distinct limits of running
cases and open steps (`selectors._running_limits`, `selectors.step_limits`): a loose index scan
probes one entry per distinct value instead of reading every running case. They index the case
engine's tables, so they are raw SQL here (the cases app's models do not declare them)."""

from django.db import migrations

CASES = (
    "CREATE INDEX IF NOT EXISTS supervision_running_limits ON cases_case "
    "(limit_unit, promised_limit, statutory_limit) WHERE status IN ('in_progress', 'paused')"
)
STEPS = (
    'CREATE INDEX IF NOT EXISTS supervision_open_step_limits ON cases_step ("limit") '
    "WHERE closed_at IS NULL"
)


class Migration(migrations.Migration):
    dependencies = [("supervision", "0002_default_ladder"), ("cases", "0002_statistics_indexes")]
    operations = [
        migrations.RunSQL(CASES, "DROP INDEX IF EXISTS supervision_running_limits"),
        migrations.RunSQL(STEPS, "DROP INDEX IF EXISTS supervision_open_step_limits"),
    ]
