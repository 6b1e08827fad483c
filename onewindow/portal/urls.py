from django.urls import path

from . import guide_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("service-points/", views.service_points, name="service-points"),
    path("display/", views.display, name="display"),
    path("me/", views.me, name="me"),
    path("me/messages/", views.my_messages, name="my-messages"),
    path("me/messages/<int:pk>/read/", views.my_message_read, name="my-message-read"),
    path("guide/", guide_views.guide_index, name="guide-index"),
    path("guide/bundle/<str:code>/", guide_views.guide_bundle, name="guide-bundle"),
    path("guide/<str:code>/", guide_views.guide_detail, name="guide-detail"),
    path("guide/<str:code>/notice.pdf", guide_views.guide_notice, name="guide-notice"),
    path("guide/<str:code>/changes/", guide_views.guide_changes, name="guide-changes"),
]
