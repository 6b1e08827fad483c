"""好差评 in a real browser (Playwright on Debian's Chromium, against a live server): an applicant
rates a finished case through the receipt's QR page on a phone; the bad review becomes a
rectification task that the department head answers and the supervisor closes. And the counter's
tablet."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from onewindow.conftest import SHOTS, follow, sign_in
from onewindow.evaluation import tokens
from onewindow.evaluation.models import Rating, Rectification

from .conftest import seal_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_qr_rating_to_closed_rectification(
    browser: Any, live_server: Any, demo_password: str, days: Any
) -> None:
    url = live_server.url
    case = seal_case()
    SHOTS.mkdir(parents=True, exist_ok=True)

    # the applicant scans the receipt's code on a phone
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.goto(f"{url}/rate/{tokens.rating_token(case.pk)}/")
    assert case.number in page.content()
    page.get_by_role("button", name="提交评价").click()  # nothing chosen: the browser asks
    assert not Rating.objects.exists()
    page.get_by_label("不满意", exact=True).check()
    page.get_by_label("服务态度").check()
    page.get_by_label("多次跑、重复提交材料").check()
    page.get_by_label("意见建议（选填，最多 500 字）").fill(
        "印章备案让我跑了两趟，窗口没有一次说清楚。"
    )
    page.screenshot(path=str(SHOTS / "evaluation-qr.png"), full_page=True)
    follow(page, page.get_by_role("button", name="提交评价"))
    expect(page.locator("main")).to_contain_text("感谢您的评价")
    page.screenshot(path=str(SHOTS / "evaluation-qr-done.png"), full_page=True)
    rating = Rating.objects.get()
    assert rating.level == 2 and rating.channel == "qr"
    assert rating.reasons == ["attitude", "repeat_trips"]
    task = Rectification.objects.get()
    phone.close()

    # the department head of 公安 investigates and answers
    head = sign_in(browser, url, "ga_fzr", demo_password)
    follow(head, head.get_by_role("link", name="好差评").first)
    follow(head, head.get_by_role("link", name="差评整改").first)
    head.screenshot(path=str(SHOTS / "evaluation-rectifications.png"), full_page=True)
    follow(head, head.get_by_role("link", name=f"整改 {task.pk}"))
    head.get_by_label("调查核实情况（必填）").fill(
        "经调阅窗口录像，受理人员未一次性告知需携带法定代表人身份证原件。"
    )
    follow(head, head.get_by_role("button", name="提交调查核实情况"))
    expect(head.locator("main")).to_contain_text("已调查核实")
    head.get_by_label("答复内容（必填）").fill(
        "已对窗口人员批评教育，并在一次性告知单上补充了身份证原件要求。感谢您的监督。"
    )
    follow(head, head.get_by_role("button", name="发送答复"))
    expect(head.locator("main")).to_contain_text("已答复申请人")
    head.screenshot(path=str(SHOTS / "evaluation-rectification-answered.png"), full_page=True)
    head.context.close()

    # the supervisor calls back and closes it
    sup = sign_in(browser, url, "jiancha", demo_password)
    sup.goto(f"{url}/workbench/evaluation/rectifications/{task.pk}/")
    assert case.number in sup.content() and case.applicant_name in sup.content()
    sup.get_by_label("满意", exact=True).check()
    sup.get_by_label("回访情况（必填）").fill("电话回访申请人，对整改答复表示满意。")
    follow(sup, sup.get_by_role("button", name="记录回访"))
    sup.get_by_label("办结意见（必填）").fill("整改到位，答复及时，予以办结。")
    follow(sup, sup.get_by_role("button", name="办结整改任务"))
    task.refresh_from_db()
    assert task.status == "closed"
    sup.screenshot(path=str(SHOTS / "evaluation-rectification-closed.png"), full_page=True)
    sup.goto(f"{url}/workbench/evaluation/rectifications/")
    assert f"整改 {task.pk}" not in sup.content()
    sup.goto(f"{url}/workbench/evaluation/")
    sup.screenshot(path=str(SHOTS / "evaluation-home.png"), full_page=True)
    sup.context.close()


def test_counter_tablet(browser: Any, live_server: Any, demo_password: str, days: Any) -> None:
    url = live_server.url
    case = seal_case()
    tablet = sign_in(browser, url, "zc01", demo_password)
    tablet.set_viewport_size({"width": 1280, "height": 800})
    tablet.goto(f"{url}/workbench/evaluation/counter/")
    follow(tablet, tablet.get_by_role("button", name="签到"))
    follow(tablet, tablet.get_by_role("link", name=f"{case.number} {case.version.name}"))
    tablet.screenshot(path=str(SHOTS / "evaluation-tablet.png"), full_page=True)
    follow(tablet, tablet.get_by_role("button", name="非常满意"))
    expect(tablet.locator("main")).to_contain_text("感谢您的评价")
    tablet.screenshot(path=str(SHOTS / "evaluation-tablet-thanks.png"), full_page=True)
    assert Rating.objects.get().channel == "counter"
    # the same acceptor enters a paper card, and sees the ratings about them (anonymous)
    tablet.goto(f"{url}/workbench/evaluation/cards/new/")
    tablet.get_by_label("办件编号（卡上有则填）").fill(case.number)
    tablet.get_by_label("评价环节").select_option("acceptance")
    tablet.get_by_label("满意", exact=True).check()
    tablet.screenshot(path=str(SHOTS / "evaluation-card.png"), full_page=True)
    follow(tablet, tablet.get_by_role("button", name="录入评价卡"))
    expect(tablet.locator("main")).to_contain_text("评价卡已录入（满意）")
    tablet.goto(f"{url}/workbench/evaluation/mine/")
    assert case.number not in tablet.content()
    tablet.screenshot(path=str(SHOTS / "evaluation-mine.png"), full_page=True)
    tablet.context.close()
