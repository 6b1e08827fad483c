from django.contrib import admin

from onewindow.core.admin_site import AuditedAdmin

from .models import Absence, Post, User


@admin.register(User)
class UserAdmin(AuditedAdmin):
    list_display = ["username", "name", "kind", "is_active", "last_login"]
    list_filter = ["kind", "is_active"]
    search_fields = ["username", "name"]
    fields = ["username", "name", "kind", "is_active"]

    def get_readonly_fields(self, request, obj=None):
        return ["username", "kind"] if obj else []

    def has_add_permission(self, request, *args):
        return False  # new staff through `onewindow` services: passwords must pass the policy


@admin.register(Post)
class PostAdmin(AuditedAdmin):
    list_display = [
        "name",
        "role",
        "region",
        "department",
        "window",
        "holder_a",
        "holder_b",
        "active",
    ]
    list_filter = ["role", "active"]
    search_fields = ["name", "holder_a__name", "holder_b__name"]
    autocomplete_fields = ["holder_a", "holder_b"]
    raw_id_fields = ["region", "department", "window"]

    def save_model(self, request, obj, form, change):
        from .services import check_separation

        for holder in (obj.holder_a, obj.holder_b):
            if holder is not None:
                check_separation(holder, obj.role, exclude_post=obj.pk)
        super().save_model(request, obj, form, change)


@admin.register(Absence)
class AbsenceAdmin(AuditedAdmin):
    list_display = ["user", "started_at", "ended_at", "reason", "recorded_by"]

    def has_add_permission(self, request, *args):
        return False  # absences are recorded by department heads on the workbench

    def has_change_permission(self, request, obj=None):
        return False
