"""Case pages for applicants and the public: apply online, my cases, supplements, withdraw, and
tracking without signing in. Thin: reads through selectors, writes through services."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from onewindow.accounts.access import applicant_required
from onewindow.accounts.selectors import request_actor
from onewindow.catalogue import selectors as catalogue
from onewindow.core import ratelimit
from onewindow.core.errors import DomainError
from onewindow.core.middleware import client_ip

from . import clock, selectors, services
from .choices import CaseStatus, Delivery, MaterialStatus
from .models import Case, Licence

TRACK_TRIES = 10
TRACK_WINDOW = 600


def situation_answers(data: Any) -> dict[str, str]:
    return {k[2:]: data.get(k, "") for k in data if k.startswith("s_")}


def _offerable_licences(user: Any, names: list[tuple[str, str]]) -> dict[str, list[Licence]]:
    """For each material, the applicant's own valid e-licences that can stand in for it (the
    licence's name appears in the material's name)."""
    if not hasattr(user, "applicant"):
        return {}
    today = clock.today()
    held = [lic for lic in Licence.objects.filter(holder=user.applicant) if lic.valid_on(today)]
    return {key: [lic for lic in held if lic.name in name] for key, name in names}


@applicant_required
def apply(request: HttpRequest, code: str) -> HttpResponse:
    item = catalogue.guide(code)
    if item is None:
        raise Http404("没有这个事项，或它尚未发布。")
    version = item.published
    assert version is not None
    user = request_actor(request)
    source = request.POST if request.method == "POST" else request.GET
    answers = situation_answers(source)
    selection = catalogue.materials_for(version, answers)
    offers = _offerable_licences(user, [(m.key, m.name) for m in selection.materials])
    error: DomainError | None = None
    if request.method == "POST":
        licences = {
            m.key: int(request.POST[f"lic_{m.key}"])
            for m in selection.materials
            if request.POST.get(f"lic_{m.key}", "").isdigit()
        }
        try:
            case = services.case_submit(
                actor=user,
                item_code=item.code,
                answers=answers,
                uploads={
                    m.key: request.FILES[f"m_{m.key}"]
                    for m in selection.materials
                    if f"m_{m.key}" in request.FILES
                },
                licences=licences,
                delivery=request.POST.get("delivery", Delivery.PICKUP),
                delivery_address=request.POST.get("delivery_address", ""),
                applicant=services.ApplicantData(
                    kind="", name="", phone="", address=request.POST.get("delivery_address", "")
                ),
                submission_key=request.POST.get("submission_key", "")[:64],
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, f"申请已提交，办件编号 {case.number}。请留意短信和站内消息。")
            return redirect("cases:mine-detail", number=case.number)
    return render(
        request,
        "cases/apply.html",
        {
            "item": item,
            "v": version,
            "selection": selection,
            "offers": offers,
            "error": error,
            "submission_key": request.POST.get("submission_key") or uuid.uuid4().hex,
            "deliveries": [(k, v) for k, v in Delivery.choices if k != Delivery.ONLINE],
            "post": request.POST,
        },
        status=error.status if error else 200,
    )


@applicant_required
def mine(request: HttpRequest) -> HttpResponse:
    from .models import BundleApplication

    user = request_actor(request)
    bundles = BundleApplication.objects.filter(submitted_by=user).select_related("bundle")
    return render(
        request,
        "cases/mine.html",
        {"cases": selectors.applicant_cases(user), "bundles": bundles.order_by("-created_at")},
    )


def _own_case(request: HttpRequest, number: str) -> Case:
    case = selectors.applicant_cases(request_actor(request)).filter(number=number).first()
    if case is None:
        raise Http404("没有找到该办件。")
    return case


def _awaited(case: Case) -> dict[str, Any]:
    supplement = (
        case.supplements.filter(answered_at__isnull=True).last()
        if case.status == CaseStatus.SUPPLEMENT
        else None
    )
    deferred = list(case.materials.filter(status=MaterialStatus.DEFERRED))
    return {"supplement": supplement, "deferred": deferred, "today": clock.today()}


@applicant_required
def mine_detail(request: HttpRequest, number: str) -> HttpResponse:
    case = _own_case(request, number)
    return render(request, "cases/mine_detail.html", _detail_context(case))


def _detail_context(case: Case, **extra: Any) -> dict[str, Any]:
    from . import documents

    return {
        "case": case,
        "clocks": selectors.case_clocks(case),
        "timeline": selectors.public_timeline(case),
        "materials": case.materials.all(),
        "documents": documents.available_documents(case),
        **_awaited(case),
        **extra,
    }


@applicant_required
@require_POST
def mine_supply(request: HttpRequest, number: str) -> HttpResponse:
    case = _own_case(request, number)
    user = request_actor(request)
    try:
        if case.status == CaseStatus.SUPPLEMENT:
            services.case_supply(
                case=case,
                actor=user,
                uploads={k[2:]: f for k, f in request.FILES.items() if k.startswith("m_")},
            )
            messages.success(request, "补正材料已提交，窗口将继续受理。")
        else:
            key = request.POST.get("key", "")
            services.case_supply_deferred(
                case=case, actor=user, key=key, upload=request.FILES.get(f"m_{key}")
            )
            messages.success(request, "容缺材料已补齐。")
    except DomainError as exc:
        return render(
            request,
            "cases/mine_detail.html",
            _detail_context(case, error=exc),
            status=exc.status,
        )
    return redirect("cases:mine-detail", number=number)


@applicant_required
@require_POST
def mine_withdraw(request: HttpRequest, number: str) -> HttpResponse:
    case = _own_case(request, number)
    try:
        services.case_withdraw(
            case=case, actor=request_actor(request), reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        return render(
            request, "cases/mine_detail.html", _detail_context(case, error=exc), status=exc.status
        )
    messages.success(request, "申请已撤回。")
    return redirect("cases:mine-detail", number=number)


@applicant_required
def mine_document(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    from onewindow.files.selectors import file_response

    from . import documents

    case = _own_case(request, number)
    try:
        stored = documents.case_document(
            case, kind, actor=request_actor(request), base_url=request.build_absolute_uri("/")
        ).file
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return file_response(stored)


def track(request: HttpRequest) -> HttpResponse:
    """Follow a case without signing in: the case number and the last four digits of the phone
    given at submission. Limited to TRACK_TRIES tries per address every ten minutes."""
    number = request.GET.get("number", "").strip()
    tail = request.GET.get("phone_tail", "").strip()
    case = None
    error = ""
    status = 200
    if number and tail:
        key = f"track:{client_ip(request)}"
        if ratelimit.count(key, window=TRACK_WINDOW) >= TRACK_TRIES:
            error, status = "查询过于频繁，请十分钟后再试。", 429
        else:
            case = selectors.track(number, tail)
            if case is None:
                ratelimit.hit(key, window=TRACK_WINDOW)
                error, status = "办件编号与手机号码后四位不匹配，请核对后重新输入。", 404
    elif number or tail:
        error, status = "请同时填写办件编号和手机号码后四位。", 422
    context: dict[str, Any] = {"number": number, "tail": tail, "error": error, "case": case}
    if case is not None:
        context |= {
            "clocks": selectors.case_clocks(case),
            "timeline": selectors.public_timeline(case),
            **_awaited(case),
        }
    return render(request, "cases/track.html", context, status=status)


@applicant_required
def apply_bundle(request: HttpRequest, code: str) -> HttpResponse:
    """One form for a "one thing" bundle: the questions of all its items (each asked once) and
    each material once; what an earlier stage produces is not asked."""
    from onewindow.catalogue.models import Bundle

    bundle = Bundle.objects.filter(code=code).first()
    if bundle is None:
        raise Http404("没有这个一件事。")
    if not bundle.active:
        messages.error(request, f"“{bundle.name}”已停止办理，请按各事项分别申请。")
        return redirect("portal:guide-bundle", code=bundle.code)
    source = request.POST if request.method == "POST" else request.GET
    answers = situation_answers(source)
    plan = services.bundle_plan(bundle, answers)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            application = services.bundle_submit(
                actor=request_actor(request),
                bundle_code=bundle.code,
                answers=answers,
                uploads={
                    m.field: request.FILES[m.field]
                    for m in plan.materials
                    if m.field in request.FILES
                },
                delivery=request.POST.get("delivery", Delivery.PICKUP),
                delivery_address=request.POST.get("delivery_address", ""),
                submission_key=request.POST.get("submission_key", "")[:64],
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, f"一件事申请已提交（{application.number}）。")
            return redirect("cases:mine-bundle", number=application.number)
    return render(
        request,
        "cases/apply_bundle.html",
        {
            "bundle": bundle,
            "plan": plan,
            "answers": answers,
            "error": error,
            "submission_key": request.POST.get("submission_key") or uuid.uuid4().hex,
            "deliveries": [(k, v) for k, v in Delivery.choices if k != Delivery.ONLINE],
            "post": request.POST,
        },
        status=error.status if error else 200,
    )


@applicant_required
def mine_bundle(request: HttpRequest, number: str) -> HttpResponse:
    """One progress page for every case of a bundle application."""
    from .models import BundleApplication

    application = BundleApplication.objects.filter(
        number=number, submitted_by=request_actor(request)
    ).first()
    if application is None:
        raise Http404("没有找到该一件事申请。")
    cases = list(
        application.cases.select_related("version", "department").order_by("bundle_order", "pk")
    )
    done = sum(c.status == CaseStatus.APPROVED for c in cases)
    return render(
        request,
        "cases/mine_bundle.html",
        {
            "application": application,
            "cases": [(c, selectors.case_clocks(c)) for c in cases],
            "done": done,
            "total": len(cases),
        },
    )
