"""Real browser tests: Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from onewindow.conftest import SHOTS, follow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_anonymous_visitor_sees_the_public_home_in_chinese(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(locale="zh-CN")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", name="青溪县政务服务中心").first.is_visible()
    # suggest.js turned the search box into a combobox (ARIA 1.2), collapsed until typing
    box = page.get_by_role("combobox", name="搜索办事事项")
    assert box.is_visible() and box.get_attribute("aria-expanded") == "false"
    # keyboard users reach the content first
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到主要内容"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "public-home.png"), full_page=True)
    assert errors == []  # no CSP violation, no missing asset


def test_staff_member_logs_in_and_sees_their_home(browser, live_server, demo_password) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(locale="zh-CN")
    page.goto(live_server.url + "/")
    follow(page, page.get_by_role("link", name="工作人员登录"))
    page.get_by_label("登录名").fill("chengguan_sl1")
    page.get_by_label("密码").fill(demo_password)
    follow(page, page.get_by_role("button", name="登录"))
    page.wait_for_url("**/workbench/")
    assert "您好" in page.locator("h1").inner_text()
    table = page.get_by_role("table")
    assert "城关街道综窗受理岗" in table.inner_text()
    assert "城关街道" in table.inner_text()
    page.screenshot(path=str(SHOTS / "staff-home.png"), full_page=True)
    follow(page, page.get_by_role("link", name="窗口", exact=True))
    expect(page.locator("main")).to_contain_text("城关街道便民服务中心")
    assert "青石镇便民服务中心" not in page.content()


def test_visitor_finds_a_guide_in_their_own_words(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    from onewindow.catalogue import search
    from onewindow.catalogue.tests.test_catalogue import FOOD, publish

    search.clear_index()
    publish(FOOD)
    page = browser.new_page(locale="zh-CN")
    page.goto(live_server.url + "/")
    page.get_by_role("combobox", name="搜索办事事项").fill("我想开饭店")
    follow(page, page.get_by_role("button", name="搜索"))
    follow(page, page.get_by_role("link", name="测试食品经营许可").first)
    materials = page.locator("#materials-title").locator("xpath=..").get_by_role("table")
    assert "授权委托书" not in materials.inner_text()
    page.get_by_label("委托代理人").check()
    page.get_by_label("延续").check()
    follow(page, page.get_by_role("button", name="按我的情形列出材料"))
    expect(materials).to_contain_text("授权委托书")
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


def test_visitor_types_picks_a_suggestion_and_reads_the_bundle(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    from onewindow.catalogue import search

    search.clear_index()
    page = browser.new_page(locale="zh-CN")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/")
    box = page.get_by_role("combobox", name="搜索办事事项")
    box.press_sequentially("开饭", delay=50)
    listbox = page.get_by_role("listbox", name="搜索提示")
    listbox.wait_for(state="visible")
    assert box.get_attribute("aria-expanded") == "true"
    option = listbox.get_by_role("option", name="我想开饭店")
    assert option.is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "search-suggest.png"), full_page=True)
    # the keyboard walks the list: down highlights, escape closes, down opens it again
    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"
    box.press("ArrowDown")
    assert listbox.is_visible()
    option.click()
    page.wait_for_url("**/search/?q=*")
    assert page.get_by_role("combobox", name="想办什么事").input_value() == "我想开饭店"
    follow(page, page.get_by_role("link", name="开餐馆一件事"))
    page.wait_for_url("**/guide/bundle/YJS-002/")
    assert page.get_by_role("heading", name="开餐馆一件事").is_visible()
    stages = page.locator("ol.stages > li")
    assert stages.count() == 2
    assert "企业设立登记" in stages.nth(0).inner_text()
    second = stages.nth(1).inner_text()
    assert "食品经营许可" in second and "须在第 1 阶段办结后办理" in second
    page.screenshot(path=str(SHOTS / "bundle.png"), full_page=True)
    stages.nth(1).get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/guide/(?!bundle/)"))
    assert errors == []  # no CSP violation, no missing asset
    search.clear_index()
