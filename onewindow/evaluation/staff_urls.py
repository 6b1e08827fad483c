from django.urls import path

from . import staff_views

app_name = "evaluation"
urlpatterns = [
    path("", staff_views.home, name="home"),
    path("export.xlsx", staff_views.ratings_export, name="ratings-export"),
    path("mine/", staff_views.mine, name="mine"),
    path("mine/export.xlsx", staff_views.mine_export, name="mine-export"),
    path("rectifications/", staff_views.rectifications, name="rectifications"),
    path(
        "rectifications/export.xlsx",
        staff_views.rectifications_export,
        name="rectifications-export",
    ),
    path("rectifications/<int:pk>/", staff_views.rectification, name="rectification"),
    path(
        "rectifications/<int:pk>/do/<str:operation>/",
        staff_views.rectification_do,
        name="rectification-do",
    ),
    path("cards/new/", staff_views.card_new, name="card-new"),
    path("counter/", staff_views.counter, name="counter"),
    path("counter/start/", staff_views.counter_start, name="counter-start"),
    path("counter/end/", staff_views.counter_end, name="counter-end"),
    path("counter/rate/<str:number>/", staff_views.counter_rate, name="counter-rate"),
    path("qr/<str:number>/", staff_views.qr, name="qr"),
]
