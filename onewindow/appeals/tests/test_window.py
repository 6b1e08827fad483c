"""The 办不成事 window (seed 002): the counter files with channel WINDOW, kind 办不成事 by
default, optionally naming the case that failed; the command centre gets it."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.appeals.choices import Channel, Kind
from onewindow.appeals.models import Appeal, Category
from onewindow.cases import services as cases
from onewindow.cases.models import Case
from onewindow.cases.tests.conftest import FOOD, applicant, pdf
from onewindow.org.models import Region

pytestmark = pytest.mark.django_db


def food_online() -> Case:
    """An online 食品经营许可 application: the case that later could not get done."""
    return cases.case_submit(
        actor=applicant("13900000012"),
        item_code=FOOD,
        answers={"apply_type": "new", "agent": "self"},
        uploads={k: pdf(f"{k}.pdf") for k in ("app_form", "licence", "id_card", "layout")},
    )


def form(**over: str) -> dict[str, str]:
    data = {
        "kind": Kind.CANNOT_GET_DONE,
        "category": str(Category.objects.get(code="0801").pk),
        "region": str(Region.objects.get(code="610799101001").pk),
        "title": "食品经营许可跑了三趟没办成",
        "content": "申请食品经营许可，窗口每次都说材料不全，但说不清缺什么，已经跑了三趟。",
        "caller_name": "赵丽",
        "callback_phone": "13900000012",
        "urgency": "normal",
    }
    data.update(over)
    return data


def test_window_page_defaults_and_menu(as_user: Any) -> None:
    counter = as_user("zc01")
    page = counter.get("/workbench/appeals/window/")
    body = page.content.decode()
    assert page.status_code == 200
    assert '<option value="cannot_get_done" selected>办不成事</option>' in body
    assert "政务服务 / 办不成事</option>" in body
    category = Category.objects.get(code="0801").pk
    assert f'<option value="{category}" selected>' in body
    assert 'name="case_number"' in body and "查找相似诉求" in body
    assert 'href="/workbench/appeals/window/"' in body  # in the workbench menu
    # a village agent has no intake right: no menu entry, no page
    agent = as_user("qingshi1_daiban")
    assert agent.get("/workbench/appeals/window/").status_code in (302, 403)
    assert 'href="/workbench/appeals/window/"' not in agent.get("/workbench/").content.decode()


def test_window_files_with_the_failed_case_to_the_command_centre(as_user: Any) -> None:
    case = food_online()
    counter = as_user("zc01")
    response = counter.post("/workbench/appeals/window/", form(case_number=f" {case.number} "))
    body = response.content.decode()
    appeal = Appeal.objects.get()
    assert response.status_code == 200 and appeal.number in body and case.number in body
    assert appeal.channel == Channel.WINDOW and appeal.kind == Kind.CANNOT_GET_DONE
    assert appeal.case == case and appeal.filed_by.username == "zc01"  # type: ignore[union-attr]
    turn = appeal.dispatches.get()
    assert turn.region.level == "county" and turn.department is None  # the command centre
    # the centre sees the failed case on the handling page
    page = as_user("jiancha").get(f"/workbench/appeals/{turn.pk}/").content.decode()
    assert case.number in page and "办不成事反映窗口" in page


def test_unknown_case_number_saves_nothing(as_user: Any) -> None:
    counter = as_user("zc01")
    response = counter.post("/workbench/appeals/window/", form(case_number="QX-NO-SUCH-CASE"))
    body = response.content.decode()
    assert response.status_code == 422
    assert "没有找到办件编号" in body and "QX-NO-SUCH-CASE" in body
    assert "食品经营许可跑了三趟没办成" in body  # what was typed is kept
    assert not Appeal.objects.exists()


def test_window_check_lists_similar_appeals_without_saving(as_user: Any) -> None:
    counter = as_user("zc01")
    counter.post("/workbench/appeals/window/", form())
    first = Appeal.objects.get()
    again = counter.post(
        "/workbench/appeals/window/",
        form(
            check="1",
            title="食品经营许可办不成",
            content="办食品经营许可跑了好几趟，每次都说材料不全。",
        ),
    )
    body = again.content.decode()
    assert again.status_code == 200 and first.number in body and "同一来电人" in body
    assert Appeal.objects.count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_window_form_in_a_browser(browser: Any, live_server: Any, demo_password: str) -> None:
    from onewindow.conftest import SHOTS, follow, sign_in

    SHOTS.mkdir(parents=True, exist_ok=True)
    case = food_online()
    page = sign_in(browser, live_server.url, "zc01", demo_password)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/workbench/")
    follow(page, page.get_by_role("link", name="办不成事窗口"))
    page.get_by_label("发生地（镇街 / 村社区）").select_option(label="青石镇 / 青石村")
    page.get_by_label("标题").fill("食品经营许可跑了三趟没办成")
    page.get_by_label("诉求内容").fill("申请食品经营许可，窗口每次都说材料不全，已经跑了三趟。")
    page.get_by_label("诉求人姓名").fill("赵丽")
    page.get_by_label("回访电话").fill("13900000012")
    page.get_by_label("关联办件编号（选填）").fill(case.number)
    page.screenshot(path=str(SHOTS / "appeal-window-form.png"), full_page=True)
    follow(page, page.get_by_role("button", name="登记并派单"))
    page.get_by_text("诉求已登记并派单").wait_for()
    page.screenshot(path=str(SHOTS / "appeal-window-filed.png"), full_page=True)
    follow(page, page.get_by_role("link", name="继续登记下一件"))
    page.get_by_label("标题").fill("食品经营许可办不成")
    page.get_by_label("发生地（镇街 / 村社区）").select_option(label="青石镇 / 青石村")
    page.get_by_label("诉求内容").fill("办食品经营许可跑了好几趟，每次都说材料不全。")
    page.get_by_label("诉求人姓名").fill("赵丽")
    page.get_by_label("回访电话").fill("13900000012")
    follow(page, page.get_by_role("button", name="查找相似诉求"))
    page.get_by_text("可能重复的诉求").wait_for()
    page.screenshot(path=str(SHOTS / "appeal-window-check.png"), full_page=True)
    appeal = Appeal.objects.get()
    assert appeal.case_id == case.pk and appeal.channel == Channel.WINDOW
    assert not [e for e in errors if "Content Security Policy" in e]
