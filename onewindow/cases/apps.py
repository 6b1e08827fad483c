from typing import Any

from django.apps import AppConfig
from django.db import transaction


class CasesConfig(AppConfig):
    name = "onewindow.cases"
    label = "cases"
    verbose_name = "办件"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from onewindow.calendar.models import CalendarYear

        def year_published(sender: Any, **kwargs: Any) -> None:
            from .services import due_dates_refresh

            transaction.on_commit(due_dates_refresh)

        post_save.connect(
            year_published, sender=CalendarYear, weak=False, dispatch_uid="cases.due_dates"
        )
