from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("track/", views.track, name="track"),
    path("apply/<str:code>/", views.apply, name="apply"),
    path("apply-bundle/<str:code>/", views.apply_bundle, name="apply-bundle"),
    path("mine/", views.mine, name="mine"),
    path("mine/bundles/<str:number>/", views.mine_bundle, name="mine-bundle"),
    path("mine/<str:number>/", views.mine_detail, name="mine-detail"),
    path("mine/<str:number>/supply/", views.mine_supply, name="mine-supply"),
    path("mine/<str:number>/withdraw/", views.mine_withdraw, name="mine-withdraw"),
    path("mine/<str:number>/documents/<str:kind>/", views.mine_document, name="mine-document"),
]
