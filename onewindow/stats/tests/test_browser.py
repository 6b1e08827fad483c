"""The statistics page in a real browser (Playwright on Debian's Chromium, live server): the
supervisor picks a period and a dimension and sees the charts, which need no JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from onewindow.conftest import SHOTS, follow, sign_in

from .conftest import END

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_sees_the_charts(
    browser: Any, live_server: Any, demo_password: str, history: int, town_cases: list[int]
) -> None:
    url = live_server.url
    page = sign_in(browser, url, "jiancha", demo_password, viewport={"width": 1400, "height": 900})
    follow(page, page.get_by_role("link", name="统计分析"))
    page.get_by_label("统计周期").select_option("year")
    page.get_by_label("周期内任一日").fill(END.isoformat())
    page.get_by_label("统计维度").select_option("department")
    follow(page, page.get_by_role("button", name="统计"))
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
    follow(
        page,
        page.get_by_role("link", name="城关街道：按时办结率100.0%，办结4件，查看城关街道的统计"),
    )
    assert "region=610799001000" in page.url
    assert page.locator("h1").inner_text().endswith("城关街道")
    page.screenshot(path=str(SHOTS / "stats-town.png"), full_page=True)
    page.go_back()
    page.wait_for_load_state()

    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel（按部门）").click()
    path = download.value.path()
    assert path is not None and path.read_bytes()[:2] == b"PK"

    follow(page, page.get_by_role("link", name="考核报告（日督查、周回访、月评议、季考核）"))
    page.get_by_label("报告类型").select_option("month")
    page.get_by_label("周期内任一日").fill("2026-10-30")
    follow(page, page.get_by_role("button", name="生成报告"))
    expect(page.locator("main")).to_contain_text("已生成：青溪县2026年10月月评议报告")
    page.screenshot(path=str(SHOTS / "stats-reports.png"), full_page=True)

    # large type and high contrast still show the charts
    page.goto(f"{url}/workbench/stats/?period=quarter&on={END.isoformat()}&dimension=region")
    follow(page, page.get_by_role("link", name="大字模式"))
    assert page.locator("svg.chart").count() == 3
    page.screenshot(path=str(SHOTS / "stats-region-large.png"), full_page=True)
