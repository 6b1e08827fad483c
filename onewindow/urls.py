from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from onewindow.api.router import api
from onewindow.core.views import healthz

urlpatterns = [
    path("", include("onewindow.portal.urls")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", RedirectView.as_view(url="/static/onewindow/emblem.svg", permanent=True)),
    path("accounts/", include("onewindow.accounts.urls")),
    path("cases/", include("onewindow.cases.urls")),
    path("verify/", include("onewindow.cases.public_urls")),
    path("workbench/messages/", include("onewindow.notifications.urls")),
    path("workbench/catalogue/", include("onewindow.catalogue.urls")),
    path("workbench/cases/", include("onewindow.cases.staff_urls")),
    path("workbench/supervision/", include("onewindow.supervision.urls")),
    path("workbench/appeals/", include("onewindow.appeals.staff_urls")),
    path("appeals/", include("onewindow.appeals.urls")),
    path("open311/v2/", include("onewindow.open311.urls")),
    path("workbench/stats/", include("onewindow.stats.urls")),
    path("workbench/evaluation/", include("onewindow.evaluation.staff_urls")),
    path("rate/", include("onewindow.evaluation.urls")),
    path("workbench/", include("onewindow.workbench.urls")),
    path("api/v1/", api.urls),
    path("sysadmin/", admin.site.urls),
]
