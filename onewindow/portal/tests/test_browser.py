"""Real browser tests: Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from onewindow.conftest import IN_CI

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        if IN_CI:
            pytest.fail(
                "CI needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
            )
        pytest.skip("no /usr/bin/chromium here")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def test_anonymous_visitor_sees_the_public_home_in_chinese(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(locale="zh-CN")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", name="青溪县政务服务中心").first.is_visible()
    assert page.get_by_role("searchbox").is_visible()
    # keyboard users reach the content first
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到主要内容"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "public-home.png"), full_page=True)
    assert errors == []  # no CSP violation, no missing asset


def test_staff_member_logs_in_and_sees_their_home(browser, live_server, demo_password) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(locale="zh-CN")
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="工作人员登录").click()
    page.get_by_label("登录名").fill("chengguan_sl1")
    page.get_by_label("密码").fill(demo_password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")
    assert "您好" in page.locator("h1").inner_text()
    table = page.get_by_role("table")
    assert "城关街道综窗受理岗" in table.inner_text()
    assert "城关街道" in table.inner_text()
    page.screenshot(path=str(SHOTS / "staff-home.png"), full_page=True)
    page.get_by_role("link", name="窗口").click()
    assert "城关街道便民服务中心" in page.content()
    assert "青石镇便民服务中心" not in page.content()


def test_visitor_finds_a_guide_in_their_own_words(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    from onewindow.catalogue import search
    from onewindow.catalogue.tests.test_catalogue import FOOD, publish

    search.clear_index()
    publish(FOOD)
    page = browser.new_page(locale="zh-CN")
    page.goto(live_server.url + "/")
    page.get_by_role("searchbox").fill("我想开饭店")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name="测试食品经营许可").first.click()
    materials = page.locator("#materials-title").locator("xpath=..").get_by_role("table")
    assert "授权委托书" not in materials.inner_text()
    page.get_by_label("委托代理人").check()
    page.get_by_label("延续").check()
    page.get_by_role("button", name="按我的情形列出材料").click()
    text = materials.inner_text()
    assert "授权委托书" in text and "原食品经营许可证" in text and "平面布局图" not in text
    page.screenshot(path=str(SHOTS / "guide.png"), full_page=True)
    href = page.get_by_role("link", name="下载一次性告知单（PDF）").get_attribute("href")
    assert href and "s_who=agent" in href  # the notice carries the answers
    response = page.request.get(live_server.url + href)
    assert response.headers["content-type"] == "application/pdf"
    data = response.body()
    assert data.startswith(b"%PDF")
    search.clear_index()
