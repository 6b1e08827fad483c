"""Formatting of figures: rates as percentages, days with one decimal, “—” for no data."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@register.simple_tag
def cell(row: Any, name: str, kind: str) -> str:
    value = getattr(row, name)
    if kind == "r":
        return pct(value)
    if kind == "d":
        return days(value)
    return "—" if value is None else str(value)
