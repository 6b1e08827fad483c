"""The periodic assessment (日督查、周回访、月评议、季考核): reports as PDF (Chinese text read
back with pdftotext) and Excel, scores from the weights, kept once per period and scope."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from onewindow.accounts.models import User
from onewindow.audit.models import AuditEntry
from onewindow.core.demo_county import COUNTY_CODE
from onewindow.core.errors import InvalidInput
from onewindow.files.selectors import read_verified
from onewindow.org.models import Region
from onewindow.stats import selectors, services
from onewindow.stats.choices import Dimension, PeriodKind
from onewindow.stats.models import Report, ScoreWeights
from onewindow.stats.periods import Period, period_of

from .conftest import END

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.pdf"
        path.write_bytes(content)
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout


def county() -> Region:
    return Region.objects.get(code=COUNTY_CODE)


def test_month_report_pdf_and_excel(history: int) -> None:
    period = period_of(PeriodKind.QUARTER, END)
    report = services.report_generate(period=period, region=county(), department=None, actor=None)
    assert report.title == "青溪县2026年第4季度季考核报告"
    text = pdf_text(read_verified(report.pdf))
    assert "青溪县2026年第4季度季考核报告" in text.replace(" ", "")
    assert "窗口考核" in text and "工作人员考核" in text and "按时办结率" in text
    book = load_workbook(io.BytesIO(read_verified(report.xlsx)))
    assert book.sheetnames == ["概况", "按部门", "窗口考核", "人员考核"]
    table = selectors.figures(selectors.scope_for_region(county()), period, Dimension.CHANNEL)
    summary = book["概况"]
    header = [c.value for c in summary[3]]
    current = [c.value for c in summary[4]]
    assert current[header.index("收件")] == table.total.received
    assert current[header.index("办结")] == table.total.completed
    assert report.headline["completed"] == table.total.completed


def test_same_period_twice_is_one_report(history: int) -> None:
    period = period_of(PeriodKind.MONTH, dt.date(2026, 10, 31))
    supervisor = User.objects.get(username="jiancha")
    first = services.report_generate(period=period, region=county(), department=None, actor=None)
    again = services.report_generate(
        period=period, region=county(), department=None, actor=supervisor
    )
    assert first.pk == again.pk and again.revision == 2
    assert Report.objects.count() == 1
    assert AuditEntry.objects.filter(action="stats.report").count() == 2
    services.report_generate(
        period=period_of(PeriodKind.WEEK, END), region=county(), department=None, actor=None
    )
    assert Report.objects.count() == 2


def test_scores_follow_the_weights(history: int) -> None:
    period = Period(PeriodKind.CUSTOM, dt.date(2025, 10, 1), END)
    scope = selectors.scope_for_region(county())
    windows = selectors.figures(scope, period, Dimension.WINDOW)
    weights = ScoreWeights(on_time=50, satisfaction=0, rectification=0, workload=50)
    scored = selectors.scores(windows, weights)
    assert scored and all(s.row.key is not None for s in scored)
    busiest = max(s.row.completed for s in scored)
    for s in scored:
        if s.row.completed == 0:
            assert s.score is None
            continue
        expected = 100 * (0.5 * s.row.on_time_rate + 0.5 * s.row.completed / busiest)
        assert s.score == pytest.approx(expected)
    # only on-time counts
    only = selectors.scores(
        windows, ScoreWeights(on_time=100, satisfaction=0, rectification=0, workload=0)
    )
    for s in only:
        if s.row.completed:
            assert s.score == pytest.approx(100 * s.row.on_time_rate)
    assert [s.score for s in scored] == sorted(
        [s.score for s in scored], key=lambda v: -(v if v is not None else -1)
    )


def test_weights_are_data_and_must_add_up(db: None) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.weights_set(actor=None, on_time=50, satisfaction=30, rectification=10, workload=20)
    assert "合计为 110%" in exc.value.message
    weights = services.weights_set(
        actor=None, on_time=60, satisfaction=20, rectification=10, workload=10
    )
    assert selectors.current_weights() == weights
    assert AuditEntry.objects.filter(action="stats.weights").exists()


def test_command_generates_and_does_not_duplicate(history: int) -> None:
    out = io.StringIO()
    call_command("report", "--period", "month", "--on", "2026-10-31", stdout=out)
    call_command("report", "--period", "month", "--on", "2026-10-15", stdout=out)
    assert "青溪县2026年10月月评议报告" in out.getvalue()
    assert Report.objects.filter(period="month").count() == 1
    assert Report.objects.get(period="month").revision == 2
    with pytest.raises(CommandError, match="不是有效日期"):
        call_command("report", "--period", "month", "--on", "2026-02-30")
    with pytest.raises(CommandError, match="区划代码"):
        call_command("report", "--period", "day", "--region", "999999999999")


def test_report_pages(history: int, as_user) -> None:  # type: ignore[no-untyped-def]
    supervisor = as_user("jiancha")
    response = supervisor.post(
        "/workbench/stats/reports/generate/", {"period": "month", "on": "2026-10-30"}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "已生成：青溪县2026年10月月评议报告" in html
    report = Report.objects.get()
    pdf = supervisor.get(f"/workbench/stats/reports/{report.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    assert supervisor.get(f"/workbench/stats/reports/{report.pk}/xlsx/").status_code == 200
    assert supervisor.get(f"/workbench/stats/reports/{report.pk}/doc/").status_code == 404
    bad = supervisor.post("/workbench/stats/reports/generate/", {"period": "year"}, follow=True)
    assert "报告周期（period）“year”不存在" in bad.content.decode()
    # a department head reads statistics but neither generates nor sees the county's report
    head = as_user("scjg_fzr")
    assert head.get("/workbench/stats/reports/").status_code == 200
    assert head.post("/workbench/stats/reports/generate/", {"period": "day"}).status_code == 403
    assert head.get(f"/workbench/stats/reports/{report.pk}/pdf/").status_code == 404


def test_weights_page(db: None, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("jiancha")
    data = {"on_time": "50", "satisfaction": "30", "rectification": "10", "workload": "20"}
    bad = client.post("/workbench/stats/reports/weights/", data, follow=True)
    assert "四项权重合计为 110%" in bad.content.decode()
    data["on_time"] = "abc"
    bad = client.post("/workbench/stats/reports/weights/", data, follow=True)
    assert "按时办结率权重（on_time）请填写 0 到 100 的整数" in bad.content.decode()
    data["on_time"] = "40"
    ok = client.post("/workbench/stats/reports/weights/", data, follow=True)
    assert "考核权重已更新" in ok.content.decode()
    assert selectors.current_weights().on_time == 40
    assert as_user("scjg_fzr").post("/workbench/stats/reports/weights/", data).status_code == 403


@pytest.mark.usefixtures("db_queue")
def test_a_report_asked_for_on_the_page_is_made_by_the_worker(as_user: Any) -> None:
    """With the database queue the page returns at once and lists the request as queued; the
    worker's run makes the report, and the list of requests empties. A refusal the worker meets
    is shown on the page with its message."""
    from onewindow.stats.models import ReportRequest

    supervisor = as_user("jiancha")
    response = supervisor.post(
        "/workbench/stats/reports/generate/", {"period": "month", "on": "2026-10-30"}, follow=True
    )
    html = response.content.decode()
    assert "已提交后台生成" in html and "排队生成中" in html
    asked = ReportRequest.objects.get()
    assert asked.state == "queued" and not Report.objects.exists()
    assert AuditEntry.objects.filter(action="stats.report_request").count() == 1

    call_command("worker", "--once", "--job", "notify.retry", verbosity=0)
    asked.refresh_from_db()
    assert asked.state == "done" and asked.report is not None
    assert asked.report.title == "青溪县2026年10月月评议报告"
    assert "排队生成中" not in supervisor.get("/workbench/stats/reports/").content.decode()
