from django.urls import path

from . import publication, views

app_name = "appeals_public"
urlpatterns = [
    path("new/", views.new, name="new"),
    path("track/", views.track, name="track"),
    path("public/", publication.public_list, name="public-list"),
    path("public/<str:number>/", publication.public_detail, name="public-detail"),
]
