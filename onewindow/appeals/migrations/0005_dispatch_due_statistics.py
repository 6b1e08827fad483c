"""Extended statistics on a dispatch's state with each due date (PostgreSQL only).

The sweep and the dashboard ask for the open dispatches past a due date: `state = 'waiting'
AND sign_due < day` (or 'signed' and handle_due). A signed dispatch's sign-for date is in the
past too, so the planner, multiplying the two columns' selectivities as if independent,
estimated ~95,000 rows where there were 1,000 at a million dispatches, and planned the sweep's
selection as a parallel sort of them (13 ms became 30–90 ms on a busy machine). With the pairs'
most-common-value lists it estimates ~4,000 and plans a plain hash anti-join
(bench/appeals.py, docs/performance.md). SQLite has no such statistics: nothing to do there."""

from typing import Any

from django.db import migrations

PAIRS = (
    ("appeals_dispatch_state_sign_due", "sign_due"),
    ("appeals_dispatch_state_handle_due", "handle_due"),
)


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in PAIRS:
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {name} (mcv) ON state, {column} FROM appeals_dispatch"
        )
    schema_editor.execute("ANALYZE appeals_dispatch")


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in PAIRS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("appeals", "0004_merge_cohandling_window_case")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
