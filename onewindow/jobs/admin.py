"""The worker's bookkeeping in the system administrator's back office, read only: the slots
enqueued and django-tasks-db's task results (status, return value, traceback of each run)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from onewindow.core.admin_site import AuditedAdmin

from .models import JobSlot


class ReadOnlyAdmin(AuditedAdmin):
    """Seen by the system administrator; written by the worker only."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JobSlot)
class JobSlotAdmin(ReadOnlyAdmin):
    list_display = ("job", "slot", "enqueued_at", "task_id")
    list_filter = ("job",)
    date_hierarchy = "slot"


# django-tasks-db registers its own admin on Django's model permissions, which the back office
# does not use (its rights come from roles): the same pages, for the system administrator.
admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(ReadOnlyAdmin, DBTaskResultAdmin):
    pass
