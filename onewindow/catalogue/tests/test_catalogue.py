import copy

import pytest
from django.test import Client

from onewindow.catalogue import selectors, services
from onewindow.catalogue.models import Bundle, Item, ItemVersion, Material
from onewindow.core.errors import InvalidInput, InvalidTransition
from onewindow.org.models import Region

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_catalogue")]

FOOD = {
    "code": "000105001000",
    "name": "测试食品经营许可",
    "department": "610799-SCJG",
    "co_departments": [],
    "kind": "licence",
    "levels": ["county"],
    "power_source": "法定本级行使",
    "content": "从事食品销售和餐饮服务活动的许可。",
    "legal_basis": ["《中华人民共和国食品安全法》第三十五条"],
    "conditions": ["具有与经营的食品品种、数量相适应的经营场所"],
    "handling": "promised",
    "statutory_limit": 20,
    "promised_limit": 5,
    "limit_note": "现场核查时间不计入",
    "forms": ["window", "online"],
    "visits": 1,
    "online_depth": "pre_review",
    "result_type": "licence",
    "result_name": "食品经营许可证",
    "fees": [],
    "special_procedures": ["现场核查"],
    "intermediaries": [],
    "materials": [
        {
            "key": "application",
            "name": "食品经营许可申请书",
            "required": True,
            "deficiency_ok": False,
            "situational": False,
            "form": "original",
            "copies": 1,
            "source": "applicant",
            "standard": "签字",
            "blank_form": True,
        },
        {
            "key": "licence",
            "name": "营业执照",
            "required": True,
            "deficiency_ok": False,
            "situational": False,
            "form": "copy",
            "copies": 1,
            "source": "licence",
            "standard": "",
        },
        {
            "key": "layout",
            "name": "经营场所平面布局图",
            "required": True,
            "deficiency_ok": True,
            "situational": False,
            "form": "original",
            "copies": 1,
            "source": "applicant",
            "standard": "",
        },
        {
            "key": "proxy",
            "name": "授权委托书及代理人身份证",
            "required": True,
            "deficiency_ok": False,
            "situational": True,
            "form": "original",
            "copies": 1,
            "source": "applicant",
            "standard": "",
        },
        {
            "key": "old_licence",
            "name": "原食品经营许可证",
            "required": True,
            "deficiency_ok": False,
            "situational": True,
            "form": "original",
            "copies": 1,
            "source": "applicant",
            "standard": "",
        },
    ],
    "situations": [
        {
            "key": "who",
            "question": "是否委托他人办理？",
            "options": [
                {"key": "self", "answer": "本人办理", "add": [], "remove": []},
                {"key": "agent", "answer": "委托代理人", "add": ["proxy"], "remove": []},
            ],
        },
        {
            "key": "type",
            "question": "新办还是延续？",
            "options": [
                {"key": "new", "answer": "新办", "add": [], "remove": []},
                {"key": "renew", "answer": "延续", "add": ["old_licence"], "remove": ["layout"]},
            ],
        },
    ],
    "faqs": [{"q": "小吃店也要办吗？", "a": "要。"}],
    "life_events": [],
    "business_stages": ["operate"],
    "keywords": ["开饭店", "开餐馆"],
    "place": "中心二楼 D02",
    "hours": "工作日",
    "phone": "0916-5400002",
}


def county() -> Region:
    return Region.objects.get(code="610799000000")


def publish(data: dict) -> ItemVersion:  # type: ignore[type-arg]
    draft = services.item_draft_from_data(data=data, region=county(), actor=None)
    services.version_review(version=draft, actor=None)
    return services.version_publish(version=draft, actor=None)


def test_draft_review_publish_and_the_published_version_never_changes() -> None:
    v1 = publish(FOOD)
    item = Item.objects.get(code=FOOD["code"])
    assert item.published == v1 and v1.status == "published" and v1.number == 1
    v1.name = "改名"
    with pytest.raises(InvalidTransition, match="已发布的版本不能修改"):
        v1.save()
    with pytest.raises(InvalidTransition):
        Material.objects.create(version=v1, key="x", name="x", form="copy")
    # editing makes a new draft; publishing it supersedes v1, which stays as it was
    draft = services.version_new_draft(item=item, actor=None, change_note="承诺时限压缩")
    draft.promised_limit = 3
    draft.save()
    with pytest.raises(InvalidInput, match="超过了承诺时限 3 个工作日"):  # the flow must shrink too
        services.version_review(version=draft, actor=None)
    from onewindow.catalogue.flows import default_flow

    draft.flow = default_flow(
        handling="promised", promised_limit=3, department="610799-SCJG", co_departments=[]
    )
    draft.save()
    services.version_review(version=draft, actor=None)
    services.version_publish(version=draft, actor=None)
    v1.refresh_from_db()
    item.refresh_from_db()
    assert v1.status == "superseded" and v1.promised_limit == 5 and v1.name == FOOD["name"]
    assert item.published.number == 2 and item.published.promised_limit == 3
    assert item.published.materials.count() == 5  # children copied
    diff = selectors.version_diff(
        services.version_as_data(v1), services.version_as_data(item.published)
    )
    assert ("承诺办结时限", 5, 3) in diff


def test_only_reviewed_versions_publish() -> None:
    draft = services.item_draft_from_data(data=FOOD, region=county(), actor=None)
    with pytest.raises(InvalidTransition, match="已审核"):
        services.version_publish(version=draft, actor=None)
    with pytest.raises(InvalidTransition, match="未发布的修订稿"):
        services.item_draft_from_data(data=FOOD, region=county(), actor=None)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"promised_limit": 30}, "承诺时限 30 个工作日超过了法定时限 20 个工作日"),
        ({"handling": "immediate"}, "即办件的承诺时限应为 0"),
        ({"code": "123"}, "基本编码应为 12 位数字"),
        ({"levels": ["province"]}, "可办理层级"),
        ({"materials": []}, "至少应有一项申请材料"),
        ({"department": "610799-NOPE"}, "找不到部门"),
    ],
)
def test_bad_guides_are_refused_and_nothing_is_saved(change, words) -> None:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(FOOD)
    data.update(change)
    before = (Item.objects.count(), ItemVersion.objects.count(), Material.objects.count())
    with pytest.raises(InvalidInput, match=words):
        services.item_draft_from_data(data=data, region=county(), actor=None)
    assert (Item.objects.count(), ItemVersion.objects.count(), Material.objects.count()) == before


def test_a_situation_referring_to_a_missing_material_is_refused() -> None:
    data = copy.deepcopy(FOOD)
    data["situations"][0]["options"][1]["add"] = ["nope"]
    with pytest.raises(InvalidInput, match="引用了不存在的材料 nope"):
        services.item_draft_from_data(data=data, region=county(), actor=None)


def test_materials_follow_the_answers() -> None:
    version = publish(FOOD)

    def keys(answers: dict[str, str]) -> set[str]:
        return {m.key for m in selectors.materials_for(version, answers).materials}

    assert keys({}) == {"application", "licence", "layout"}
    assert keys({"who": "agent"}) == {"application", "licence", "layout", "proxy"}
    assert keys({"who": "self", "type": "renew"}) == {"application", "licence", "old_licence"}
    assert keys({"who": "robot"}) == {"application", "licence", "layout"}  # unknown: ignored


def test_guide_page_shows_the_materials_for_the_situation(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    publish(FOOD)
    client = Client()
    with django_assert_max_num_queries(12):
        page = client.get(f"/guide/{FOOD['code']}/").content.decode()
    assert "测试食品经营许可" in page and "食品经营许可申请书" in page
    assert "授权委托书" not in page and "5 个工作日" in page and "可容缺后补" in page
    page = client.get(f"/guide/{FOOD['code']}/?s_who=agent&s_type=renew").content.decode()
    assert "授权委托书" in page and "原食品经营许可证" in page and "平面布局图" not in page
    assert Client().get("/guide/999999999999/").status_code == 404
    index = client.get("/guide/?stage=operate").content.decode()
    assert "测试食品经营许可" in index


def test_bundle_refers_only_to_existing_items() -> None:
    publish(FOOD)
    with pytest.raises(InvalidInput, match="不存在的事项：000000000000"):
        services.bundle_save(
            data={
                "code": "YJS-T",
                "name": "测试一件事",
                "promised_limit": 5,
                "order": [["000000000000"], [FOOD["code"]]],
            },
            actor=None,
        )
    bundle = services.bundle_save(
        data={
            "code": "YJS-T",
            "name": "测试一件事",
            "promised_limit": 5,
            "order": [[FOOD["code"]]],
        },
        actor=None,
    )
    assert [s.item.code for s in bundle.steps.all()] == [FOOD["code"]]
    for order in ([], [[]], [[FOOD["code"]], []]):
        with pytest.raises(InvalidInput, match="每个阶段至少一个事项"):
            services.bundle_save(
                data={"code": "YJS-E", "name": "空的一件事", "promised_limit": 5, "order": order},
                actor=None,
            )
    assert not Bundle.objects.filter(code="YJS-E").exists()


def test_a_default_flow_is_drawn_up_and_fits_the_promised_limit() -> None:
    version = publish(FOOD)
    keys = [s["key"] for s in version.flow["states"]]
    assert keys == ["accept", "review", "decide", "done"]
    assert sum(s["limit"] for s in version.flow["states"]) <= FOOD["promised_limit"]
    joint = copy.deepcopy(FOOD)
    joint.update(code="000105009000", co_departments=["610799-XF", "610799-CG"])
    version = publish(joint)
    review = version.flow["states"][1]
    assert review["kind"] == "joint" and [b["lead"] for b in review["branches"]] == [
        True,
        False,
        False,
    ]


def flow_with(**change) -> dict:  # type: ignore[no-untyped-def,type-arg]
    from onewindow.catalogue.flows import default_flow

    flow = default_flow(
        handling="promised", promised_limit=5, department="610799-SCJG", co_departments=[]
    )
    for key, value in change.items():
        flow[key] = value(flow)
    return flow


@pytest.mark.parametrize(
    ("flow", "words"),
    [
        (
            flow_with(
                states=lambda f: [
                    *f["states"],
                    {
                        "key": "orphan",
                        "name": "孤立环节",
                        "kind": "task",
                        "limit": 0,
                        "roles": ["approver"],
                    },
                ]
            ),
            "环节“孤立环节”从开始环节无法到达",
        ),
        (
            flow_with(actions=lambda f: [a for a in f["actions"] if a["to"] != "done"]),
            "无法到达任何办结环节",
        ),
        (
            flow_with(
                states=lambda f: [
                    {**s, "limit": 9} if s["key"] == "review" else s for s in f["states"]
                ]
            ),
            "超过了承诺时限 5 个工作日",
        ),
        (
            flow_with(
                actions=lambda f: [
                    *f["actions"],
                    {
                        "key": "x",
                        "name": "越权",
                        "from": "accept",
                        "to": "done",
                        "roles": ["janitor"],
                    },
                ]
            ),
            "未知角色：janitor",
        ),
        (
            flow_with(
                actions=lambda f: [
                    *f["actions"],
                    {
                        "key": "y",
                        "name": "重开",
                        "from": "done",
                        "to": "review",
                        "roles": ["approver"],
                    },
                ]
            ),
            "办结环节“办结”之后不能再有操作",
        ),
    ],
)
def test_bad_flows_are_refused(flow, words) -> None:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(FOOD)
    data["flow"] = flow
    before = ItemVersion.objects.count()
    with pytest.raises(InvalidInput, match=words):
        services.item_draft_from_data(data=data, region=county(), actor=None)
    assert ItemVersion.objects.count() == before


def test_public_change_history() -> None:
    v1 = publish(FOOD)
    draft = services.version_new_draft(item=v1.item, actor=None, change_note="取消平面图")
    Material.objects.filter(version=draft, key="layout").delete()
    services.version_review(version=draft, actor=None)
    services.version_publish(version=draft, actor=None)
    page = Client().get(f"/guide/{FOOD['code']}/changes/").content.decode()
    assert "第 1 版 → 第 2 版" in page and "取消平面图" in page
    assert "经营场所平面布局图" in page and "（删除）" in page
