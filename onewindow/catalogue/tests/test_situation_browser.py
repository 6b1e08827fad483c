"""In a real browser: answering a situation question changes the conditions and the limits the
guide shows (a plain GET form, no JavaScript needed)."""

from __future__ import annotations

import pytest

from onewindow.conftest import SHOTS, follow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_answer_changes_conditions_and_limits(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    from .test_situation_effects import EFFECTS, RENEW_CONDITION, publish

    publish(EFFECTS)
    page = browser.new_page(locale="zh-CN", java_script_enabled=False)
    page.goto(f"{live_server.url}/guide/{EFFECTS['code']}/")
    limits, conditions = page.locator("#limits"), page.locator("#conditions")
    assert "5 个工作日" in limits.inner_text()
    assert RENEW_CONDITION not in conditions.inner_text()
    page.get_by_label("延续").check()
    follow(page, page.get_by_role("button", name="按我的情形列出材料"))
    assert "s_type=renew" in page.url
    assert "2 个工作日" in limits.inner_text() and "按您的情形" in limits.inner_text()
    assert RENEW_CONDITION in conditions.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "guide-situation-limits.png"), full_page=True)
