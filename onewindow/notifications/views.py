"""Staff page: the outbox of every channel, failed and dead first, with a resend button."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from onewindow.accounts.access import staff_required
from onewindow.accounts.selectors import has_permission, request_actor
from onewindow.core.errors import DomainError, NotFound

from . import selectors, services
from .choices import RESENDABLE, Channel, MessageStatus
from .models import Message
from .presentation import masked_address


def _filters_from(data: QueryDict) -> dict[str, str]:
    return {
        "status": data.get("status", "").strip()[:16],
        "channel": data.get("channel", "").strip()[:16],
        "topic": data.get("topic", "").strip()[:64],
    }


@staff_required("notify.view")
def outbox(request: HttpRequest) -> HttpResponse:
    filters = _filters_from(request.GET)
    page = Paginator(selectors.outbox(**filters), 50).get_page(request.GET.get("page"))
    rows = [
        {"m": m, "address": masked_address(m.phone, m.email), "resendable": m.status in RESENDABLE}
        for m in page
    ]
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "notifications/outbox.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "query": query,
            "statuses": MessageStatus.choices,
            "channels": Channel.choices,
            "topics": selectors.topics(),
            "can_resend": has_permission(request_actor(request), "notify.retry"),
        },
    )


@require_POST
@staff_required("notify.retry")
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    message = Message.objects.filter(pk=pk).first()
    try:
        if message is None:
            raise NotFound("没有这条消息。")
        services.resend(message=message, actor=request_actor(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已重新发送，结果见下表。")
    back = urlencode({k: v for k, v in _filters_from(request.POST).items() if v})
    return redirect(reverse("notifications:outbox") + (f"?{back}" if back else ""))
