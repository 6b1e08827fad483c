from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.staff_login, name="staff-login"),
    path("otp/", views.otp, name="otp"),
    path("logout/", views.logout_view, name="logout"),
    path("applicant/login/", views.applicant_login, name="applicant-login"),
    path("applicant/register/", views.applicant_register, name="applicant-register"),
]
