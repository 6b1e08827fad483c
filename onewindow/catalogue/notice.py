"""The printable one-time notice (一次性告知单): a PDF of everything one applicant, in their
situation, must bring for one item, with a QR code that opens the online guide."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import segno
import weasyprint
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .choices import Handling, MaterialSource
from .models import Item, ItemVersion
from .selectors import guide_for

CSS_PATH = Path(__file__).parent / "templates" / "catalogue" / "notice.css"
FREE_SOURCES = {MaterialSource.AUTHORITY, MaterialSource.LICENCE}


class OfflineFetcher(URLFetcher):
    """weasyprint URL fetcher that loads inline data: URLs only, never the network or the disk."""

    def __init__(self) -> None:
        super().__init__(timeout=1, allowed_protocols=("data",), allow_redirects=False)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if not url.lower().startswith("data:"):
            raise ValueError(f"告知单不加载外部资源：{url[:80]}")
        return super().fetch(url, headers)


def _limit(version: ItemVersion, days: int) -> str:
    if version.handling == Handling.IMMEDIATE:
        return "当场办结"
    return f"{days} {version.get_limit_unit_display()}"


def notice_context(
    *,
    item: Item,
    answers: dict[str, str],
    guide_url: str,
    centre_name: str,
    issued_on: datetime.date | None = None,
) -> dict[str, Any]:
    version = item.published
    if version is None:
        raise ValueError("事项尚未发布，不能打印告知单。")
    selection = guide_for(version, answers)
    situation_rows = []
    for situation in version.situations.all():
        key = selection.answers.get(situation.key)
        option = next((o for o in situation.options.all() if o.key == key), None)
        situation_rows.append((situation.question, option.answer if option else "未选择"))
    materials = [
        {
            "name": m.name,
            "form": m.get_form_display(),
            "copies": m.copies,
            "required": "必需" if m.required else "非必需",
            "deficiency_ok": m.deficiency_ok,
            "source": str(m.get_source_display()).split("（")[0],
            "exempt": m.source in FREE_SOURCES,
            "standard": m.standard,
        }
        for m in selection.materials
    ]
    return {
        "css": CSS_PATH.read_text(encoding="utf-8"),
        "item": item,
        "version": version,
        "centre_name": centre_name,
        "situations": situation_rows,
        "materials": materials,
        "conditions": selection.conditions,
        "promised": _limit(version, selection.promised_limit),
        "statutory": _limit(version, selection.statutory_limit),
        "limited_by": selection.limited_by,
        "fees": list(version.fees.all()),
        "qr": segno.make(guide_url, error="m").svg_data_uri(scale=4),
        "guide_url": guide_url,
        "issued_on": issued_on or timezone.localdate(),
    }


def notice_pdf(
    *,
    item: Item,
    answers: dict[str, str],
    guide_url: str,
    centre_name: str,
    issued_on: datetime.date | None = None,
) -> bytes:
    """The 一次性告知单 of `item`'s published version for these situation answers, as PDF."""
    context = notice_context(
        item=item,
        answers=answers,
        guide_url=guide_url,
        centre_name=centre_name,
        issued_on=issued_on,
    )
    html = render_to_string("catalogue/notice.html", context)
    pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=OfflineFetcher()).write_pdf()
    return bytes(pdf)
