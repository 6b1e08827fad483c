import pytest


@pytest.fixture
def empty_catalogue(db):  # type: ignore[no-untyped-def]
    """These tests build their own small catalogue: set the demo one aside (rolled back after)."""
    from onewindow.catalogue import search
    from onewindow.catalogue.models import (
        Bundle,
        Devolution,
        Item,
        ItemVersion,
        WindowAuthorisation,
        frozen_guard_off,
    )

    Bundle.objects.all().delete()
    Devolution.objects.all().delete()
    WindowAuthorisation.objects.all().delete()
    Item.objects.update(published=None)
    with frozen_guard_off():  # published versions are otherwise never deleted
        ItemVersion.objects.all().delete()
    Item.objects.all().delete()
    search.clear_index()
    yield
    search.clear_index()
