"""Public pages: the centre's front door. No models of its own."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from onewindow.accounts.access import applicant_required
from onewindow.accounts.selectors import request_actor
from onewindow.catalogue import search as catalogue_search
from onewindow.core.errors import DomainError
from onewindow.core.personal import mask_id_number, mask_phone
from onewindow.notifications import selectors as notify_selectors
from onewindow.notifications import services as notify_services
from onewindow.org.choices import ServicePointKind
from onewindow.org.models import Department
from onewindow.org.selectors import public_service_points


def home(request: HttpRequest) -> HttpResponse:
    points = list(public_service_points())
    return render(
        request,
        "portal/home.html",
        {
            "centres": [p for p in points if p.kind == ServicePointKind.CENTRE],
            "towns": [p for p in points if p.kind == ServicePointKind.TOWN_CENTRE],
            "village_count": sum(1 for p in points if p.kind == ServicePointKind.VILLAGE_ROOM),
            "departments": Department.objects.filter(is_stationed=True).order_by("code"),
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    hits = catalogue_search.search(query, limit=20) if query else []
    departments = Department.objects.filter(name__contains=query)[:20] if query else []
    points = public_service_points().filter(name__contains=query)[:20] if query else []
    return render(
        request,
        "portal/search.html",
        {"query": query, "hits": hits, "departments": departments, "points": points},
    )


def service_points(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/service_points.html", {"points": public_service_points()})


def display(request: HttpRequest) -> HttpResponse:
    """Large type and high contrast, kept in cookies so they work without JavaScript."""
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = redirect(target)
    for key, cookie in (("large", "ow_large"), ("contrast", "ow_contrast")):
        if key in request.GET:
            response.set_cookie(
                cookie,
                "1" if request.GET[key] == "1" else "0",
                max_age=365 * 24 * 3600,
                samesite="Lax",
                httponly=True,
            )
    return response


@applicant_required
def me(request: HttpRequest) -> HttpResponse:
    user = request_actor(request)
    applicant = user.applicant
    return render(
        request,
        "portal/me.html",
        {
            "applicant": applicant,
            "id_masked": mask_id_number(applicant.id_number),
            "phone_masked": mask_phone(user.phone),
            "unread": notify_selectors.unread_count(user),
        },
    )


@applicant_required
def my_messages(request: HttpRequest) -> HttpResponse:
    """The applicant's in-site inbox: their own messages only, newest first."""
    user = request_actor(request)
    page = Paginator(notify_selectors.inbox_for(user), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/messages.html",
        {"page": page, "unread": notify_selectors.unread_count(user), "query": ""},
    )


@require_POST
@applicant_required
def my_message_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notify_services.mark_read(message_id=pk, actor=request_actor(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    page = request.POST.get("page", "")
    return redirect(f"/me/messages/?page={int(page)}" if page.isdigit() else "portal:my-messages")
