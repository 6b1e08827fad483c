from django.urls import path

from . import views

app_name = "appeals"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("hotline/", views.hotline, name="hotline"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
