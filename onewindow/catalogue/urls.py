from django.urls import path

from . import views

app_name = "catalogue"

urlpatterns = [
    path("", views.items, name="items"),
    path("new/", views.item_new, name="item-new"),
    path("export.xlsx", views.export, name="export"),
    path("import/", views.import_page, name="import"),
    path("bundles/", views.bundles, name="bundles"),
    path("bundles/new/", views.bundle_edit, name="bundle-new"),
    path("bundles/<str:code>/", views.bundle_edit, name="bundle"),
    path("bundles/<str:code>/active/", views.bundle_active, name="bundle-active"),
    path("devolutions/", views.devolutions, name="devolutions"),
    path("devolutions/<int:pk>/recall/", views.devolution_recall, name="devolution-recall"),
    path("windows/", views.window_authorisations, name="windows"),
    path("windows/<int:pk>/revoke/", views.window_revoke, name="window-revoke"),
    path("version/<int:pk>/edit/", views.version_edit, name="version-edit"),
    path("version/<int:pk>/review/", views.version_review, name="version-review"),
    path("version/<int:pk>/publish/", views.version_publish, name="version-publish"),
    path("version/<int:pk>/discard/", views.version_discard, name="version-discard"),
    path(
        "version/<int:pk>/materials/<int:material>/upload/",
        views.material_upload,
        name="material-upload",
    ),
    path("file/<int:material>/<str:which>/", views.material_file, name="material-file"),
    path("<str:code>/", views.item_detail, name="item"),
    path("<str:code>/draft/", views.draft_new, name="draft-new"),
]
