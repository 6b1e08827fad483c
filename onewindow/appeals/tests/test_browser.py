"""In a real browser: a citizen files on the public form; the village signs for and replies;
the citizen rates it on the tracking page."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.appeals.models import Appeal
from onewindow.conftest import SHOTS, follow, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_file_sign_reply_rate(browser: Any, live_server: Any, demo_password: str) -> None:
    url = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="zh-CN")
    citizen = context.new_page()
    errors: list[str] = []
    citizen.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    citizen.goto(url + "/appeals/new/")
    citizen.get_by_label("诉求类型").select_option(label="求助")
    citizen.get_by_label("诉求分类").select_option(label="农业农村 / 农村人居环境")
    citizen.get_by_label("发生地（镇街 / 村社区）").select_option(label="青石镇 / 青石村")
    citizen.get_by_label("标题").fill("村里垃圾清运不及时")
    citizen.get_by_label("诉求内容").fill("青石村三组垃圾点已经一周没有清运，气味很大。")
    citizen.get_by_label("诉求人姓名").fill("李秀英")
    citizen.get_by_label("回访电话").fill("12345")
    follow(citizen, citizen.get_by_role("button", name="提交诉求"))
    citizen.get_by_text("请填写正确的回访电话").wait_for()
    citizen.screenshot(path=str(SHOTS / "appeal-form-error.png"), full_page=True)
    citizen.get_by_label("回访电话").fill("13900000001")
    follow(citizen, citizen.get_by_role("button", name="提交诉求"))
    citizen.get_by_text("诉求已受理").first.wait_for()
    citizen.screenshot(path=str(SHOTS / "appeal-filed.png"), full_page=True)
    appeal = Appeal.objects.get()
    turn = appeal.dispatches.get()

    staff = sign_in(browser, url, "qingshi1_shouli", demo_password)
    staff.goto(url + "/workbench/appeals/")
    staff.screenshot(path=str(SHOTS / "appeal-queue.png"), full_page=True)
    follow(staff, staff.get_by_role("link", name=appeal.number))
    follow(staff, staff.get_by_role("button", name="签收"))
    staff.get_by_text("已签收。").wait_for()
    staff.get_by_label("答复内容").fill("已联系镇环卫所，当天完成清运，并增加每周清运次数。")
    staff.screenshot(path=str(SHOTS / "appeal-unit-reply.png"), full_page=True)
    follow(staff, staff.get_by_role("button", name="答复诉求人"))
    staff.get_by_text("已答复，系统已短信告知诉求人。").wait_for()

    citizen.goto(f"{url}/appeals/track/?number={appeal.number}&phone_tail=0001")
    citizen.get_by_label("满意", exact=True).check()
    citizen.screenshot(path=str(SHOTS / "appeal-track-rate.png"), full_page=True)
    follow(citizen, citizen.get_by_role("button", name="提交评价"))
    citizen.get_by_text("已办结").first.wait_for()
    appeal.refresh_from_db()
    assert appeal.status == "closed" and appeal.rating == "satisfied"
    assert turn.pk
    assert not [e for e in errors if "Content Security Policy" in e]
