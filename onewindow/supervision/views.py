"""Supervision pages (电子监察): the board, the anomalies, one case's timeline, the ladder.
Thin: reads through selectors, writes through services; a bad filter is a 400 page that says
which filter is wrong and how to fix it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from onewindow.accounts.access import staff_required
from onewindow.accounts.selectors import has_permission, request_actor
from onewindow.cases import clock
from onewindow.cases.selectors import category_counts
from onewindow.core.errors import DomainError, InvalidInput, NotFound
from onewindow.stats.excel import xlsx_response

from . import exports, selectors, services
from .choices import STATE_LABELS, AlertState, AnomalyKind, NoticeRole

PER_PAGE = 30


@staff_required("supervision.view")
def board(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    on = clock.today()
    view = request.GET.get("view", "cases")
    context: dict[str, Any] = {
        "on": on,
        "view": view if view in ("cases", "steps") else "cases",
        "choices": selectors.filter_choices(actor),
        "raw": {k: request.GET.get(k, "") for k in selectors.FILTER_KEYS},
        "labels": STATE_LABELS,
    }
    try:
        filters = selectors.parse_filters(actor, request.GET)
    except InvalidInput as exc:
        context["error"] = exc
        return render(request, "supervision/board.html", context, status=400)
    cases = selectors.board_cases(actor, filters, on)
    steps = selectors.board_steps(actor, filters, on)
    page: Page[Any]
    rows: list[Any]
    if context["view"] == "steps":
        page = Paginator(steps, PER_PAGE).get_page(request.GET.get("page"))
        rows = selectors.with_holders(list(page), on)
    else:
        page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
        rows = selectors.with_open_steps(list(page), on)
    query = urlencode({**filters.query, "view": context["view"]})
    others = {k: v for k, v in filters.query.items() if k != "state"}
    state_links = {
        s: urlencode({**others, "state": s, "view": context["view"]})
        for s in [*STATE_LABELS, selectors.PAUSED]
    }
    context |= {
        "filters": filters,
        "page": page,
        "rows": rows,
        "query": query,
        "filter_query": urlencode(filters.query),
        "state_links": state_links,
        "all_link": urlencode({**others, "view": context["view"]}),
        "tab_links": {v: urlencode({**filters.query, "view": v}) for v in ("cases", "steps")},
        "export_links": {t: urlencode({**filters.query, "table": t}) for t in ("cases", "steps")},
        "warning_days": settings.ONEWINDOW_WARNING_DAYS,
        "warning_percent": round(settings.ONEWINDOW_WARNING_FRACTION * 100),
        "case_counts": selectors.board_state_counts(actor, filters, on),
        "step_counts": selectors.state_counts(steps),
        "categories": [
            (label, n)
            for (key, label), n in zip(
                selectors.CATEGORIES.items(), category_counts(cases).values(), strict=True
            )
        ],
        "anomalies": selectors.anomaly_counts(actor, on),
        "last_sweep": selectors.last_sweep(),
    }
    return render(request, "supervision/board.html", context)


@staff_required("supervision.view")
def anomalies(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    on = clock.today()
    kind = request.GET.get("kind", AnomalyKind.REPEATED_SUPPLEMENT)
    context: dict[str, Any] = {"kinds": selectors.anomaly_counts(actor, on), "kind": kind}
    try:
        cases = selectors.anomaly_cases(actor, kind, on)
    except InvalidInput as exc:
        context["error"] = exc
        return render(request, "supervision/anomalies.html", context, status=400)
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    details = selectors.anomaly_details(list(page), kind, on)
    context |= {
        "label": AnomalyKind(kind).label,
        "page": page,
        "rows": [(c, details.get(c.pk, "")) for c in page],
        "query": urlencode({"kind": kind}),
    }
    return render(request, "supervision/anomalies.html", context)


# -- Excel exports (exports.py): every matching row, in the viewer's jurisdiction --------------


@staff_required("supervision.view")
def board_export(request: HttpRequest) -> HttpResponse:
    """One of the board's two tables with the page's filters, every matching row."""
    actor = request_actor(request)
    on = clock.today()
    table = request.GET.get("table", "cases")
    back = f"{reverse('supervision:board')}?"
    if table not in exports.BOARD_TABLES:
        messages.error(request, f"表格“{table[:20]}”不存在，请选择运行中的办件或待办环节。")
        return redirect(back)
    try:
        filters = selectors.parse_filters(actor, request.GET)
    except InvalidInput:
        # the board shows which filter is wrong and how to fix it
        query = {k: request.GET.get(k, "") for k in selectors.FILTER_KEYS if request.GET.get(k)}
        return redirect(back + urlencode({**query, "view": table}))
    title, export = exports.board_workbook(actor, table, filters, on)
    services.export_record(
        actor=actor, table=title, filters=filters.query, rows=export.rows, capped=export.capped
    )
    return xlsx_response(export.content, f"电子监察-{title}-{on:%Y-%m-%d}.xlsx")


@staff_required("supervision.view")
def anomalies_export(request: HttpRequest) -> HttpResponse:
    """One kind of anomaly's table, every case of it in the viewer's jurisdiction."""
    actor = request_actor(request)
    on = clock.today()
    kind = request.GET.get("kind", AnomalyKind.REPEATED_SUPPLEMENT)
    try:
        title, export = exports.anomalies_workbook(actor, kind, on)
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect("supervision:anomalies")
    services.export_record(
        actor=actor, table=title, filters={"kind": kind}, rows=export.rows, capped=export.capped
    )
    return xlsx_response(export.content, f"电子监察-{title}-{on:%Y-%m-%d}.xlsx")


@staff_required("supervision.view")
def case(request: HttpRequest, number: str) -> HttpResponse:
    try:
        view = selectors.case_view(request_actor(request), number)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return render(request, "supervision/case.html", {"v": view, "c": view.case})


@staff_required("supervision.view")
def ladder(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    can_manage = has_permission(actor, "supervision.manage")
    error: DomainError | None = None
    if request.method == "POST":
        if not can_manage:
            error = DomainError("只有中心电子监察岗可以修改预警升级规则。")
        else:
            rules = {str(r.pk): r for r in selectors.escalation_ladder()}
            pk = request.POST.get("rule", "")
            try:
                services.escalation_rule_save(
                    actor=actor,
                    rule=rules.get(pk),
                    level=_int(request.POST.get("level", ""), "级别", "level"),
                    state=request.POST.get("state", ""),
                    after_days=_int(
                        request.POST.get("after_days", ""), "超期后工作日数", "after_days"
                    ),
                    role=request.POST.get("role", ""),
                    template=request.POST.get("template", ""),
                    active=request.POST.get("active") == "1",
                )
            except DomainError as exc:
                error = exc
            else:
                messages.success(request, "预警升级规则已保存，下次巡查起生效。")
                return redirect("supervision:ladder")
    form: Any = request.POST
    if request.method != "POST":
        wanted = _int_or_none(request.GET.get("rule"))
        chosen = selectors.escalation_ladder().filter(pk=wanted or 0).first()
        form = (
            {
                "rule": str(chosen.pk),
                "level": chosen.level,
                "state": chosen.state,
                "after_days": chosen.after_days,
                "role": chosen.role,
                "template": chosen.template,
                "active": "1" if chosen.active else "",
            }
            if chosen is not None
            else {"active": "1"}
        )
    return render(
        request,
        "supervision/ladder.html",
        {
            "rules": selectors.escalation_ladder(),
            "can_manage": can_manage,
            "error": error,
            "post": form,
            "states": AlertState.choices,
            "roles": NoticeRole.choices,
            "placeholders": services.PLACEHOLDERS,
            "last_sweep": selectors.last_sweep(),
        },
        status=error.status if error else 200,
    )


def _int(value: str, label: str, field: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidInput(f"「{label}」应填整数，例如 2。", field=field) from None


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None
