"""The statistics pages and the Excel export, as the supervisor, a department head and the
administrators see them."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from onewindow.audit.models import AuditEntry
from onewindow.core.demo_county import COUNTY_CODE
from onewindow.org.models import Region
from onewindow.stats import selectors
from onewindow.stats.choices import Dimension, PeriodKind
from onewindow.stats.periods import period_of

from .conftest import END

pytestmark = pytest.mark.django_db

YEAR = f"?period=year&on={END.isoformat()}"


def test_supervisor_sees_figures_table_and_charts(history: int, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("jiancha")
    response = client.get(f"/workbench/stats/{YEAR}&dimension=department")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") == 3
    assert "月度办件趋势" in html and "按时办结率" in html and "各部门办结件数" in html
    total = selectors.figures(
        selectors.scope_for_region(Region.objects.get(code=COUNTY_CODE)),
        period_of(PeriodKind.YEAR, END),
        Dimension.DEPARTMENT,
    ).total
    assert f'<span class="v">{total.received}</span><span class="k">收件</span>' in html
    assert "统计分析" in html  # the menu entry
    assert "style=" not in html and "<script" not in html  # CSP: no inline style or script


@pytest.mark.parametrize("dimension", Dimension.values)
def test_every_dimension_renders(history: int, as_user, dimension: str) -> None:  # type: ignore[no-untyped-def]
    response = as_user("jiancha").get(f"/workbench/stats/{YEAR}&dimension={dimension}")
    assert response.status_code == 200
    assert f"按{Dimension(dimension).label}统计" in response.content.decode()


def test_department_head_sees_only_their_department(history: int, as_user) -> None:  # type: ignore[no-untyped-def]
    html = as_user("scjg_fzr").get(f"/workbench/stats/{YEAR}&dimension=department").content
    text = html.decode()
    assert "市场监督管理局" in text
    assert "公安局" not in text.split("<table")[1]


@pytest.mark.parametrize("username", ["xitong", "anquan", "shenji", "zc01", "scjg_sp2"])
def test_no_business_figures_for_admins_or_counter(db: None, as_user, username: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(username)
    assert client.get("/workbench/stats/").status_code == 403
    assert client.get("/workbench/stats/export.xlsx").status_code == 403
    assert client.get("/workbench/stats/reports/").status_code == 403


def test_anonymous_is_sent_to_sign_in(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/workbench/stats/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("query", "field_words"),
    [
        (
            "?period=custom&start=2026-10-31&end=2026-10-01",
            "结束日期（end）2026-10-01 早于开始日期",
        ),
        ("?dimension=colour", "统计维度（dimension）“colour”不存在"),
        ("?period=fortnight", "统计周期“fortnight”不存在"),
        ("?period=month&on=31-10-2026", "请按 2026-10-31 的格式填写"),
        ("?period=custom", "自定义周期需要开始日期（start）"),
    ],
)
def test_bad_input_gives_a_chinese_message(db: None, as_user, query: str, field_words: str) -> None:  # type: ignore[no-untyped-def]
    response = as_user("jiancha").get(f"/workbench/stats/{query}")
    assert response.status_code == 422
    assert field_words in response.content.decode()


def test_excel_export_has_the_same_numbers(history: int, as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user("jiancha").get(f"/workbench/stats/export.xlsx{YEAR}&dimension=channel")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    table = selectors.figures(
        selectors.scope_for_region(Region.objects.get(code=COUNTY_CODE)),
        period_of(PeriodKind.YEAR, END),
        Dimension.CHANNEL,
    )
    header = [c.value for c in sheet[3]]
    assert header[0] == "渠道" and header[1:] == [label for _n, label, _k in selectors.COLUMNS]
    lines = {row[0]: row[1:] for row in sheet.iter_rows(min_row=4, values_only=True)}
    for row in [*table.rows, table.total]:
        got = lines[row.label]
        for (name, _label, kind), value in zip(selectors.COLUMNS, got, strict=True):
            want = getattr(row, name)
            if want is None:
                assert value is None
            elif kind == "n":
                assert value == want
            else:
                assert value == pytest.approx(want, abs=0.01)
    assert AuditEntry.objects.filter(action="stats.export").exists()


def test_bad_export_request_goes_back_with_the_message(db: None, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("jiancha")
    response = client.get("/workbench/stats/export.xlsx?dimension=colour", follow=True)
    assert response.status_code == 422
    assert "统计维度（dimension）“colour”不存在" in response.content.decode()


def test_trend_table_exports_too(history: int, as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user("jiancha").get(f"/workbench/stats/export.xlsx{YEAR}&table=trend")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    lines = list(sheet.iter_rows(min_row=4, values_only=True))
    points = selectors.monthly_trend(
        selectors.scope_for_region(Region.objects.get(code=COUNTY_CODE)),
        min(period_of(PeriodKind.YEAR, END).end, selectors.today()),
    )
    assert len(lines) == 12
    assert [(r[0], r[1], r[2]) for r in lines] == [
        (p.period.label, p.received, p.completed) for p in points
    ]


def test_narrowing_to_a_town(history: int, town_cases: list[int], as_user) -> None:  # type: ignore[no-untyped-def]
    from onewindow.cases.models import Case

    client = as_user("jiancha")
    town = Region.objects.get(name="城关街道")
    html = client.get(f"/workbench/stats/?period=month&on=2026-10-12&region={town.code}").content
    text = html.decode()
    wanted = Case.objects.filter(region_path__startswith=town.path).count()
    assert f'<span class="v">{wanted}</span><span class="k">收件</span>' in text
    assert '统计分析<small class="muted"> · 城关街道' in text
    # the grid's tiles link to the towns
    county_page = client.get("/workbench/stats/?period=month&on=2026-10-12").content.decode()
    assert f"region={town.code}" in county_page
    missing = client.get("/workbench/stats/?region=999999999999")
    assert missing.status_code == 404
    assert "区划代码（region）“999999999999”不存在" in missing.content.decode()


def test_a_town_head_cannot_look_at_another_town(db: None, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("chengguan_fzr")
    own = client.get("/workbench/stats/?region=610799001000")
    assert own.status_code == 200
    other = client.get("/workbench/stats/?region=610799002000")
    assert other.status_code == 404
    assert "东城街道不在您的管辖范围内" in other.content.decode()
    county = client.get("/workbench/stats/?region=610799000000")
    assert county.status_code == 200  # narrowed to what of the county is theirs: their town
    assert "东城街道" not in county.content.decode().split("<table")[1]
