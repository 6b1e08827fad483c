"""The escalation ladder as data (issue 5: "an escalation ladder that is data, not code"),
edited by the system administrator; every save is audited."""

from django.contrib import admin

from onewindow.core.admin_site import AuditedAdmin

from .models import EscalationRule


@admin.register(EscalationRule)
class EscalationRuleAdmin(AuditedAdmin):
    list_display = ["level", "state", "after_days", "role", "active"]
    list_filter = ["state", "role", "active"]
    ordering = ["level"]
