from django.contrib import admin
from django.urls import include, path

from onewindow.api.router import api

admin.site.site_header = "一窗通办 · 系统管理"
admin.site.site_title = "一窗通办"
admin.site.index_title = "组织、人员与系统设置"

urlpatterns = [
    path("", include("onewindow.portal.urls")),
    path("accounts/", include("onewindow.accounts.urls")),
    path("workbench/", include("onewindow.workbench.urls")),
    path("api/v1/", api.urls),
    path("sysadmin/", admin.site.urls),
]
