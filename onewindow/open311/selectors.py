"""Reads for the Open311 endpoint: clients by key, jurisdictions, services with their attributes,
and the appeals a caller may see (published ones, and those the calling client filed)."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db.models import Prefetch, Q, QuerySet

from onewindow.appeals.choices import Status
from onewindow.appeals.models import Appeal, Category, Dispatch
from onewindow.appeals.selectors import publishable
from onewindow.org.choices import RegionLevel, ServicePointKind
from onewindow.org.models import Region, ServicePoint

from .models import Client, ServiceAttribute, ServiceRequest

MAX_RESULTS = 1000
DEFAULT_SPAN = dt.timedelta(days=90)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def client_for_key(key: str) -> Client | None:
    """The active client this api_key belongs to, or None."""
    if not key or len(key) > 200:
        return None
    return Client.objects.filter(key_hash=key_hash(key), active=True).first()


def county() -> Region | None:
    return Region.objects.filter(level=RegionLevel.COUNTY, parent__isnull=True).first()


def centre_phone(county: Region | None) -> str:
    """The county service centre's public phone, for the discovery document's contact."""
    if county is None:
        return ""
    phone = (
        ServicePoint.objects.filter(region=county, kind=ServicePointKind.CENTRE)
        .values_list("phone", flat=True)
        .first()
    )
    return phone or ""


def jurisdiction(code: str) -> Region | None:
    """The region of the county with this 12-digit code (the county itself, a town or a village);
    None for anything else."""
    root = county()
    if root is None or not code or len(code) > 12:
        return None
    region = Region.objects.filter(code=code).select_related("parent").first()
    if region is None or not region.path.startswith(root.path):
        return None
    return region


def services() -> list[Category]:
    """Every leaf category is one service, with its group (the parent) loaded."""
    return list(
        Category.objects.filter(parent__isnull=False, children__isnull=True)
        .select_related("parent")
        .order_by("code")
    )


def service(code: str) -> Category | None:
    if not code or len(code) > 16:
        return None
    return (
        Category.objects.filter(code=code, parent__isnull=False, children__isnull=True)
        .select_related("parent")
        .first()
    )


def attributes_for(category: Category) -> list[ServiceAttribute]:
    """The active attributes of one service: the common ones, replaced by the category's own
    where the codes are equal; in their order."""
    rows = ServiceAttribute.objects.filter(
        Q(category__isnull=True) | Q(category=category), active=True
    )
    chosen: dict[str, ServiceAttribute] = {}
    for row in rows:
        if row.code not in chosen or row.category_id is not None:
            chosen[row.code] = row
    return sorted(chosen.values(), key=lambda a: (a.order, a.code))


def services_with_metadata() -> set[int]:
    """Categories that have attributes: every one when a common attribute is active."""
    active = ServiceAttribute.objects.filter(active=True)
    if active.filter(category__isnull=True).exists():
        return {c.pk for c in services()}
    return set(active.values_list("category_id", flat=True))


def changeset() -> dt.datetime | None:
    latest = ServiceAttribute.objects.order_by("-updated_at").values_list("updated_at", flat=True)
    return latest.first()


def visible_appeals(client: Client | None) -> QuerySet[Appeal]:
    """What the public page may show (`appeals.selectors.publishable`: consent given, never a
    report), and the requests the calling client filed itself."""
    q = Q(pk__in=publishable().values("pk"))
    if client is not None:
        q |= Q(open311__client=client)
    return (
        Appeal.objects.filter(q)
        .select_related("category", "region", "open311")
        .prefetch_related(
            Prefetch(
                "dispatches",
                queryset=Dispatch.objects.select_related("region", "department").order_by("pk"),
            )
        )
    )


def find_requests(
    *,
    client: Client | None,
    numbers: list[str] | None = None,
    service_codes: list[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: list[str] | None = None,
    region: Region | None = None,
) -> list[Appeal]:
    """GET Service Requests: `numbers` overrides every other filter (spec); otherwise the range
    [start, end] on requested_datetime, newest first, at most 1000."""
    qs = visible_appeals(client)
    if numbers is not None:
        return list(qs.filter(number__in=numbers).order_by("-created_at", "-pk")[:MAX_RESULTS])
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    if service_codes:
        qs = qs.filter(category__code__in=service_codes)
    if statuses and set(statuses) != {"open", "closed"}:
        qs = (
            qs.filter(status=Status.CLOSED)
            if statuses == ["closed"]
            else qs.exclude(status=Status.CLOSED)
        )
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lte=end)
    return list(qs.order_by("-created_at", "-pk")[:MAX_RESULTS])


def region_names(appeals: list[Appeal]) -> dict[str, str]:
    """Names of every region on the appeals' paths (village, town, county) in one query."""
    codes = {code for a in appeals for code in a.region.path.split("/") if code}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


def request_by_token(token: str) -> ServiceRequest | None:
    if not token or len(token) > 32:
        return None
    return ServiceRequest.objects.filter(token=token).select_related("appeal").first()
