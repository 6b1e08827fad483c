from django.urls import path

from . import views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("windows/", views.windows, name="windows"),
    path("windows/<int:pk>/", views.window_detail, name="window-detail"),
    path("staff/", views.staff, name="staff"),
    path("staff/new/", views.staff_new, name="staff-new"),
    path("staff/<int:pk>/", views.staff_detail, name="staff-detail"),
    path("staff/<int:pk>/absence/", views.staff_absence, name="staff-absence"),
    path("applicants/", views.applicants, name="applicants"),
    path("applicants/<int:pk>/reveal/", views.applicant_reveal, name="applicant-reveal"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
    path("security/", views.security, name="security"),
    path("security/unlock/", views.security_unlock, name="security-unlock"),
    path("calendar/", views.calendar_year, name="calendar"),
    path(
        "calendar/<int:year>/",
        views.calendar_year,
        name="calendar-year",
    ),
    path(
        "calendar/publish/",
        views.calendar_publish,
        name="calendar-publish",
    ),
]
