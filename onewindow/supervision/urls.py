from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.board, name="board"),
    path("anomalies/", views.anomalies, name="anomalies"),
    path("ladder/", views.ladder, name="ladder"),
    path("cases/<str:number>/", views.case, name="case"),
]
