from django.urls import path

from . import public_views

app_name = "verify"
urlpatterns = [
    path("<str:token>/", public_views.verify, name="licence"),
]
