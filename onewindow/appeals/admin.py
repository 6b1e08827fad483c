"""The command centre's rules as data the system administrator edits (issue 6: "Rules are data
an administrator edits"): the category tree and the routing rules. Every save is audited."""

from django.contrib import admin

from onewindow.core.admin_site import AuditedAdmin

from .models import Category, RoutingRule


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["code", "name", "parent"]
    list_filter = ["parent"]
    search_fields = ["code", "name"]
    ordering = ["code"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
    """The most specific matching rule (highest priority) picks the first handling unit."""

    list_display = ["priority", "category", "region_level", "target", "department"]
    list_filter = ["target", "region_level"]
    search_fields = ["category__name", "department__name"]
    ordering = ["-priority", "pk"]
