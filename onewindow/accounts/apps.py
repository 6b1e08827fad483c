from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "onewindow.accounts"
    label = "accounts"
    verbose_name = "账户"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the sign-in audit receivers)
