from django.contrib import admin

from onewindow.core.admin_site import AuditedAdmin

from .models import Department, Region, ServicePoint, Window


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # the code and parent fix the materialised path of the whole subtree
        return ["code", "parent", "level"] if obj else []

    def save_model(self, request, obj, form, change):
        if not change:
            obj.path = (obj.parent.path if obj.parent else "") + obj.code + "/"
        super().save_model(request, obj, form, change)


@admin.register(ServicePoint)
class ServicePointAdmin(AuditedAdmin):
    list_display = ["name", "kind", "region", "phone", "hours"]
    list_filter = ["kind"]
    search_fields = ["name", "address"]


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["code", "name", "short_name", "is_stationed", "phone"]
    search_fields = ["code", "name"]


@admin.register(Window)
class WindowAdmin(AuditedAdmin):
    list_display = ["service_point", "number", "name", "kind", "department", "active"]
    list_filter = ["kind", "active", "service_point__kind"]
    search_fields = ["name", "number"]
