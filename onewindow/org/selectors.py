"""Reads about the organisation. Staff-facing reads go through the actor's jurisdiction."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from onewindow.accounts.models import User
from onewindow.accounts.selectors import scope

from .models import Department, Region, ServicePoint, Window


def public_service_points() -> QuerySet[ServicePoint]:
    return (
        ServicePoint.objects.select_related("region")
        .annotate(window_count=Count("windows"))
        .order_by("region__path")
    )


def region_subtree(region: Region) -> QuerySet[Region]:
    return Region.objects.filter(path__startswith=region.path)


def windows_for(actor: User) -> QuerySet[Window]:
    qs = Window.objects.select_related("service_point__region", "department")
    return scope(
        qs,
        actor,
        permission="org.view",
        region_path="service_point__region__path",
        department="department_id",
    ).order_by("service_point__region__path", "number")


def service_points_for(actor: User) -> QuerySet[ServicePoint]:
    qs = ServicePoint.objects.select_related("region").annotate(window_count=Count("windows"))
    return scope(qs, actor, permission="org.view", region_path="region__path").order_by(
        "region__path"
    )


def departments_for(actor: User) -> QuerySet[Department]:
    qs = Department.objects.select_related("region")
    return scope(
        qs, actor, permission="org.view", region_path="region__path", department="id"
    ).order_by("code")
