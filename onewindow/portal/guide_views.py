"""Public guide pages (办事指南): browse the published catalogue, read one item's guide, answer its
situation questions and see exactly what to bring. Works without JavaScript (a GET form)."""

from __future__ import annotations

from itertools import pairwise

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from onewindow.catalogue import selectors
from onewindow.catalogue.choices import BUSINESS_STAGES, LEVELS, LIFE_EVENTS
from onewindow.catalogue.grants import region_catalogue
from onewindow.catalogue.notice import notice_pdf
from onewindow.org.choices import RegionLevel
from onewindow.org.models import Department, Region

from .selectors import bundle_guide


def situation_answers(request: HttpRequest) -> dict[str, str]:
    """The applicant's answers from the query string: s_<question>=<option>."""
    return {k[2:]: request.GET.get(k, "") for k in request.GET if k.startswith("s_")}


def guide_index(request: HttpRequest) -> HttpResponse:
    event = request.GET.get("event", "")
    stage = request.GET.get("stage", "")
    level = request.GET.get("level", "")
    department = request.GET.get("department", "")
    region_code = request.GET.get("region", "")
    items = selectors.published_items()
    title = "全部事项"
    problem = ""
    if event in LIFE_EVENTS:
        items, title = (
            selectors.items_for_topic(life_event=event),
            f"个人办事 · {LIFE_EVENTS[event]}",
        )
    elif stage in BUSINESS_STAGES:
        items, title = (
            selectors.items_for_topic(business_stage=stage),
            f"企业办事 · {BUSINESS_STAGES[stage]}",
        )
    elif level in dict(LEVELS):
        items, title = selectors.items_for_level(level), f"{dict(LEVELS)[level]}可办事项"
    elif region_code:
        # what one town's or village's service point may handle (县镇同权: devolved, not recalled)
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            items, problem = items.none(), "没有这个乡镇（街道）或村（社区），请从列表中选择。"
        else:
            items = region_catalogue(region).select_related("published", "department")
            title = f"{region.name}可办事项"
    elif department:
        items = items.filter(department__code=department)
        found = Department.objects.filter(code=department).first()
        title = found.name if found else title
    return render(
        request,
        "portal/guide/index.html",
        {
            "items": items,
            "title": title,
            "life_events": LIFE_EVENTS,
            "business_stages": BUSINESS_STAGES,
            "levels": LEVELS,
            "departments": Department.objects.filter(items__published__isnull=False)
            .distinct()
            .order_by("code"),
            "bundles": selectors.bundles().filter(active=True),
            "local_regions": Region.objects.filter(
                level__in=(RegionLevel.TOWN, RegionLevel.VILLAGE)
            ).order_by("path"),
            "problem": problem,
        },
        status=400 if problem else 200,
    )


def guide_detail(request: HttpRequest, code: str) -> HttpResponse:
    item = selectors.guide(code)
    if item is None:
        raise Http404("没有这个事项，或它尚未发布。")
    version = item.published
    assert version is not None
    answers = situation_answers(request)
    selection = selectors.guide_for(version, answers)
    return render(
        request,
        "portal/guide/detail.html",
        {
            "item": item,
            "v": version,
            "selection": selection,
            "flow_states": selectors.guide_flow_states(version, selection),
            "answered": bool(selection.answers),
        },
    )


def guide_changes(request: HttpRequest, code: str) -> HttpResponse:
    """The public change history of an item: every version that was ever published, and what
    changed from one to the next."""
    item = selectors.guide(code)
    if item is None:
        raise Http404("没有这个事项，或它尚未发布。")
    versions = list(selectors.version_history(item))
    changes = [
        (newer, older, selectors.version_changes(older, newer))
        for newer, older in pairwise(versions)
    ]
    return render(
        request,
        "portal/guide/changes.html",
        {"item": item, "versions": versions, "changes": changes},
    )


def guide_notice(request: HttpRequest, code: str) -> HttpResponse:
    """The printable one-time notice (一次性告知单) for the applicant's answers, as a PDF."""
    item = selectors.guide(code)
    if item is None:
        raise Http404("没有这个事项，或它尚未发布。")
    answers = situation_answers(request)
    guide_url = request.build_absolute_uri(reverse("portal:guide-detail", args=[code]))
    pdf = notice_pdf(
        item=item, answers=answers, guide_url=guide_url, centre_name=settings.ONEWINDOW_CENTRE_NAME
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{code}.pdf"'
    return response


def guide_bundle(request: HttpRequest, code: str) -> HttpResponse:
    """A "one thing" (一件事): its items stage by stage, what must come first, the materials
    handed in once for several items, and the promised limit of the whole."""
    found = bundle_guide(code)
    if found is None:
        raise Http404("没有这件“一件事”。")
    return render(request, "portal/guide/bundle.html", {"g": found, "bundle": found.bundle})
