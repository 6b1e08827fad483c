from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "onewindow.appeals"
    label = "appeals"
    verbose_name = "民情直通车"
    default_auto_field = "django.db.models.BigAutoField"
