from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.board, name="board"),
    path("export.xlsx", views.board_export, name="board-export"),
    path("anomalies/", views.anomalies, name="anomalies"),
    path("anomalies/export.xlsx", views.anomalies_export, name="anomalies-export"),
    path("ladder/", views.ladder, name="ladder"),
    path("cases/<str:number>/", views.case, name="case"),
]
