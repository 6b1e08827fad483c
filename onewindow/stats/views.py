"""Statistics pages (workbench): the figures with period and dimension pickers, charts, Excel
export; the periodic assessment reports. Thin: reads through selectors, writes through
services; bad input re-renders the page with the message (status 422), never a 500."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from onewindow.accounts.access import staff_required
from onewindow.accounts.selectors import has_permission, request_actor
from onewindow.core.errors import DomainError, InvalidInput
from onewindow.files.selectors import file_response

from . import charts, selectors, services
from .choices import REPORT_PERIODS, Dimension, PeriodKind
from .excel import table_workbook, trend_workbook, xlsx_response
from .periods import period_of


def _params(request: HttpRequest) -> dict[str, str]:
    keys = ("period", "on", "start", "end", "dimension", "region")
    return {k: request.GET.get(k, "").strip() for k in keys if request.GET.get(k, "").strip()}


def _drill(request: HttpRequest, params: dict[str, str]) -> str:
    """The page's address with `region=` left for the grid's tiles to fill in."""
    rest = {k: v for k, v in params.items() if k != "region"}
    return f"{request.path}?{urlencode({**rest, 'dimension': 'department'})}&region="


@staff_required("stats.view")
def overview(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    params = _params(request)
    context: dict[str, Any] = {
        "active": "stats",
        "params": params,
        "kinds": PeriodKind.choices,
        "dimensions": Dimension.choices,
        "columns": selectors.COLUMNS,
        "visit_baseline": selectors.visit_baseline(),
    }
    try:
        whole = selectors.scope_for_actor(actor)
        context["regions"] = selectors.region_choices(whole)
        period = selectors.period_from(params)
        dimension = selectors.check_dimension(params.get("dimension"))
        scope = selectors.scope_from(whole, params)
        table = selectors.figures(scope, period, dimension)
    except DomainError as error:
        context.update(error=error, period=period_of(PeriodKind.MONTH, selectors.today()))
        return render(request, "stats/overview.html", context, status=error.status)
    by_department = (
        table
        if dimension == Dimension.DEPARTMENT
        else selectors.figures(scope, period, Dimension.DEPARTMENT, ratings=False)
    )
    by_region = (
        table
        if dimension == Dimension.REGION
        else selectors.figures(scope, period, Dimension.REGION, ratings=False)
    )
    trend = selectors.monthly_trend(scope, min(period.end, selectors.today()))
    context.update(
        scope=scope,
        period=period,
        dimension=dimension,
        table=table,
        trend=trend,
        trend_chart=charts.trend_chart(trend),
        department_chart=charts.bar_chart(
            by_department.rows, title=f"{period.label}各部门办结件数与按时办结率"
        ),
        region_chart=charts.region_grid(
            selectors.region_tiles(scope, by_region),
            link=_drill(request, params),
            title=f"{period.label}{scope.label}下级区划按时办结率",
        ),
        export_url=f"{request.path}export.xlsx?{urlencode(params)}",
        trend_export_url=f"{request.path}export.xlsx?{urlencode({**params, 'table': 'trend'})}",
    )
    return render(request, "stats/overview.html", context)


@staff_required("stats.view")
def export(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    params = _params(request)
    try:
        period = selectors.period_from(params)
        dimension = selectors.check_dimension(params.get("dimension"))
        table = selectors.figures(
            selectors.scope_from(selectors.scope_for_actor(actor), params), period, dimension
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(f"/workbench/stats/?{urlencode(params)}")
    if request.GET.get("table") == "trend":
        points = selectors.monthly_trend(table.scope, min(period.end, selectors.today()))
        content = trend_workbook(points, table.scope.label)
        name = f"办件月度趋势-{points[0].period.start}至{points[-1].period.end}.xlsx"
        services.export_record(actor=actor, table=table, what="月度趋势")
    else:
        content = table_workbook(table)
        name = f"办件统计-按{table.dimension_label}-{period.start}至{period.end}.xlsx"
        services.export_record(actor=actor, table=table)
    return xlsx_response(content, name)


@staff_required("stats.view")
def reports(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    return render(
        request,
        "stats/reports.html",
        {
            "active": "stats",
            "reports": selectors.reports_for(actor)[:200],
            "requests": selectors.report_requests_open(actor),
            "report_kinds": list(REPORT_PERIODS.items()),
            "can_report": has_permission(actor, "stats.report"),
            "today": selectors.today(),
            "weights": selectors.current_weights(),
        },
    )


@require_POST
@staff_required("stats.report")
def report_generate(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    try:
        asked = services.report_request(
            actor=actor, kind=request.POST.get("period", ""), on=request.POST.get("on")
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("stats:reports")
    if asked.state == asked.State.DONE and asked.report is not None:
        report = asked.report
        messages.success(request, f"已生成：{report.title}（第 {report.revision} 次生成）")
    elif asked.state == asked.State.FAILED:
        messages.error(request, f"生成失败：{asked.error}")
    else:
        messages.success(
            request,
            f"已提交后台生成（{asked.get_period_display()}，{asked.start} 至 {asked.end}），"
            "生成后出现在下方列表，请稍后刷新本页。",
        )
    return redirect("stats:reports")


@staff_required("stats.view")
def report_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in ("pdf", "xlsx"):
        raise Http404("报告只有 PDF 和 Excel 两种文件。")
    try:
        report = selectors.report_get(request_actor(request), pk)
    except DomainError as error:
        raise Http404(error.message) from None
    stored = report.pdf if kind == "pdf" else report.xlsx
    return file_response(stored)


@require_POST
@staff_required("stats.report")
def weights_save(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    values: dict[str, int] = {}
    try:
        for name, label in services.WEIGHT_LABELS.items():
            raw = request.POST.get(name, "").strip()
            if not raw.isdigit():
                raise InvalidInput(f"{label}（{name}）请填写 0 到 100 的整数。", field=name)
            values[name] = int(raw)
        weights = services.weights_set(
            actor=actor, note=request.POST.get("note", "").strip()[:200], **values
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("stats:reports")
    messages.success(request, f"考核权重已更新：{weights}。此后生成的报告按新权重计分。")
    return redirect("stats:reports")
