"""The system administrator's back office (Django admin), guarded by role and second factor.

Django's admin is only for the system administrator (org.manage): the other two
administrators and business staff have their own pages. Its login goes through our sign-in, so
that the lockout and TOTP rules apply; every save and delete is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import models, transaction
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def _is_sysadmin(request: HttpRequest) -> bool:
    from onewindow.accounts.selectors import (
        has_permission,
        is_verified,
        needs_second_factor,
        request_actor,
    )

    if not request.user.is_active or not request.user.is_authenticated:
        return False
    user = request_actor(request)
    if needs_second_factor(user) and not is_verified(user):
        return False
    return has_permission(user, "org.manage")


class OneWindowAdminSite(admin.AdminSite):
    site_header = "一窗通办 · 系统管理"
    site_title = "一窗通办"
    index_title = "组织、人员与系统设置"
    site_url = "/workbench/"

    def has_permission(self, request: HttpRequest) -> bool:
        return _is_sysadmin(request)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return redirect(f"/accounts/login/?next={request.get_full_path()}")


class OneWindowAdminConfig(AdminConfig):
    default_site = "onewindow.core.admin_site.OneWindowAdminSite"


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin for the system administrator whose writes are audited."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_sysadmin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_sysadmin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _is_sysadmin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_sysadmin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_sysadmin(request)

    def save_model(
        self, request: HttpRequest, obj: models.Model, form: ModelForm, change: bool
    ) -> None:
        from onewindow.audit.services import audit_record

        changed = list(form.changed_data)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                action=f"{obj._meta.label_lower}.{'change' if change else 'create'}",
                actor=request.user,
                role="sysadmin",
                obj=obj,
                summary=f"{'修改' if change else '新增'}{obj._meta.verbose_name}：{obj}"[:255],
                after={
                    f: str(form.cleaned_data.get(f))
                    for f in changed
                    if f not in ("password", "phone", "id_number")
                },
            )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        from onewindow.audit.services import audit_record

        with transaction.atomic():
            audit_record(
                action=f"{obj._meta.label_lower}.delete",
                actor=request.user,
                role="sysadmin",
                obj=obj,
                summary=f"删除{obj._meta.verbose_name}：{obj}"[:255],
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
