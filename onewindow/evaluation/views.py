"""The applicant's rating pages: by the signed link of the receipt's QR code (扫码评, no sign-in)
and on the signed-in applicant's own case (网上评). Thin: reads through selectors, writes through
services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from onewindow.accounts.access import applicant_required
from onewindow.accounts.selectors import request_actor
from onewindow.cases.models import Case
from onewindow.cases.selectors import applicant_cases
from onewindow.core.errors import DomainError

from . import selectors, services, tokens
from .choices import REASONS, Level, Stage

THANKS = "感谢您的评价！您的评价对被评价的工作人员匿名，我们会认真改进。"


def form_context(case: Case, **extra: Any) -> dict[str, Any]:
    stages = selectors.open_stages(case)
    return {
        "case": case,
        "stages": [(s, Stage(s).label) for s in stages],
        "done": list(selectors.case_ratings(case)),
        "levels": [(int(v), label) for v, label in Level.choices],
        "reasons": list(REASONS.items()),
        "post": {},
        "chosen_reasons": [],
        **extra,
    }


def _submit(
    request: HttpRequest, case: Case, write: Any, template: str, **extra: Any
) -> HttpResponse:
    try:
        write(
            stage=request.POST.get("stage", ""),
            level=request.POST.get("level", ""),
            reasons=request.POST.getlist("reasons"),
            comment=request.POST.get("comment", ""),
        )
    except DomainError as exc:
        context = form_context(
            case,
            error=exc,
            post=request.POST,
            chosen_reasons=request.POST.getlist("reasons"),
            **extra,
        )
        return render(request, template, context, status=exc.status)
    messages.success(request, THANKS)
    return redirect(request.path)


def rate_qr(request: HttpRequest, token: str) -> HttpResponse:
    try:
        case_id = tokens.case_id_from(token)
    except DomainError as exc:
        return render(request, "evaluation/rate_invalid.html", {"error": exc}, status=exc.status)
    case = Case.objects.select_related("version", "department", "window").filter(pk=case_id).first()
    if case is None:
        raise Http404("评价二维码对应的办件不存在。")
    if request.method == "POST":

        def write(**data: Any) -> Any:
            return services.rate_by_token(token=token, **data)

        return _submit(request, case, write, "evaluation/rate.html", via="qr")
    return render(request, "evaluation/rate.html", form_context(case, via="qr"))


@applicant_required
def rate_mine(request: HttpRequest, number: str) -> HttpResponse:
    user = request_actor(request)
    case = applicant_cases(user).select_related("window").filter(number=number).first()
    if case is None:
        raise Http404("没有找到该办件。")
    if request.method == "POST":

        def write(**data: Any) -> Any:
            return services.rate_online(case=case, actor=user, **data)

        return _submit(request, case, write, "evaluation/rate.html", via="online")
    return render(request, "evaluation/rate.html", form_context(case, via="online"))
