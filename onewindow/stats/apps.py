from typing import Any

from django.apps import AppConfig
from django.db import transaction


class StatsConfig(AppConfig):
    name = "onewindow.stats"
    label = "stats"
    verbose_name = "统计分析"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from onewindow.calendar.models import CalendarYear

        def calendar_changed(sender: Any, **kwargs: Any) -> None:
            from .services import day_index_refresh

            transaction.on_commit(day_index_refresh)

        post_save.connect(
            calendar_changed, sender=CalendarYear, weak=False, dispatch_uid="stats.day_index"
        )
        post_delete.connect(
            calendar_changed, sender=CalendarYear, weak=False, dispatch_uid="stats.day_index_del"
        )
