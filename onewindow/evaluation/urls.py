from django.urls import path

from . import views

app_name = "rate"
urlpatterns = [
    path("mine/<str:number>/", views.rate_mine, name="mine"),
    path("<str:token>/", views.rate_qr, name="qr"),
]
