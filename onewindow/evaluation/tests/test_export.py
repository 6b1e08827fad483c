"""The 好差评 staff lists as Excel: the same rows and the same masking as the pages (ratings are
anonymous to the rated staff member; the applicant only for the supervisor), by the pages'
permissions, audited, text never a formula."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from onewindow.audit.models import AuditEntry
from onewindow.cases.models import Case
from onewindow.evaluation import selectors, services, tokens

from .conftest import Days, applicant, food_case, seal_case, user

pytestmark = pytest.mark.django_db

RATINGS = "/workbench/evaluation/export.xlsx"
MINE = "/workbench/evaluation/mine/export.xlsx"
TASKS = "/workbench/evaluation/rectifications/export.xlsx"
EVIL = '=HYPERLINK("http://example.com","点我")'


def sheet_of(response: Any) -> Worksheet:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert isinstance(sheet, Worksheet)
    return sheet


def table(sheet: Worksheet) -> list[dict[str, Any]]:
    """The rows below the header row (the first row whose first cell is a column name), as
    dicts by column name."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] in ("时间", "日期", "编号"))
    names = [str(n) for n in rows[start] if n]
    return [dict(zip(names, r, strict=False)) for r in rows[start + 1 :]]


@pytest.fixture
def rated(days: Days) -> Case:
    """食品经营许可: accepted by zc01 (rated 不满意 with a comment starting with =), finished by
    scjg_fzr (rated 非常满意)."""
    case = food_case()
    owner = applicant("13900000012")
    services.rate_online(
        case=case, actor=owner, stage="acceptance", level=2, reasons=["attitude"], comment=EVIL
    )
    services.rate_online(case=case, actor=owner, stage="completion", level=5)
    return case


def test_the_ratings_export_holds_the_visible_ratings_masked_as_on_the_page(as_user, rated) -> None:  # type: ignore[no-untyped-def]
    # the supervisor: every rating in the county, with the case and the applicant
    expected = list(selectors.ratings_visible(user("jiancha")))
    response = as_user("jiancha").get(RATINGS)
    assert "好差评" in unquote(response["Content-Disposition"])
    rows = table(sheet_of(response))
    assert len(rows) == len(expected) == 2
    for row, rating in zip(rows, expected, strict=True):
        assert row["办件"] == rated.number and row["申请人"] == rated.applicant_name
        assert row["评价"] == rating.get_level_display()
    # the department head: the case of the acceptance rating, never the applicant, and nothing
    # of the completion rating, which is about their own service (as `identity_for` rules)
    rows = table(sheet_of(as_user("scjg_fzr").get(RATINGS)))
    assert len(rows) == selectors.ratings_visible(user("scjg_fzr")).count() == 2
    by_stage = {r["环节"]: r for r in rows}
    assert by_stage["受理环节"]["办件"] == rated.number
    assert by_stage["办结环节"]["办件"] == "匿名"
    assert all(not r["申请人"] for r in rows)
    assert rated.applicant_name not in str(rows)


def test_a_department_head_exports_only_their_department(as_user, rated) -> None:  # type: ignore[no-untyped-def]
    other = seal_case()  # 公安
    services.rate_by_token(token=tokens.rating_token(other.pk), stage="completion", level=1)
    rows = table(sheet_of(as_user("ga_fzr").get(RATINGS)))
    assert [r["办件"] for r in rows] == [other.number]
    rows = table(sheet_of(as_user("scjg_fzr").get(RATINGS)))
    assert len(rows) == 2 and other.number not in str(rows)
    assert len(table(sheet_of(as_user("jiancha").get(RATINGS)))) == 3


def test_the_rated_staff_members_own_export_shows_no_rater(as_user, rated) -> None:  # type: ignore[no-untyped-def]
    expected = list(selectors.ratings_about(user("zc01")))
    sheet = sheet_of(as_user("zc01").get(MINE))
    rows = table(sheet)
    assert len(rows) == len(expected) == 1
    assert set(rows[0]) == {"日期", "环节", "渠道", "窗口", "评价", "原因", "意见"}
    assert rows[0]["评价"] == "不满意" and rows[0]["环节"] == "受理环节"
    everything = " ".join(str(c) for r in sheet.iter_rows(values_only=True) for c in r if c)
    assert rated.number not in everything and rated.applicant_name not in everything
    assert "13900000012" not in everything
    # the comment, which starts with =, is text, not a formula
    cell = next(c for r in sheet.iter_rows() for c in r if c.value == EVIL)
    assert cell.data_type == "s" and cell.quotePrefix
    entry = AuditEntry.objects.get(action="evaluation.export")
    assert entry.actor == user("zc01") and entry.changes["after"]["rows"] == 1
    assert entry.changes["after"]["table"] == "对我的服务的评价"


def test_a_clerk_may_export_only_their_own_ratings(as_user, rated) -> None:  # type: ignore[no-untyped-def]
    clerk = as_user("zc01")
    assert clerk.get(RATINGS).status_code == 403
    assert clerk.get(TASKS).status_code == 403
    assert not AuditEntry.objects.filter(action="evaluation.export").exists()
    assert as_user("xitong").get(MINE).status_code == 403


def test_the_rectifications_export_follows_the_list(as_user, rated) -> None:  # type: ignore[no-untyped-def]
    for username, count in (("jiancha", 1), ("scjg_fzr", 1), ("ga_fzr", 0)):
        expected = list(selectors.rectifications_for(user(username)))
        assert len(expected) == count
        rows = table(sheet_of(as_user(username).get(TASKS)))
        assert [r["编号"] for r in rows] == [f"整改 {t.pk}" for t in expected], username
    row = table(sheet_of(as_user("jiancha").get(f"{TASKS}?all=1")))[0]
    assert row["评价"] == "不满意" and row["评价环节"] == "受理环节" and row["时限"] == "正常"
    assert hasattr(row["整改期限"], "year")  # a date, not text
    entries = AuditEntry.objects.filter(action="evaluation.export").order_by("pk")
    assert entries.count() == 4
    assert entries.last().changes["after"]["filters"] == {"all": "1"}  # type: ignore[union-attr]


def test_the_pages_link_to_their_exports(as_user, rated) -> None:  # type: ignore[no-untyped-def]
    home = as_user("jiancha").get("/workbench/evaluation/").content.decode()
    assert "导出 Excel（管辖范围内的全部评价）" in home
    mine = as_user("zc01").get("/workbench/evaluation/mine/").content.decode()
    assert "导出 Excel（对我的服务的评价）" in mine
    tasks = as_user("jiancha").get("/workbench/evaluation/rectifications/?all=1").content.decode()
    assert "rectifications/export.xlsx?all=1" in tasks


def test_the_exports_read_in_chunks_not_per_row(as_user, rated) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user("jiancha")
    urls = (RATINGS, f"{TASKS}?all=1")
    for url in urls:
        client.get(url)  # the first request fills the per-process caches
    counts = []
    for more in (0, 2):
        for _ in range(more):
            case = seal_case()
            services.rate_by_token(token=tokens.rating_token(case.pk), stage="completion", level=1)
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
    assert counts[:2] == counts[2:], counts
