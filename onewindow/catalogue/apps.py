from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "onewindow.catalogue"
    label = "catalogue"
    verbose_name = "事项清单"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import ItemVersion
        from .selectors import forget_frozen_versions

        def forget(sender: type, instance: ItemVersion, **kwargs: object) -> None:
            forget_frozen_versions(instance.pk)

        post_save.connect(forget, sender=ItemVersion, weak=False, dispatch_uid="frozen-version")
        post_delete.connect(forget, sender=ItemVersion, weak=False, dispatch_uid="frozen-version-d")
