"""The year page and the publishing page, as mounted by the workbench."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from onewindow.audit.models import AuditEntry
from onewindow.calendar import views
from onewindow.calendar.models import CalendarDay, CalendarYear
from onewindow.conftest import login_client

pytestmark = pytest.mark.django_db

HOLIDAYS = (
    "2027-01-01 至 2027-01-03 元旦\n2027-02-05~2027-02-12 春节\n2027-10-01 - 2027-10-07 国庆节"
)
MAKEUP = "2027-01-31 春节调休\n2027-10-09 国庆节调休"


def post_2027(client, **changes: str):  # type: ignore[no-untyped-def]
    data = {
        "year": "2027",
        "notice_ref": "国办发明电〔2026〕7号",
        "holidays": HOLIDAYS,
        "makeup_workdays": MAKEUP,
    }
    data.update(changes)
    return client.post("/workbench/calendar/publish/", data)


def test_the_year_page_shows_twelve_month_grids():
    html = login_client("xitong").get("/workbench/calendar/2026/").content.decode()
    assert html.count("<caption>2026 年") == 12 + 2  # twelve months, holidays, make-up days
    assert html.count('<th scope="col"><abbr title="星期一">一</abbr></th>') == 12
    oct1 = re.search(r'<td class="day-holiday" title="国庆节"><time datetime="2026-10-01">', html)
    assert oct1 is not None
    assert '<td class="day-makeup" title="国庆节调休"><time datetime="2026-09-20">' in html
    assert '<td class="day-weekend"><time datetime="2026-03-14">' in html
    assert '<td><time datetime="2026-03-16">16</time></td>' in html
    assert 'class="legend"' in html and "调休上班日" in html
    assert "国庆节，放假" in html  # for screen readers, not only colour
    assert "<script" not in html and "style=" not in html
    assert "录入 2027 年日历" in html  # the system administrator may publish


def test_staff_without_the_permission_see_no_publishing_link():
    response = login_client("zc01").get("/workbench/calendar/2026/")
    assert response.status_code == 200
    assert "录入" not in response.content.decode()


def test_an_unpublished_year_says_so():
    response = login_client("xitong").get("/workbench/calendar/2027/")
    assert response.status_code == 200
    assert "2027 年工作日历尚未发布" in response.content.decode()


def test_the_views_need_a_signed_in_user():
    for view, args in ((views.year_view, (2026,)), (views.publish_view, ())):
        request = RequestFactory().get("/")
        request.user = AnonymousUser()
        response = view(request, *args)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_publishing_a_year_through_the_page():
    client = login_client("xitong")
    page = client.get("/workbench/calendar/publish/").content.decode()
    assert 'name="year"' in page and 'value="2027"' in page
    response = post_2027(client)
    assert response.status_code == 302
    assert response["Location"] == "/workbench/calendar/2027/"
    year = CalendarYear.objects.get(year=2027)
    assert year.notice_ref == "国办发明电〔2026〕7号"
    assert CalendarDay.objects.get(date="2027-10-09").kind == "makeup_workday"
    assert AuditEntry.objects.filter(action="calendar.year.publish").exists()
    html = client.get(response["Location"]).content.decode()
    assert "2027 年工作日历已发布：3 个节假日、2 个调休上班日。" in html
    assert '<td class="day-holiday" title="春节"><time datetime="2027-02-05">' in html
    assert "更正 2027 年日历" in html

    again = client.get("/workbench/calendar/publish/?year=2027").content.decode()
    assert "更正 2027 年工作日历" in again
    assert "2027-02-05 至 2027-02-12 春节" in again
    assert "2027-10-09 国庆节调休" in again


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"holidays": HOLIDAYS + "\n2027-10-07 至 2027-10-08 补假"},
            "第 4 行（补假）与第 3 行（国庆节）日期重叠（2027-10-07），请修改其中一项。",
        ),
        (
            {"makeup_workdays": "2027-01-31 春节调休\n2027-02-01 春节调休"},
            "第 2 行：2027-02-01 是周一，本来就是工作日",
        ),
        (
            {"holidays": "2027-01-01 至 2026-12-30 元旦"},
            "第 1 行（元旦）：日期 2026-12-30 不在 2027 年内",
        ),
        (
            {"holidays": "2027-01-03 至 2027-01-01 元旦"},
            "第 1 行（元旦）：结束日期 2027-01-01 早于开始日期",
        ),
        ({"holidays": "2027-02-30 春节"}, "第 1 行：2027-02-30 不是有效日期"),
        (
            {"year": "2028", "holidays": "2028-01-01 元旦", "makeup_workdays": ""},
            "工作日历须逐年连续发布：目前已发布至 2026 年，下一个应发布的是 2027 年",
        ),
    ],
)
def test_the_page_refuses_bad_input_and_saves_nothing(changes, message):
    client = login_client("xitong")
    response = post_2027(client, **changes)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert not CalendarYear.objects.filter(year__gte=2027).exists()
