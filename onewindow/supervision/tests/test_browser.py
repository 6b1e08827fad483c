"""The supervision board in a real browser (Playwright on Debian's Chromium, live server): the
centre's supervisor opens 电子监察, sees a red (overdue) case before a yellow one, filters, and
drills into the case to see who held each step and for how long."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from onewindow.calendar.selectors import get_calendar
from onewindow.cases import clock
from onewindow.conftest import SHOTS, follow, sign_in

from .conftest import sweep, walk_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def accepted_on_for(state: str, today: dt.date) -> dt.date:
    """A working day on which a 食品经营许可 accepted is in `state` (its promised clock) today."""
    day = today
    for _ in range(40):
        day -= dt.timedelta(days=1)
        due = clock.due_date(day, 5, clock.WORKING_DAYS)
        working = get_calendar().is_working_day(day)
        if working and due is not None and clock.time_state(due, 5, today) == state:
            return day
    raise AssertionError(f"no day gives {state}")


def test_supervisor_sees_red_case_and_drills_into_its_timeline(
    browser: Any, live_server: Any, demo_password: str
) -> None:
    today = clock.today()
    red = walk_in(on=accepted_on_for("overdue", today))
    yellow = walk_in(on=accepted_on_for("warning", today))
    sweep(today)
    url = live_server.url

    page = sign_in(browser, url, "jiancha", demo_password, viewport={"width": 1400, "height": 900})
    follow(page, page.get_by_role("link", name="电子监察").first)
    page.wait_for_url("**/workbench/supervision/")
    assert page.locator("h1").inner_text().startswith("电子监察")
    red_row = page.locator("tr.row-overdue", has_text=red.number)
    assert red_row.count() == 1
    assert "超期" in red_row.inner_text()
    html = page.content()
    assert html.index(red.number) < html.index(yellow.number)  # red first
    assert page.locator("tr.row-warning", has_text=yellow.number).count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "supervision-board.png"), full_page=True)

    # only the red ones, by the count tile
    follow(page, page.locator(".tile-overdue a"))
    expect(page.locator("main")).to_contain_text(red.number)
    assert yellow.number not in page.content()
    # the tab "待办环节（n）", not the export link "导出 Excel（待办环节）"
    follow(page, page.get_by_role("link", name=re.compile(r"^待办环节")))
    assert page.locator("tr.row-overdue", has_text=red.number).count() >= 1
    page.screenshot(path=str(SHOTS / "supervision-steps.png"), full_page=True)

    # a bad filter typed into the address bar is a clear message, not an error page
    page.goto(url + "/workbench/supervision/?from=2026-02-30")
    assert "不是有效日期" in page.get_by_role("alert").inner_text()

    page.goto(url + "/workbench/supervision/")
    follow(page, page.get_by_role("link", name=red.number).first)
    page.wait_for_url(f"**/workbench/supervision/cases/{red.number}/")
    assert page.get_by_role("heading", name="办理环节：谁在办、办了多久").is_visible()
    steps = page.locator("section", has_text="办理环节：谁在办").inner_text()
    assert "审查" in steps and "B 岗顶岗" in steps and "个工作日" in steps
    assert "超期" in page.locator("section", has_text="监察记录").inner_text()
    page.screenshot(path=str(SHOTS / "supervision-case.png"), full_page=True)
