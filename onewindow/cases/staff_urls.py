from django.urls import path

from . import staff_views

app_name = "casework"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("counter/", staff_views.counter, name="counter"),
    path("<str:number>/", staff_views.detail, name="detail"),
    path("<str:number>/do/<str:operation>/", staff_views.operate, name="operate"),
    path("<str:number>/documents/<str:kind>/", staff_views.document, name="document"),
    path("<str:number>/materials/<str:key>/", staff_views.material, name="material"),
]
