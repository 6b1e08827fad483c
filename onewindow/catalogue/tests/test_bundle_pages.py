"""The staff pages of the "one thing" bundles (一件事): everyone with the catalogue sees them, only
the system administrator creates and edits; every bad input is named on its field with nothing
saved; an edit made meanwhile by someone else is refused, not overwritten."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from onewindow.audit.models import AuditEntry
from onewindow.catalogue import search, services
from onewindow.catalogue.models import Bundle, Item
from onewindow.conftest import follow, login_client
from onewindow.core.errors import InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db

BASE = "/workbench/catalogue/bundles/"
LICENCE, FOOD, FIRE = "002001001000", "002001005000", "016001001000"


def post_data(
    bundle: Bundle | None = None, steps: list[tuple[Any, str]] = (), **fields: Any
) -> dict:
    """What the page posts: the bundle's fields (its current ones, or a new bundle's), then the
    step rows, then `fields` over them."""
    data: dict[str, Any]
    if bundle is not None:
        current = services.bundle_as_data(bundle)
        data = {
            "code": bundle.code,
            "name": bundle.name,
            "target": bundle.target,
            "promised_limit": bundle.promised_limit,
            "description": bundle.description,
            "shared_materials": "\n".join(current["shared_materials"]),
            "keywords": "、".join(current["keywords"]),
            "life_events": current["life_events"],
            "business_stages": current["business_stages"],
            "updated": bundle.updated_at.isoformat(),
        }
        if not steps:
            steps = [(n, code) for n, stage in enumerate(current["order"], 1) for code in stage]
    else:
        data = {
            "code": "YJS-101",
            "name": "开便利店一件事",
            "target": "company",
            "promised_limit": 3,
        }
    rows = [*steps, ("", "")]
    data.update(
        {
            "step-TOTAL_FORMS": len(rows),
            "step-INITIAL_FORMS": 0,
            "step-MIN_NUM_FORMS": 0,
            "step-MAX_NUM_FORMS": 1000,
        }
    )
    for n, (stage, item) in enumerate(rows):
        data[f"step-{n}-stage"] = stage
        data[f"step-{n}-item"] = item
    data.update(fields)
    return data


def errors(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_who_sees_and_who_edits() -> None:
    code = Bundle.objects.order_by("code").first().code
    for who, listing, editing in (("zc01", 200, 403), ("scjg_fzr", 200, 403), ("xitong", 200, 200)):
        client = login_client(who)
        assert client.get(BASE).status_code == listing, who
        assert client.get(f"{BASE}new/").status_code == editing, who
        assert client.get(f"{BASE}{code}/").status_code == editing, who
        posted = client.post(f"{BASE}new/", post_data(steps=[(1, LICENCE)], code=f"YJS-{who}"))
        assert posted.status_code == (302 if editing == 200 else 403), who
    assert list(
        Bundle.objects.filter(code__startswith="YJS-")
        .exclude(code__regex=r"^YJS-\d+$")
        .values_list("code", flat=True)
    ) == ["YJS-xitong"]
    assert Client().get(BASE).status_code == 302
    listing_page = login_client("zc01").get(BASE).content.decode()
    assert "开餐馆一件事" in listing_page and "新建一件事" not in listing_page
    with pytest.raises(NotAllowed):
        services.bundle_save(
            data=services.bundle_as_data(Bundle.objects.get(code="YJS-002")),
            actor=login_client_user("scjg_fzr"),
        )


def login_client_user(username: str) -> Any:
    from onewindow.accounts.models import User

    return User.objects.get(username=username)


def test_create_a_bundle_on_the_page_and_find_it_in_the_hall() -> None:
    admin = login_client("xitong")
    data = post_data(
        steps=[(1, f"{LICENCE} 企业设立登记"), (2, FOOD), (2, FIRE)],
        keywords="我想开便利店、开个小超市",
        shared_materials="经营场所使用证明\n经营者身份证件",
        business_stages=["start", "operate"],
        description="先办营业执照，再并联办理食品经营许可和消防检查。",
    )
    response = admin.post(f"{BASE}new/", data)
    assert response.status_code == 302 and response["Location"] == f"{BASE}YJS-101/"
    bundle = Bundle.objects.get(code="YJS-101")
    assert services.bundle_as_data(bundle) == {
        "code": "YJS-101",
        "name": "开便利店一件事",
        "description": "先办营业执照，再并联办理食品经营许可和消防检查。",
        "target": "company",
        "promised_limit": 3,
        "order": [[LICENCE], [FOOD, FIRE]],
        "shared_materials": ["经营场所使用证明", "经营者身份证件"],
        "keywords": ["我想开便利店", "开个小超市"],
        "life_events": [],
        "business_stages": ["start", "operate"],
    }
    entry = AuditEntry.objects.filter(action="catalogue.bundle.save").latest("pk")
    assert entry.summary == "新建一件事：开便利店一件事" and "before" not in entry.changes
    assert entry.changes["after"]["order"] == [[LICENCE], [FOOD, FIRE]]
    page = admin.get(f"{BASE}YJS-101/").content.decode()
    assert "已保存" in page and "现行编排" in page and "分别办理" in page
    # the online hall shows it at once, and the search finds it by the words people use
    search.clear_index()
    guide = Client().get("/guide/bundle/YJS-101/").content.decode()
    assert "开便利店一件事" in guide and "食品经营许可" in guide
    assert any(hit.code == "YJS-101" for hit in search.search("我想开便利店"))
    search.clear_index()


def test_edit_the_stages_and_the_limit() -> None:
    bundle = Bundle.objects.get(code="YJS-002")
    admin = login_client("xitong")
    page = admin.get(f"{BASE}YJS-002/").content.decode()
    assert f'value="{FOOD} ' in page  # the rows show code and name
    response = admin.post(
        f"{BASE}YJS-002/",
        post_data(bundle, steps=[(1, LICENCE), (2, FOOD)], promised_limit=4, code="HACKED"),
    )
    assert response.status_code == 302
    bundle.refresh_from_db()
    data = services.bundle_as_data(bundle)
    assert data["order"] == [[LICENCE], [FOOD]] and data["promised_limit"] == 4
    assert not Bundle.objects.filter(code="HACKED").exists()  # the code cannot be changed
    entry = AuditEntry.objects.filter(action="catalogue.bundle.save").latest("pk")
    assert entry.summary == "修改一件事：开餐馆一件事"
    assert len(entry.changes["before"]["order"][1]) == 3
    assert entry.changes["after"]["order"] == [[LICENCE], [FOOD]]


def test_an_edit_made_meanwhile_is_not_overwritten() -> None:
    bundle = Bundle.objects.get(code="YJS-002")
    stale = post_data(bundle, promised_limit=4)
    admin = login_client("xitong")  # the same administrator in two tabs
    assert admin.post(f"{BASE}YJS-002/", post_data(bundle, promised_limit=6)).status_code == 302
    page = errors(admin.post(f"{BASE}YJS-002/", stale))
    assert "刚刚已被他人修改，请刷新后再改" in page
    bundle.refresh_from_db()
    assert bundle.promised_limit == 6


@pytest.mark.parametrize(
    ("fields", "steps", "message"),
    [
        ({}, [(1, "000000000000")], "引用了不存在的事项：000000000000"),
        ({}, [(1, LICENCE), (3, FOOD)], "第 2 阶段没有事项：阶段须从 1 起连续编号（已填：1、3）"),
        ({}, [(1, LICENCE), (2, LICENCE)], "中有事项重复出现"),
        ({}, [("", LICENCE)], "阶段：请填写阶段序号"),
        ({}, [("x", LICENCE)], "阶段：输入整数。"),
        ({}, [], "请至少列出一个事项"),
        ({"code": "YJS-002"}, [(1, LICENCE)], "编码 YJS-002 已被一件事“开餐馆一件事”使用"),
        ({"code": "一件事 1"}, [(1, LICENCE)], "一件事编码须为 1 至 20 位字母、数字"),
        ({"name": ""}, [(1, LICENCE)], "名称：这个字段是必填项"),
        ({"promised_limit": 0}, [(1, LICENCE)], "承诺办结时限（工作日）：确保该值大于或等于1。"),
        ({"target": "village"}, [(1, LICENCE)], "服务对象：选择一个有效的选项"),
        ({"life_events": ["moon"]}, [(1, LICENCE)], "个人主题：选择一个有效的选项"),
    ],
)
def test_bad_input_is_named_and_nothing_is_saved(fields, steps, message) -> None:
    before = (
        Bundle.objects.count(),
        AuditEntry.objects.filter(action="catalogue.bundle.save").count(),
    )
    page = errors(login_client("xitong").post(f"{BASE}new/", post_data(steps=steps, **fields)))
    assert message in page, page[page.find("errorlist") - 200 : page.find("errorlist") + 400]
    assert (
        Bundle.objects.count(),
        AuditEntry.objects.filter(action="catalogue.bundle.save").count(),
    ) == before
    assert not Bundle.objects.filter(code="YJS-101").exists()


def test_the_service_checks_what_the_form_does_not() -> None:
    """The workbook import and the demo reach `bundle_save` without the page's form."""
    good = {"code": "YJS-T", "name": "测试", "promised_limit": 3, "order": [[LICENCE]]}
    for change, field in (
        ({"code": "YJS T"}, "code"),
        ({"name": "  "}, "name"),
        ({"target": "village"}, "target"),
        ({"promised_limit": 366}, "promised_limit"),
        ({"promised_limit": "3"}, "promised_limit"),
        ({"life_events": ["moon"]}, "life_events"),
        ({"business_stages": ["moon"]}, "business_stages"),
        ({"keywords": ["很" * 101]}, "keywords"),
        ({"order": [[LICENCE], []]}, "order"),
    ):
        with pytest.raises(InvalidInput) as caught:
            services.bundle_save(data={**good, **change}, actor=None)
        assert caught.value.field == field, change
    assert not Bundle.objects.filter(code__startswith="YJS-T").exists()
    assert Item.objects.filter(code=LICENCE).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_new_bundle(browser: Any, live_server: Any, demo_password: str) -> None:
    from onewindow.conftest import SHOTS, sign_in

    page = sign_in(
        browser, live_server.url, "xitong", demo_password, viewport={"width": 1280, "height": 900}
    )
    page.goto(live_server.url + BASE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "catalogue-bundles.png"), full_page=True)
    follow(page, page.get_by_role("link", name="新建一件事"))
    page.get_by_label("编码").fill("YJS-101")
    page.get_by_label("名称").fill("开便利店一件事")
    page.get_by_label("企业").check()
    page.get_by_label("承诺办结时限（工作日）").fill("3")
    page.get_by_label("设立开办").check()
    rows = page.locator("table.rows tbody tr")
    rows.nth(0).get_by_label("阶段").fill("1")
    rows.nth(0).get_by_label("事项").fill(LICENCE)
    rows.nth(1).get_by_label("阶段").fill("3")
    rows.nth(1).get_by_label("事项").fill(FOOD)
    follow(page, page.get_by_role("button", name="保存"))
    assert "第 2 阶段没有事项" in page.get_by_role("alert").first.inner_text()
    page.screenshot(path=str(SHOTS / "catalogue-bundle-error.png"), full_page=True)
    rows.nth(1).get_by_label("阶段").fill("2")
    follow(page, page.get_by_role("button", name="保存"))
    assert "已保存" in page.content()
    page.screenshot(path=str(SHOTS / "catalogue-bundle-edit.png"), full_page=True)
    assert services.bundle_as_data(Bundle.objects.get(code="YJS-101"))["order"] == [
        [LICENCE],
        [FOOD],
    ]


def test_stop_and_restore_a_bundle() -> None:
    """停止办理: gone from the hall's index and the search, no new application (page or
    service), the guide page says why; the applications already made go on. 恢复办理 brings it
    back. Both audited; a stop without a reason is refused."""
    from onewindow.cases import services as cases_services
    from onewindow.cases.tests.conftest import applicant
    from onewindow.core.errors import InvalidTransition

    assert "开餐馆一件事" in Client().get(f"/guide/{FOOD}/").content.decode()
    admin = login_client("xitong")
    page = errors(admin.post(f"{BASE}YJS-002/active/", {"active": "0", "reason": " "}, follow=True))
    assert "请填写停止办理的原因" in page
    assert Bundle.objects.get(code="YJS-002").active
    response = admin.post(
        f"{BASE}YJS-002/active/", {"active": "0", "reason": "并入“开饭店一件事”"}, follow=True
    )
    assert "已停止办理" in errors(response)
    bundle = Bundle.objects.get(code="YJS-002")
    assert not bundle.active and bundle.retire_reason == "并入“开饭店一件事”"
    assert "已停止办理" in login_client("zc01").get(BASE).content.decode()

    search.clear_index()
    assert not any(hit.code == "YJS-002" for hit in search.search("我想开饭店"))
    public = Client()
    assert "开餐馆一件事" not in public.get("/guide/").content.decode()
    guide = public.get("/guide/bundle/YJS-002/").content.decode()
    assert "已停止办理：并入“开饭店一件事”" in guide and "一件事在线申请" not in guide
    item_page = public.get(f"/guide/{FOOD}/").content.decode()
    assert "开餐馆一件事" not in item_page  # no longer offered as part of it
    assert public.get("/api/v1/items/YJS-002").json()["active"] is False
    citizen = login_client("13900000011")
    assert citizen.get("/cases/apply-bundle/YJS-002/")["Location"] == "/guide/bundle/YJS-002/"
    with pytest.raises(InvalidTransition) as refused:
        cases_services.bundle_submit(
            actor=applicant("13900000011"), bundle_code="YJS-002", answers={}, uploads={}
        )
    assert refused.value.code == "bundle_retired"
    # stopping twice is refused; editing keeps it stopped
    page = errors(admin.post(f"{BASE}YJS-002/active/", {"active": "0", "reason": "x"}, follow=True))
    assert "已停止办理，无需重复操作" in page
    assert admin.post(f"{BASE}YJS-002/", post_data(bundle, promised_limit=4)).status_code == 302
    assert not Bundle.objects.get(code="YJS-002").active

    assert admin.post(f"{BASE}YJS-002/active/", {"active": "1"}).status_code == 302
    bundle = Bundle.objects.get(code="YJS-002")
    assert bundle.active and bundle.retire_reason == ""
    search.clear_index()
    assert any(hit.code == "YJS-002" for hit in search.search("我想开饭店"))
    search.clear_index()
    actions = list(
        AuditEntry.objects.filter(action__startswith="catalogue.bundle.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[-3:] == [
        "catalogue.bundle.retire",
        "catalogue.bundle.save",
        "catalogue.bundle.restore",
    ]
    # only the administrator
    head = login_client("scjg_fzr")
    assert head.post(f"{BASE}YJS-002/active/", {"active": "0", "reason": "x"}).status_code == 403
