from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("export.xlsx", views.export, name="export"),
    path("reports/", views.reports, name="reports"),
    path("reports/weights/", views.weights_save, name="weights"),
    path("reports/generate/", views.report_generate, name="report-generate"),
    path("reports/<int:pk>/<str:kind>/", views.report_file, name="report-file"),
]
