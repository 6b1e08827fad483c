"""Reads for the periodic jobs."""

from __future__ import annotations

from onewindow.org.models import Region


def top_regions() -> list[Region]:
    """The regions a periodic report covers: the top of the region tree, as `onewindow report`
    without `--region`."""
    return list(Region.objects.filter(parent__isnull=True).order_by("code"))
