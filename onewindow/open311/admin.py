from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onewindow.core.admin_site import AuditedAdmin

from .models import Client, ServiceAttribute, ServiceRequest


@admin.register(Client)
class ClientAdmin(AuditedAdmin):
    """Keys are made on the console (`onewindow open311 newkey NAME`), shown once; here a client
    can be switched off."""

    list_display = ["name", "key_prefix", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name"]
    readonly_fields = ["name", "key_prefix", "created_at", "updated_at"]
    fields = ["name", "key_prefix", "active", "created_at", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(AuditedAdmin):
    list_display = ["code", "category", "datatype", "required", "order", "active"]
    list_filter = ["datatype", "required", "active"]
    search_fields = ["code", "description", "category__name"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(AuditedAdmin):
    """The record of what a client sent (read only)."""

    list_display = ["appeal", "client", "created_at"]
    list_filter = ["client"]
    search_fields = ["appeal__number"]
    exclude = ["email", "device_id", "account_id"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in ServiceRequest._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
