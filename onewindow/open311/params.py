"""Reading GeoReport v2 parameters: W3C date-times, comma lists, `attribute[code]` form fields."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from onewindow.core.errors import InvalidInput

W3C = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?(Z|[+-]\d{2}:\d{2}))?$"
)
ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def parse_w3c(value: str, name: str) -> dt.datetime:
    """A date-time in the W3C profile of ISO 8601 that the spec requires: a full date, or a date
    with hh:mm[:ss[.s]] and a time zone (Z or ±hh:mm). A bare date is midnight local time."""
    match = W3C.match(value.strip())
    if match is None:
        raise InvalidInput(
            f"{name} is not a W3C date-time such as 2026-01-01T00:00:00Z "
            f"（{name} 须为 ISO 8601 日期时间，并带时区）",
            field=name,
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        if hour is None:
            return dt.datetime(int(year), int(month), int(day), tzinfo=local_zone())
        if zone == "Z":
            tz: dt.tzinfo = dt.UTC
        else:
            sign = 1 if zone[0] == "+" else -1
            hours, minutes = int(zone[1:3]), int(zone[4:6])
            if hours > 14 or minutes > 59:
                raise ValueError(zone)
            tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
        return dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError:
        raise InvalidInput(
            f"{name} is not a valid date-time （{name} 不是有效的日期时间）", field=name
        ) from None


def w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(local_zone()).replace(microsecond=0).isoformat()


def split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def attributes_from(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """`attribute[CODE]=v` and `attribute[CODE][]=v1&attribute[CODE][]=v2` (multivaluelist)."""
    found: dict[str, list[str]] = {}
    getlist = getattr(data, "getlist", None)
    for key in data:
        match = ATTRIBUTE.match(key)
        if match is None:
            continue
        values = getlist(key) if getlist else [data[key]]
        found.setdefault(match.group(1), []).extend(str(v) for v in values)
    return found
