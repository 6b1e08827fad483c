from django.urls import path

from . import views

app_name = "appeals_public"
urlpatterns = [
    path("new/", views.new, name="new"),
    path("track/", views.track, name="track"),
]
