"""Pages of 民情直通车: the public form, tracking and rating (no sign-in), and the units'
workbench queue with sign-for and reply. Thin: reads through selectors, writes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from onewindow.accounts.access import staff_required
from onewindow.accounts.selectors import has_permission, request_actor
from onewindow.core.errors import DomainError
from onewindow.core.middleware import client_ip
from onewindow.core.personal import mask_phone

from . import selectors, services
from .choices import Channel, Kind, Rating, Urgency
from .models import Dispatch

TRACK_TRIES = 10
TRACK_WINDOW = 600
FIELDS = (
    "kind",
    "category",
    "region",
    "title",
    "content",
    "caller_name",
    "callback_phone",
    "address",
    "latitude",
    "longitude",
    "urgency",
    "recording_ref",
)


def _form_context(data: dict[str, Any], error: DomainError | None) -> dict[str, Any]:
    return {
        "data": data,
        "error": error,
        "kinds": Kind.choices,
        "urgencies": Urgency.choices,
        "categories": selectors.leaf_categories(),
        "regions": selectors.filing_regions(),
    }


def _file(request: HttpRequest, channel: str, template: str) -> HttpResponse:
    data: dict[str, Any] = {"urgency": Urgency.NORMAL}
    error = None
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in FIELDS}
        data["anonymous"] = request.POST.get("anonymous") == "1"
        data["publish_consent"] = request.POST.get("publish_consent") == "1"
        actor = request_actor(request)
        try:
            appeal = services.file_appeal(
                channel=channel,
                kind=data["kind"],
                category_id=data["category"],
                region_id=data["region"],
                title=data["title"],
                content=data["content"],
                caller_name=data["caller_name"],
                callback_phone=data["callback_phone"],
                anonymous=data["anonymous"],
                publish_consent=data["publish_consent"],
                urgency=data["urgency"] or Urgency.NORMAL,
                address=data["address"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                recording_ref=data["recording_ref"],
                uploads=request.FILES.getlist("attachments"),
                actor=actor if actor.is_authenticated else None,
            )
        except DomainError as exc:
            error = exc
        else:
            return render(request, "appeals/filed.html", {"appeal": appeal})
    status = 422 if error else 200
    return render(request, template, _form_context(data, error), status=status)


def new(request: HttpRequest) -> HttpResponse:
    return _file(request, Channel.WEB, "appeals/new.html")


def track(request: HttpRequest) -> HttpResponse:
    """Follow an appeal by its number and the last four digits of the callback phone; rate the
    reply here. Limited to TRACK_TRIES wrong tries per address every ten minutes."""
    source = request.POST if request.method == "POST" else request.GET
    number = source.get("number", "").strip()
    tail = source.get("phone_tail", "").strip()
    appeal = None
    error = ""
    status = 200
    if number and tail:
        key = f"appeal-track:{client_ip(request)}"
        tries = int(cache.get_or_set(key, 0, TRACK_WINDOW) or 0)
        if tries >= TRACK_TRIES:
            error, status = "查询过于频繁，请十分钟后再试。", 429
        else:
            appeal = selectors.track(number, tail)
            if appeal is None:
                cache.set(key, tries + 1, TRACK_WINDOW)
                error, status = "诉求编号与回访电话后四位不匹配，请核对后重新输入。", 404
    elif number or tail:
        error, status = "请同时填写诉求编号和回访电话后四位。", 422
    if appeal is not None and request.method == "POST":
        try:
            appeal = services.rate(
                number=number,
                phone_last4=tail,
                rating=request.POST.get("rating", ""),
                comment=request.POST.get("comment", ""),
            )
            messages.success(request, "感谢您的评价。")
        except DomainError as exc:
            error, status = exc.message, exc.status
    context: dict[str, Any] = {
        "number": number,
        "tail": tail,
        "error": error,
        "appeal": appeal,
        "ratings": Rating.choices,
    }
    if appeal is not None:
        context |= {
            "timeline": selectors.public_timeline(appeal),
            "reply": selectors.last_reply(appeal),
        }
    return render(request, "appeals/track.html", context, status=status)


@staff_required("appeal.intake")
def hotline(request: HttpRequest) -> HttpResponse:
    return _file(request, Channel.HOTLINE, "appeals/hotline.html")


@staff_required("appeal.handle")
def queue(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    rows = selectors.unit_queue(actor)[:200]
    return render(request, "appeals/queue.html", {"rows": rows})


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _dispatch(request: HttpRequest, pk: int) -> Dispatch:
    dispatch = selectors.unit_queue(request_actor(request)).filter(pk=pk).first()
    if dispatch is None:
        raise Http404("派单不存在或不在您的承办范围。")
    return dispatch


@staff_required("appeal.handle")
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request_actor(request)
    dispatch = _dispatch(request, pk)
    appeal = dispatch.appeal
    reveal = has_permission(actor, "personal.reveal")
    return render(
        request,
        "appeals/detail.html",
        {
            "d": dispatch,
            "appeal": appeal,
            "phone": appeal.callback_phone if reveal else mask_phone(appeal.callback_phone),
            "timeline": selectors.public_timeline(appeal),
            "is_centre": has_permission(actor, "appeal.dispatch"),
            "departments": selectors.county_departments() if dispatch.department is None else [],
        },
    )


@require_POST
@staff_required("appeal.handle")
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = request_actor(request)
    dispatch = _dispatch(request, pk)
    try:
        if action == "sign":
            services.sign_for(actor=actor, appeal_id=dispatch.appeal_id, dispatch_id=pk)
            messages.success(request, "已签收。")
            return redirect("appeals:detail", pk=pk)
        if action == "reply":
            services.reply(
                actor=actor,
                appeal_id=dispatch.appeal_id,
                dispatch_id=pk,
                text=request.POST.get("text", ""),
                uploads=request.FILES.getlist("attachments"),
            )
            messages.success(request, "已答复，系统已短信告知诉求人。")
        elif action == "bounce":
            services.bounce(
                actor=actor,
                appeal_id=dispatch.appeal_id,
                dispatch_id=pk,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, "已退单至县指挥中心。")
        elif action == "escalate":
            services.escalate(
                actor=actor,
                appeal_id=dispatch.appeal_id,
                dispatch_id=pk,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, "已上报上一级。")
        elif action == "extend":
            services.request_extension(
                actor=actor,
                appeal_id=dispatch.appeal_id,
                dispatch_id=pk,
                days=_int(request.POST.get("days")),
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, "已提交延期申请，等待县指挥中心审批。")
            return redirect("appeals:detail", pk=pk)
        elif action in ("approve", "refuse"):
            services.decide_extension(
                actor=actor,
                appeal_id=dispatch.appeal_id,
                dispatch_id=pk,
                approve=action == "approve",
            )
            messages.success(request, "已审批延期申请。")
            return redirect("appeals:detail", pk=pk)
        elif action == "transfer":
            services.transfer(
                actor=actor,
                appeal_id=dispatch.appeal_id,
                dispatch_id=pk,
                department_id=_int(request.POST.get("department")),
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, "已转办。")
        else:
            raise Http404("未知操作。")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("appeals:detail", pk=pk)
    return redirect("appeals:queue")
