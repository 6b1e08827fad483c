"""Pages of 民情直通车: the public form, tracking and rating (no sign-in), the hotline and 办不成事
window forms with likely duplicates, and the units' workbench queue and handling page (sign-for,
reply, co-handling, merging). Thin: reads through selectors, handling and duplicates, writes
through services. Every action form carries the appeal's revision: a stale one is refused
with 409 and the page as it is now."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from onewindow.accounts.access import staff_required
from onewindow.accounts.selectors import has_permission, request_actor
from onewindow.core import ratelimit
from onewindow.core.errors import DomainError
from onewindow.core.middleware import client_ip
from onewindow.core.personal import mask_phone

from . import duplicates, handling, selectors, services
from .choices import Channel, Kind, Rating, Urgency
from .models import Appeal, Category, Dispatch

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
    "case_number",
)
STAFF_CHANNELS = (Channel.HOTLINE, Channel.WINDOW)


def _form_context(data: dict[str, Any], error: DomainError | None) -> dict[str, Any]:
    return {
        "data": data,
        "error": error,
        "kinds": Kind.choices,
        "urgencies": Urgency.choices,
        "categories": selectors.leaf_categories(),
        "regions": selectors.filing_regions(),
    }


def _file(
    request: HttpRequest,
    channel: str,
    template: str,
    initial: dict[str, Any] | None = None,
) -> HttpResponse:
    """The filing form of one channel. On the operators' forms (hotline, window) the 查重 button
    lists likely duplicates without saving, and the page after filing lists them again with
    a button to merge the new appeal into one of them."""
    data: dict[str, Any] = {"urgency": Urgency.NORMAL, **(initial or {})}
    error = None
    staff = channel in STAFF_CHANNELS
    dups: list[duplicates.Duplicate] | None = None
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in FIELDS}
        data["anonymous"] = request.POST.get("anonymous") == "1"
        data["publish_consent"] = request.POST.get("publish_consent") == "1"
        actor = request_actor(request)
        if staff and request.POST.get("check") == "1":
            from onewindow.cases import clock

            dups = duplicates.find(
                text=f"{data['title']} {data['content']}",
                phone=data["callback_phone"],
                region_id=_int(data["region"]) or None,
                address=data["address"],
                on=clock.today(),
            )
            context = _form_context(data, None) | {
                "dups": dups,
                "checked": True,
                "dup_days": duplicates.window_days(),
            }
            return render(request, template, context)
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
                recording_ref=data["recording_ref"] if channel == Channel.HOTLINE else "",
                case_number=data["case_number"] if channel == Channel.WINDOW else "",
                uploads=request.FILES.getlist("attachments"),
                actor=actor if actor.is_authenticated else None,
            )
        except DomainError as exc:
            error = exc
        else:
            if staff:
                return render(
                    request,
                    "appeals/filed_staff.html",
                    {
                        "appeal": appeal,
                        "dups": duplicates.of_appeal(appeal),
                        "may_merge": services.may_merge(actor, appeal),
                        "dup_days": duplicates.window_days(),
                        "back": request.path,
                    },
                )
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
        if ratelimit.count(key, window=TRACK_WINDOW) >= TRACK_TRIES:
            error, status = "查询过于频繁，请十分钟后再试。", 429
        else:
            appeal = selectors.track(number, tail)
            if appeal is None:
                ratelimit.hit(key, window=TRACK_WINDOW)
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
        master = handling.master_of(appeal)
        context |= {
            "timeline": handling.timeline(appeal),
            "reply": handling.outcome_reply(appeal),
            "master": master if master.pk != appeal.pk else None,
        }
    return render(request, "appeals/track.html", context, status=status)


@staff_required("appeal.intake")
def hotline(request: HttpRequest) -> HttpResponse:
    return _file(request, Channel.HOTLINE, "appeals/hotline.html")


@staff_required("appeal.intake")
def window(request: HttpRequest) -> HttpResponse:
    """The 办不成事 window (seed 002): the counter files what got done nowhere else, optionally
    naming the case that failed."""
    category = Category.objects.filter(code="0801").values_list("pk", flat=True).first()
    initial = {"kind": Kind.CANNOT_GET_DONE, "category": str(category or "")}
    return _file(request, Channel.WINDOW, "appeals/window.html", initial)


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


def _revision(request: HttpRequest, name: str = "revision") -> int | None:
    """The revision the page was drawn at; None when the form did not carry one."""
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else None


def _unit_choice(value: str | None) -> tuple[int | None, int | None]:
    """A unit picked from the co-handling list: "d<department id>" or "r<region id>"."""
    value = value or ""
    if value[:1] == "d" and value[1:].isdigit():
        return None, int(value[1:])
    if value[:1] == "r" and value[1:].isdigit():
        return int(value[1:]), None
    return None, None


def _detail(
    request: HttpRequest, dispatch: Dispatch, *, error: str = "", status: int = 200
) -> HttpResponse:
    actor = request_actor(request)
    appeal = Appeal.objects.select_related(
        "category__parent", "region__parent", "merged_into", "case"
    ).get(pk=dispatch.appeal_id)
    reveal = has_permission(actor, "personal.reveal")
    is_centre = has_permission(actor, "appeal.dispatch")
    dups = (
        duplicates.of_appeal(appeal)
        if is_centre and appeal.merged_into_id is None and appeal.status != "closed"
        else []
    )
    return render(
        request,
        "appeals/detail.html",
        {
            "d": dispatch,
            "appeal": appeal,
            "phone": appeal.callback_phone if reveal else mask_phone(appeal.callback_phone),
            "timeline": handling.staff_timeline(appeal),
            "is_centre": is_centre,
            "departments": selectors.county_departments() if dispatch.department is None else [],
            "fan_out": handling.fan_out(appeal),
            "outstanding": handling.outstanding(appeal),
            "merged": handling.merged_into_this(appeal),
            "dups": [(dup, handling.open_turn(dup.appeal)) for dup in dups],
            "assist_units": (
                {
                    "departments": selectors.county_departments(),
                    "towns": selectors.filing_regions().filter(level="town"),
                }
                if is_centre and dispatch.lead
                else None
            ),
            "conflict": error,
        },
        status=status,
    )


@staff_required("appeal.handle")
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _dispatch(request, pk))


def _conflict(request: HttpRequest, pk: int | None, message: str) -> HttpResponse:
    """A stale page: 409 with the page as it is now (or, when this turn has ended, a note)."""
    text = f"{message}您提交时看到的页面已过期，下面是最新情况，请核对后再操作。"
    dispatch = selectors.unit_queue(request_actor(request)).filter(pk=pk or 0).first()
    if dispatch is not None:
        return _detail(request, dispatch, error=text, status=409)
    return render(request, "appeals/conflict.html", {"message": text}, status=409)


@require_POST
@staff_required("appeal.handle")
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = request_actor(request)
    revision = _revision(request)
    dispatch = selectors.unit_queue(actor).filter(pk=pk).first()
    if dispatch is None:
        ended = Dispatch.objects.filter(pk=pk).select_related("region", "department").first()
        if ended is not None and revision is not None and services.may_act(actor, ended):
            return _conflict(request, None, "该派单已被他人处理（签收、退单、转办或答复）。")
        raise Http404("派单不存在或不在您的承办范围。")
    common: dict[str, Any] = {
        "actor": actor,
        "appeal_id": dispatch.appeal_id,
        "dispatch_id": pk,
        "revision": revision,
    }
    try:
        if action == "sign":
            services.sign_for(**common)
            messages.success(request, "已签收。")
            return redirect("appeals:detail", pk=pk)
        if action == "reply":
            done = services.reply(
                **common,
                text=request.POST.get("text", ""),
                uploads=request.FILES.getlist("attachments"),
            )
            messages.success(
                request,
                "已答复，系统已短信告知诉求人。"
                if done.lead
                else "已提交协办意见，已告知主办单位。",
            )
        elif action == "bounce":
            services.bounce(**common, reason=request.POST.get("reason", ""))
            messages.success(request, "已退单至县指挥中心。")
        elif action == "escalate":
            services.escalate(**common, reason=request.POST.get("reason", ""))
            messages.success(request, "已上报上一级。")
        elif action == "extend":
            services.request_extension(
                **common, days=_int(request.POST.get("days")), reason=request.POST.get("reason", "")
            )
            messages.success(request, "已提交延期申请，等待县指挥中心审批。")
            return redirect("appeals:detail", pk=pk)
        elif action in ("approve", "refuse"):
            services.decide_extension(**common, approve=action == "approve")
            messages.success(request, "已审批延期申请。")
            return redirect("appeals:detail", pk=pk)
        elif action == "transfer":
            services.transfer(
                **common,
                department_id=_int(request.POST.get("department")),
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, "已转办。")
        elif action == "assist":
            region_id, department_id = _unit_choice(request.POST.get("unit"))
            common.pop("dispatch_id")
            added = services.add_assist(**common, region_id=region_id, department_id=department_id)
            messages.success(
                request,
                f"已增加协办单位{services.unit_name(added.region, added.department)}。",
            )
            return redirect("appeals:detail", pk=pk)
        else:
            raise Http404("未知操作。")
    except DomainError as exc:
        if exc.code == "revision_conflict":
            return _conflict(request, pk, exc.message)
        messages.error(request, exc.message)
        return redirect("appeals:detail", pk=pk)
    return redirect("appeals:queue")


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/workbench/appeals/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return fallback


@require_POST
@staff_required("appeal.intake")
def merge(request: HttpRequest) -> HttpResponse:
    """并案 from the filing result page or the handling page: `appeal` into `into`."""
    actor = request_actor(request)
    back = _back(request, "/workbench/appeals/")
    try:
        appeal = services.merge(
            actor=actor,
            appeal_id=_int(request.POST.get("appeal")),
            into_id=_int(request.POST.get("into")),
            reason=request.POST.get("reason", ""),
            revision=_revision(request),
            into_revision=_revision(request, "into_revision"),
        )
    except DomainError as exc:
        if exc.code == "revision_conflict":
            return _conflict(request, _int(request.POST.get("dispatch")), exc.message)
        if exc.code == "not_found":
            raise Http404(exc.message) from None
        messages.error(request, exc.message)
        return redirect(back)
    master = appeal.merged_into
    assert master is not None
    messages.success(
        request, f"已将诉求 {appeal.number} 并入 {master.number}，诉求人已收到短信告知。"
    )
    dispatch_pk = _int(request.POST.get("dispatch"))
    if not dispatch_pk:  # from the filing result page: back to the form
        return redirect(back)
    queue = selectors.unit_queue(actor)
    if queue.filter(pk=dispatch_pk).exists():  # the master's page: it stays open
        return redirect("appeals:detail", pk=dispatch_pk)
    turn = handling.open_turn(master)
    if turn is not None and queue.filter(pk=turn.pk).exists():
        return redirect("appeals:detail", pk=turn.pk)
    return redirect("appeals:queue")
