"""The audit log in Django's back office: read-only for everyone.

Nobody may add, change or delete an entry here (the model and, on PostgreSQL, the database refuse
it anyway). Viewing needs the audit administrator's `audit.view`; since the back office itself is
the system administrator's, and the three administrator roles are held by different people, the
audit administrator's real tool is the workbench audit page built on `onewindow.audit.selectors`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEntry


def _may_view(request: HttpRequest) -> bool:
    from onewindow.accounts.selectors import has_permission, needs_second_factor

    user = request.user
    if not user.is_active or not user.is_authenticated:
        return False
    if needs_second_factor(user) and not user.is_verified():  # type: ignore[attr-defined]
        return False
    return has_permission(user, "audit.view")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = (
        "seq",
        "occurred_at",
        "actor_name",
        "role",
        "ip",
        "action",
        "object_type",
        "object_id",
        "summary",
    )
    list_filter = ("action", "role")
    search_fields = ("actor_name", "object_id", "summary")
    date_hierarchy = "occurred_at"
    ordering = ("-id",)
    list_per_page = 50
    show_full_result_count = False  # counting millions of rows on every page is slow
    actions = None

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_view(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_view(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
