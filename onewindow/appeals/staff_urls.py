from django.urls import path

from . import dashboard, views

app_name = "appeals"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("hotline/", views.hotline, name="hotline"),
    path("dashboard/", dashboard.dashboard_view, name="dashboard"),
    path("dashboard/export.xlsx", dashboard.export, name="dashboard-export"),
    path("window/", views.window, name="window"),
    path("merge/", views.merge, name="merge"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
