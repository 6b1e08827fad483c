from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("service-points/", views.service_points, name="service-points"),
    path("display/", views.display, name="display"),
    path("me/", views.me, name="me"),
]
