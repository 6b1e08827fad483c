"""The GeoReport v2 documents this endpoint serves, as plain dicts and lists in the spec's field
order. What is shown of an appeal is what the public page may show (appeals/publication.py):
no name, no phone, no e-mail, texts through `anonymise`, the place to the village, coordinates
to two decimals (about a kilometre)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from onewindow.appeals import limits
from onewindow.appeals.choices import DispatchState, Status
from onewindow.appeals.models import Appeal, Category, Dispatch
from onewindow.appeals.publication import anonymise
from onewindow.appeals.services import unit_name
from onewindow.org.models import Region

from .models import ServiceAttribute, ServiceRequest
from .params import local_zone, w3c

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ["text/xml", "application/json"]
COORDINATE_STEP = Decimal("0.01")


def discovery(
    *, url: str, changeset: str, contact: str, key_service: str, test: bool = False
) -> dict[str, Any]:
    return {
        "changeset": changeset,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": changeset,
                "type": "test" if test else "production",
                "formats": FORMATS,
            }
        ],
    }


def service(category: Category, *, metadata: bool, kind: str) -> dict[str, Any]:
    group = category.parent.name if category.parent is not None else ""
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{group}／{category.name}：向民情直通车反映此类问题，由所在村、镇或县级部门限时办理。",
        "metadata": metadata,
        "type": kind,
        "keywords": ", ".join(n for n in (category.name, group) if n),
        "group": group,
    }


def service_definition(category: Category, attributes: list[ServiceAttribute]) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description or None,
                "order": position,
                "description": a.description,
                **(
                    {"values": [{"key": k, "name": n} for k, n in a.keys().items()]}
                    if a.values
                    else {}
                ),
            }
            for position, a in enumerate(attributes, start=1)
        ],
    }


def service_notice(kind: str, urgency: str) -> str:
    sign, handle = limits.sign_days(urgency), limits.handle_days(kind, urgency)
    if sign == 0 and handle == 0:
        return "紧急诉求：承办单位当日签收、当日办结。"
    return (
        f"承办单位须在 {sign} 个工作日内签收，签收后 {handle} 个工作日内办结答复；"
        "超期依次催办、督办、提级办理。"
    )


def created(record: ServiceRequest, *, batch: bool) -> dict[str, Any]:
    appeal = record.appeal
    first = {"token": record.token} if batch else {"service_request_id": appeal.number}
    return {
        **first,
        "service_notice": service_notice(appeal.kind, appeal.urgency),
        "account_id": record.account_id or None,
    }


def token(record: ServiceRequest) -> dict[str, Any]:
    return {"service_request_id": record.appeal.number, "token": record.token}


def _place(region: Region, names: dict[str, str]) -> str:
    """Village, town, county: most specific first, as the spec asks."""
    codes = [c for c in region.path.split("/") if c]
    return ", ".join(names.get(c, c) for c in reversed(codes))


def _rounded(value: Decimal | None) -> float | None:
    if value is None:
        return None
    return float(Decimal(value).quantize(COORDINATE_STEP, rounding=ROUND_HALF_UP))


def _lead(dispatches: list[Dispatch]) -> Dispatch | None:
    leads = [d for d in dispatches if d.lead]
    return leads[-1] if leads else None


def _expected(dispatch: Dispatch | None) -> str | None:
    if dispatch is None or dispatch.state != DispatchState.SIGNED or dispatch.handle_due is None:
        return None
    end = dt.datetime.combine(dispatch.handle_due, dt.time(23, 59, 59), tzinfo=local_zone())
    return w3c(end)


def service_request(appeal: Appeal, places: dict[str, str]) -> dict[str, Any]:
    dispatches = list(appeal.dispatches.all())  # prefetched, in order
    lead = _lead(dispatches)
    replies = [d for d in dispatches if d.state == DispatchState.REPLIED and d.reply]
    names = (appeal.caller_name,)
    notes = appeal.get_status_display()
    if replies and appeal.status in (Status.REPLIED, Status.CLOSED):
        notes = f"{notes}。答复：{anonymise(replies[-1].reply, names=names)}"
    record: ServiceRequest | None = getattr(appeal, "open311", None)
    return {
        "service_request_id": appeal.number,
        "status": "closed" if appeal.status == Status.CLOSED else "open",
        "status_notes": notes,
        "service_name": appeal.category.name,
        "service_code": appeal.category.code,
        "description": anonymise(appeal.content, names=names),
        "agency_responsible": unit_name(lead.region, lead.department) if lead else None,
        "service_notice": service_notice(appeal.kind, appeal.urgency),
        "requested_datetime": w3c(appeal.created_at),
        "updated_datetime": w3c(appeal.updated_at),
        "expected_datetime": _expected(lead),
        "address": _place(appeal.region, places),
        "address_id": appeal.region.code,
        "zipcode": None,
        "lat": _rounded(appeal.latitude),
        "long": _rounded(appeal.longitude),
        "media_url": (record.media_url or None) if record is not None else None,
    }
