"""The statistics page in a real browser (Playwright on Debian's Chromium, live server): the
supervisor picks a period and a dimension and sees the charts, which need no JavaScript."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.conftest import SHOTS

from .conftest import END

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(browser: Any, url: str, username: str, password: str, **options: Any) -> Any:
    context = browser.new_context(locale="zh-CN", accept_downloads=True, **options)
    page = context.new_page()
    page.goto(url + "/accounts/login/")
    page.get_by_label("登录名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return page


def test_supervisor_sees_the_charts(
    browser: Any, live_server: Any, demo_password: str, history: int, town_cases: list[int]
) -> None:
    url = live_server.url
    page = sign_in(browser, url, "jiancha", demo_password, viewport={"width": 1400, "height": 900})
    page.get_by_role("link", name="统计分析").click()
    page.get_by_label("统计周期").select_option("year")
    page.get_by_label("周期内任一日").fill(END.isoformat())
    page.get_by_label("统计维度").select_option("department")
    page.get_by_role("button", name="统计").click()
    page.wait_for_load_state()
    charts = page.get_by_role("img")
    titles = [charts.nth(i).get_attribute("aria-labelledby") for i in range(charts.count())]
    assert len([t for t in titles if t and t.startswith("chart")]) == 3
    for name in ("月度办件趋势", "青溪县下级区划按时办结率", "各部门办结件数与按时办结率"):
        assert page.locator("svg title", has_text=name).count() == 1
    assert page.locator("svg.chart").first.is_visible()
    assert page.get_by_role("table").first.is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "stats-overview.png"), full_page=True)

    # a town's tile opens the page for that town
    page.get_by_role("link", name="城关街道：按时办结率100.0%，办结4件，查看城关街道的统计").click()
    page.wait_for_load_state()
    assert "region=610799001000" in page.url
    assert page.locator("h1").inner_text().endswith("城关街道")
    page.screenshot(path=str(SHOTS / "stats-town.png"), full_page=True)
    page.go_back()
    page.wait_for_load_state()

    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel（按部门）").click()
    path = download.value.path()
    assert path is not None and path.read_bytes()[:2] == b"PK"

    page.get_by_role("link", name="考核报告（日督查、周回访、月评议、季考核）").click()
    page.get_by_label("报告类型").select_option("month")
    page.get_by_label("周期内任一日").fill("2026-10-30")
    page.get_by_role("button", name="生成报告").click()
    page.wait_for_load_state()
    assert "已生成：青溪县2026年10月月评议报告" in page.content()
    page.screenshot(path=str(SHOTS / "stats-reports.png"), full_page=True)

    # large type and high contrast still show the charts
    page.goto(f"{url}/workbench/stats/?period=quarter&on={END.isoformat()}&dimension=region")
    page.get_by_role("link", name="大字模式").click()
    page.wait_for_load_state()
    assert page.locator("svg.chart").count() == 3
    page.screenshot(path=str(SHOTS / "stats-region-large.png"), full_page=True)
