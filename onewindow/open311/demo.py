"""The demo county's Open311 client (api_key `demo-open311-key`, demo data only) and the default
service attributes again after a test flush emptied what the migration had loaded."""

from __future__ import annotations

from django.apps import apps

from . import seed, selectors, services
from .models import Client

DEMO_CLIENT = "青溪县演示客户端"
DEMO_KEY = "demo-open311-key"  # published with the demo county; real keys come from `newkey`


def build_open311() -> int:
    made = seed.load(apps)
    if (
        selectors.client_for_key(DEMO_KEY) is None
        and not Client.objects.filter(name=DEMO_CLIENT).exists()
    ):
        services.client_create(name=DEMO_CLIENT, key=DEMO_KEY)
        made += 1
    return made
