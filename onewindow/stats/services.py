"""Writes of statistics: the working-day index derived from the calendar, the assessment
weights, and the periodic assessment reports (rendered, stored, listed)."""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import weasyprint
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook

from onewindow.accounts.models import User
from onewindow.accounts.selectors import audit_role
from onewindow.audit.services import audit_record
from onewindow.calendar.selectors import build_calendar, calendar_stamp
from onewindow.cases import clock
from onewindow.catalogue.notice import OfflineFetcher
from onewindow.core.errors import DomainError, InvalidInput
from onewindow.files.services import store_bytes
from onewindow.org.models import Department, Region

from . import charts, selectors
from .choices import REPORT_PERIODS, Dimension
from .excel import table_rows, write_sheet
from .models import DayIndex, DayIndexStamp, Report, ReportRequest, ScoreWeights
from .periods import Period, parse_period, previous
from .selectors import COLUMNS, Table

PDF_CSS = Path(__file__).parent / "templates" / "stats" / "pdf" / "report.css"


logger = logging.getLogger(__name__)


def _stamp_text() -> str:
    return repr(calendar_stamp())


def day_index_current() -> bool:
    stored = DayIndexStamp.objects.filter(pk=1).values_list("stamp", flat=True).first()
    return stored == _stamp_text()


def day_index_refresh() -> int:
    """Rebuild the day index from the published calendar (the contiguous run of years the case
    clock uses). Returns the number of days indexed. Runs after a year is published and, via
    `day_index_ensure`, whenever statistics find it stale."""
    with transaction.atomic():
        # one stamp row (pk 1), locked: two processes finding the index stale rebuild in turn
        DayIndexStamp.objects.get_or_create(
            pk=1, defaults={"stamp": "", "built_at": timezone.now()}
        )
        holder = DayIndexStamp.objects.select_for_update().get(pk=1)
        stamp = _stamp_text()
        if holder.stamp == stamp:
            return DayIndex.objects.count()
        calendar = build_calendar()
        rows: list[DayIndex] = []
        if calendar.first_day is not None and calendar.last_day is not None:
            day, ordinal = calendar.first_day, 0
            while day <= calendar.last_day:
                ordinal += calendar.is_working_day(day)
                rows.append(
                    DayIndex(date=day, workday_ordinal=ordinal, natural_ordinal=day.toordinal())
                )
                day += dt.timedelta(days=1)
        DayIndex.objects.all().delete()
        DayIndex.objects.bulk_create(rows, batch_size=2000)
        holder.stamp, holder.built_at = stamp, timezone.now()
        holder.save(update_fields=["stamp", "built_at"])
        audit_record(
            action="stats.day_index",
            role="system",
            object_type="stats.dayindex",
            summary=f"统计用工作日序号表已按工作日历重建（{len(rows)} 天）",
            after={"days": len(rows), "calendar": stamp},
        )
    return len(rows)


def day_index_ensure() -> None:
    """The day index matches the published calendar (rebuilt when a year was published or
    replaced since; two small queries otherwise)."""
    if not day_index_current():
        day_index_refresh()


# -- exports and reports ------------------------------------------------------------------------


def export_record(*, actor: User, table: Table, what: str = "") -> None:
    """An Excel export is a disclosure of figures: on record, who took which table."""
    what = what or f"按{table.dimension_label}"
    with transaction.atomic():
        audit_record(
            action="stats.export",
            actor=actor,
            role=audit_role(actor),
            object_type="stats.table",
            summary=f"导出统计表：{table.scope.label}，{what}，{table.period.label}",
            after={
                "dimension": table.dimension,
                "start": table.period.start.isoformat(),
                "end": table.period.end.isoformat(),
                "rows": len(table.rows),
            },
        )


def report_scope_of(actor: User) -> tuple[Region, Department | None]:
    """The scope a page-generated report covers: the top of the actor's jurisdiction for
    `stats.report` (and their department when every scope has the same one)."""
    scope = selectors.scope_for_actor(actor, permission="stats.report")
    if scope.root is None:
        raise InvalidInput(
            "您的管辖范围不在同一区划下，请用命令 onewindow report --region 指定区划。"
        )
    departments = {d for _p, d in scope.reach.scopes}
    department = None
    only = departments.pop() if len(departments) == 1 else None
    if only is not None:
        department = Department.objects.get(pk=only)
    return scope.root, department


def report_request(*, actor: User, kind: str, on: str | None) -> ReportRequest:
    """Ask for the report of the period of `kind` containing `on` over the actor's scope: checked
    here (an unknown period or date is refused, naming the field), generated by the background
    worker (`tasks.report_request_task`), which the queue in this database receives in the
    same transaction. Where tasks run at once (the immediate backend) it is done on return."""
    from .tasks import report_request_task

    kind = (kind or "").strip()
    if kind not in REPORT_PERIODS:
        names = "、".join(f"{k}（{v}）" for k, v in REPORT_PERIODS.items())
        raise InvalidInput(
            f"报告周期（period）“{kind[:20]}”不存在，请选择：{names}。", field="period"
        )
    period = parse_period(kind=kind, on=on, today=selectors.today())
    region, department = report_scope_of(actor)
    with transaction.atomic():
        request = ReportRequest.objects.create(
            period=period.kind,
            start=period.start,
            end=period.end,
            region=region,
            department=department,
            requested_by=actor,
        )
        audit_record(
            action="stats.report_request",
            actor=actor,
            role=audit_role(actor),
            obj=request,
            summary=f"申请生成考核报告（{period.kind}，{period.start} 至 {period.end}）",
        )
        report_request_task.enqueue(request.pk)
    request.refresh_from_db()
    return request


def report_request_run(request_id: int) -> ReportRequest:
    """Generate what a queued `ReportRequest` asks for and record the outcome on it. A refusal
    (say, a calendar year not yet published) is recorded with its message; anything else is
    recorded and raised again, so the worker keeps the traceback."""
    request = ReportRequest.objects.select_related("region", "department", "requested_by").get(
        pk=request_id
    )
    if request.state != ReportRequest.State.QUEUED:
        return request  # run twice (a retried task): once is enough
    period = Period(kind=request.period, start=request.start, end=request.end)
    try:
        report = report_generate(
            period=period,
            region=request.region,
            department=request.department,
            actor=request.requested_by,
        )
    except DomainError as error:
        _request_finished(request, ReportRequest.State.FAILED, error=error.message)
        return request
    except Exception:
        _request_finished(request, ReportRequest.State.FAILED, error="内部错误，已记录，请稍后重试")
        raise
    _request_finished(request, ReportRequest.State.DONE, report=report)
    return request


def _request_finished(
    request: ReportRequest, state: str, *, report: Report | None = None, error: str = ""
) -> None:
    request.state = state
    request.report = report
    request.error = error[:500]
    request.finished_at = timezone.now()
    request.save(update_fields=["state", "report", "error", "finished_at"])


WEIGHT_LABELS = {
    "on_time": "按时办结率权重",
    "satisfaction": "满意率权重",
    "rectification": "差评整改率权重",
    "workload": "工作量权重",
}


def weights_set(
    *,
    actor: User | None,
    on_time: int,
    satisfaction: int,
    rectification: int,
    workload: int,
    note: str = "",
) -> ScoreWeights:
    """New assessment weights (percent; they must add up to 100). Kept as a new row, so that
    every report can say which weights it used."""
    values = {
        "on_time": on_time,
        "satisfaction": satisfaction,
        "rectification": rectification,
        "workload": workload,
    }
    for name, value in values.items():
        if not 0 <= value <= 100:
            raise InvalidInput(
                f"{WEIGHT_LABELS[name]}（{name}）应在 0 到 100 之间，请改正。", field=name
            )
    if sum(values.values()) != 100:
        raise InvalidInput(
            f"四项权重合计为 {sum(values.values())}%，应为 100%，请调整后再保存。", field="on_time"
        )
    with transaction.atomic():
        weights = ScoreWeights.objects.create(**values, note=note, set_by=actor)
        audit_record(
            action="stats.weights",
            actor=actor,
            role=audit_role(actor),
            obj=weights,
            summary=f"设置考核权重：{weights}",
            after=values,
        )
    return weights


@dataclass
class ReportData:
    title: str
    scope: selectors.Scope
    period: Period
    total: selectors.Row
    departments: selectors.Table
    windows: list[selectors.Score]
    staff: list[selectors.Score]
    weights: ScoreWeights
    previous: selectors.Row


def report_data(*, period: Period, region: Region, department: Department | None) -> ReportData:
    scope = selectors.scope_for_region(region, department)
    weights = selectors.current_weights()
    departments = selectors.figures(scope, period, Dimension.DEPARTMENT)
    windows = selectors.figures(scope, period, Dimension.WINDOW)
    staff = selectors.figures(scope, period, Dimension.STAFF)
    before = selectors.figures(scope, previous(period), Dimension.CHANNEL, ratings=False).total
    name = REPORT_PERIODS.get(period.kind, "统计")
    title = f"{scope.label}{period.label}{name}报告"
    return ReportData(
        title=title,
        scope=scope,
        period=period,
        total=departments.total,
        departments=departments,
        windows=selectors.scores(windows, weights),
        staff=selectors.scores(staff, weights),
        weights=weights,
        previous=before,
    )


SCORE_COLUMNS: list[tuple[str, str, str]] = [
    ("score", "综合得分", "d"),
    ("completed", "办结", "n"),
    ("on_time_rate", "按时办结率", "r"),
    ("satisfaction_rate", "满意率", "r"),
    ("rectification_rate", "差评整改率", "r"),
    ("workload", "工作量系数", "r"),
    ("accepted", "受理", "n"),
    ("overdue", "超期办结", "n"),
]


def _score_line(s: selectors.Score) -> list[Any]:
    values: list[Any] = [s.row.label]
    for name, _label, _kind in SCORE_COLUMNS:
        if name == "score":
            values.append(round(s.score, 2) if s.score is not None else None)
        elif name == "workload":
            values.append(s.workload)
        else:
            values.append(getattr(s.row, name))
    return values


def report_workbook(data: ReportData) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "概况"
    heading = [data.title, f"统计周期：{data.period.start} 至 {data.period.end}"]
    write_sheet(
        summary,
        heading=heading,
        columns=COLUMNS,
        rows=[
            [f"本期（{data.period.label}）", *[getattr(data.total, n) for n, _l, _k in COLUMNS]],
            ["上期", *[getattr(data.previous, n) for n, _l, _k in COLUMNS]],
        ],
        first_label="周期",
    )
    write_sheet(
        book.create_sheet("按部门"),
        heading=heading,
        columns=COLUMNS,
        rows=table_rows(data.departments),
        first_label="部门",
    )
    w = data.weights
    weight_line = (
        f"考核权重：按时办结率 {w.on_time}%、满意率 {w.satisfaction}%、差评整改率 "
        f"{w.rectification}%、工作量 {w.workload}%（无数据的指标不计，其余按比例折算）"
    )
    for title, scored, label in (
        ("窗口考核", data.windows, "窗口"),
        ("人员考核", data.staff, "工作人员"),
    ):
        write_sheet(
            book.create_sheet(title),
            heading=[*heading, weight_line],
            columns=SCORE_COLUMNS,
            rows=[_score_line(s) for s in scored],
            first_label=label,
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_pdf(data: ReportData) -> bytes:
    context = {
        "css": PDF_CSS.read_text(encoding="utf-8"),
        "data": data,
        "centre_name": settings.ONEWINDOW_CENTRE_NAME,
        "columns": [c for c in COLUMNS if c[0] not in ("pending_overdue", "avg_promised")],
        "score_columns": SCORE_COLUMNS,
        "headline": _headline(data.total),
        "previous": _headline(data.previous),
        "department_chart": charts.bar_chart(
            data.departments.rows, title=f"{data.period.label}各部门办结件数", limit=10
        ),
        "generated_on": clock.today(),
    }
    html = render_to_string("stats/pdf/report.html", context)
    pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=OfflineFetcher()).write_pdf()
    return bytes(pdf)


def _headline(row: selectors.Row) -> dict[str, Any]:
    return {
        "received": row.received,
        "accepted": row.accepted,
        "completed": row.completed,
        "on_time": row.on_time,
        "overdue": row.overdue,
        "pending": row.pending,
        "on_time_rate": row.on_time_rate,
        "compression": row.compression,
        "avg_actual": row.avg_actual,
        "avg_statutory": row.avg_statutory,
        "immediate_share": row.immediate_share,
        "online_share": row.online_share,
        "visits_saved": row.visits_saved,
        "satisfaction_rate": row.satisfaction_rate,
        "rectification_rate": row.rectification_rate,
    }


def report_generate(
    *, period: Period, region: Region, department: Department | None, actor: User | None
) -> Report:
    """Render the periodic assessment report of `period` for a region (and department) as PDF
    and Excel, keep both files, and list it. The same period and scope again replaces the files
    of the one report (its `revision` goes up): never a duplicate."""
    if period.kind not in REPORT_PERIODS:
        raise InvalidInput(
            "考核报告按日、周、月、季度生成，请选择 day、week、month 或 quarter。", field="period"
        )
    data = report_data(period=period, region=region, department=department)
    pdf = report_pdf(data)
    xlsx = report_workbook(data)
    stem = f"{data.title}-{period.start}"
    with transaction.atomic():
        pdf_file = store_bytes(content=pdf, name=f"{stem}.pdf", actor=actor, allowed=("pdf",))
        xlsx_file = store_bytes(content=xlsx, name=f"{stem}.xlsx", actor=actor, allowed=("xlsx",))
        existing = (
            Report.objects.select_for_update()
            .filter(period=period.kind, start=period.start, region=region, department=department)
            .first()
        )
        fields = {
            "end": period.end,
            "title": data.title,
            "pdf": pdf_file,
            "xlsx": xlsx_file,
            "headline": _jsonable(_headline(data.total)),
            "weights": {
                "on_time": data.weights.on_time,
                "satisfaction": data.weights.satisfaction,
                "rectification": data.weights.rectification,
                "workload": data.weights.workload,
            },
            "generated_at": timezone.now(),
            "generated_by": actor,
        }
        if existing is None:
            report = Report.objects.create(
                period=period.kind,
                start=period.start,
                region=region,
                department=department,
                **fields,
            )
        else:
            for key, value in fields.items():
                setattr(existing, key, value)
            existing.revision += 1
            existing.save()
            report = existing
        audit_record(
            action="stats.report",
            actor=actor,
            role=audit_role(actor),
            obj=report,
            summary=f"生成{report.title}（第 {report.revision} 次）",
            after={"pdf": pdf_file.sha256, "xlsx": xlsx_file.sha256, "revision": report.revision},
        )
    return report


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in values.items()}
