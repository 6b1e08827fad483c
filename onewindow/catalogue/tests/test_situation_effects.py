"""What a situation answer changes besides materials: acceptance conditions added and the time
limits of that situation, on the selector, the public guide page, the notice, the API, the staff
editor and the Excel exchange; bad limits refused with a message and nothing saved."""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from onewindow.catalogue import selectors, services
from onewindow.catalogue.exchange import (
    ImportProblems,
    export_catalogue,
    import_catalogue,
    read_catalogue,
)
from onewindow.catalogue.models import Item, ItemVersion, SituationOption
from onewindow.catalogue.notice import notice_context
from onewindow.conftest import login_client
from onewindow.core.errors import InvalidInput

from .test_catalogue import FOOD, county

RENEW_CONDITION = "在许可证有效期届满前提出延续申请"
AGENT_CONDITION = "代理人持有经公证的授权委托书"

# FOOD (statutory 20, promised 5 working days) whose answers also change conditions and limits
EFFECTS = copy.deepcopy(FOOD)
_who, _type = EFFECTS["situations"]
_who["options"][1].update(conditions=[AGENT_CONDITION], promised_limit=8, statutory_limit=15)
_type["options"][1].update(conditions=[RENEW_CONDITION], promised_limit=2)


def publish(data: dict[str, Any]) -> ItemVersion:
    draft = services.item_draft_from_data(data=data, region=county(), actor=None)
    services.version_review(version=draft, actor=None)
    return services.version_publish(version=draft, actor=None)


# --- the selector -------------------------------------------------------------------------------


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.django_db
def test_selector_answers_change_conditions_and_limits() -> None:
    version = publish(EFFECTS)
    base = FOOD["conditions"]

    plain = selectors.guide_for(version, {})
    assert plain.conditions == base and plain.limited_by == []
    assert (plain.promised_limit, plain.statutory_limit) == (5, 20)

    new = selectors.guide_for(version, {"type": "new", "who": "self"})
    assert new.conditions == base and (new.promised_limit, new.statutory_limit) == (5, 20)

    renew = selectors.guide_for(version, {"type": "renew"})
    assert renew.conditions == [*base, RENEW_CONDITION]
    assert (renew.promised_limit, renew.statutory_limit) == (2, 20)
    assert renew.limited_by == ["延续"] and renew.limits_changed
    assert {m.key for m in renew.materials} == {"application", "licence", "old_licence"}

    # two answers that set a limit: the longest applies; conditions in question order
    both = selectors.guide_for(version, {"who": "agent", "type": "renew"})
    assert both.conditions == [*base, AGENT_CONDITION, RENEW_CONDITION]
    assert (both.promised_limit, both.statutory_limit) == (8, 20)
    assert both.limited_by == ["委托代理人", "延续"]

    agent = selectors.guide_for(version, {"who": "agent"})
    assert (agent.promised_limit, agent.statutory_limit) == (8, 15)

    # materials_for is the same selection
    assert selectors.materials_for(version, {"type": "renew"}).materials == renew.materials


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.django_db
def test_a_draft_copies_the_effects_and_the_data_round_trips() -> None:
    version = publish(EFFECTS)
    data = services.version_as_data(version)
    renew = data["situations"][1]["options"][1]
    assert renew["conditions"] == [RENEW_CONDITION]
    assert (renew["promised_limit"], renew["statutory_limit"]) == (2, None)
    draft = services.version_new_draft(item=version.item, actor=None)
    assert services.version_as_data(draft)["situations"] == data["situations"]


# --- the public guide page, the notice, the API ------------------------------------------------


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.django_db
def test_guide_page_conditions_and_limits_follow_the_answers(
    django_assert_max_num_queries: Any,
) -> None:
    publish(EFFECTS)
    client = Client()
    url = f"/guide/{FOOD['code']}/"
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert RENEW_CONDITION not in page and "5 个工作日" in page and "法定 20 个工作日" in page
    assert "<strong>审查</strong> · 4 个工作日" in page and "办理流程（按您的情形）" not in page

    page = client.get(url, {"s_type": "renew", "s_who": "self"}).content.decode()
    assert RENEW_CONDITION in page and AGENT_CONDITION not in page
    assert "受理条件（按您的情形）" in page and "承诺时限（按您的情形）" in page
    assert '<p class="stat">2 个工作日</p>' in page and "按“延续”" in page
    assert 'value="renew" checked' in page  # the GET form keeps the answer (no JavaScript)
    # the flow's steps as they will run for a 2-day promise (4 and 1 of 5 days, shortened in
    # proportion and rounded down, as the case engine does): never longer than the promise
    assert "办理流程（按您的情形）" in page
    assert "<strong>审查</strong> · 1 个工作日" in page
    assert "<strong>审批决定</strong> · 当日" in page

    page = client.get(url, {"s_type": "new"}).content.decode()
    assert RENEW_CONDITION not in page and '<p class="stat">5 个工作日</p>' in page


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.django_db
def test_notice_and_api_carry_the_situation_effects() -> None:
    publish(EFFECTS)
    item = selectors.guide(FOOD["code"])
    assert item is not None
    context = notice_context(
        item=item, answers={"type": "renew"}, guide_url="https://example.test/", centre_name="中心"
    )
    assert context["conditions"] == [*FOOD["conditions"], RENEW_CONDITION]
    assert context["promised"] == "2 个工作日" and context["statutory"] == "20 个工作日"
    assert context["limited_by"] == ["延续"]
    plain = notice_context(item=item, answers={}, guide_url="https://x.test/", centre_name="中心")
    assert plain["promised"] == "5 个工作日" and RENEW_CONDITION not in plain["conditions"]

    body = Client().get(f"/api/v1/items/{FOOD['code']}").json()
    options = {o["key"]: o for s in body["situations"] for o in s["options"]}
    assert options["renew"]["conditions"] == [RENEW_CONDITION]
    assert (options["renew"]["promised_limit"], options["renew"]["statutory_limit"]) == (2, None)
    assert options["new"]["conditions"] == [] and options["new"]["promised_limit"] is None


# --- bad limits refused ---------------------------------------------------------------------------


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {"promised_limit": 25},
            "情形“新办还是延续？”的选项“延续”：该情形的承诺时限 25 个工作日超过了事项的法定时限 20 个工作日",
        ),
        (
            {"promised_limit": 9, "statutory_limit": 6},
            "该情形的承诺时限 9 个工作日超过了该情形的法定时限 6 个工作日",
        ),
        ({"statutory_limit": 30}, "该情形的法定时限 30 个工作日超过了事项的法定时限 20 个工作日"),
        (
            {"promised_limit": None, "statutory_limit": 3},
            "该情形的法定时限 3 个工作日短于事项的承诺时限 5 个工作日",
        ),
        ({"promised_limit": 0}, "承诺件的情形承诺时限应大于 0"),
        ({"promised_limit": -1}, "该情形的承诺时限应为不小于 0 的整数"),
        ({"conditions": ["", "x"]}, "增加的受理条件应为文字"),
    ],
)
def test_bad_override_is_refused_and_nothing_saved(change: dict[str, Any], words: str) -> None:
    data = copy.deepcopy(EFFECTS)
    data["situations"][1]["options"][1].update(change)
    before = (ItemVersion.objects.count(), SituationOption.objects.count())
    with pytest.raises(InvalidInput, match=words):
        services.item_draft_from_data(data=data, region=county(), actor=None)
    assert (ItemVersion.objects.count(), SituationOption.objects.count()) == before
    assert not Item.objects.filter(code=FOOD["code"]).exists()


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.django_db
def test_an_immediate_item_cannot_promise_days_in_a_situation() -> None:
    data = copy.deepcopy(EFFECTS)
    data.update(handling="immediate", promised_limit=0)
    data["situations"][0]["options"][1].update(promised_limit=None, statutory_limit=None)
    data["situations"][1]["options"][1]["promised_limit"] = 1
    with pytest.raises(InvalidInput, match="即办件当场办结，该情形的承诺时限只能为 0 或留空"):
        services.item_draft_from_data(data=data, region=county(), actor=None)


@pytest.mark.django_db
def test_the_database_refuses_promised_above_statutory_on_an_option() -> None:
    from django.db import IntegrityError, transaction

    option = SituationOption.objects.filter(situation__version__status="draft").first()
    if option is None:  # the demo catalogue is all published: make a draft
        item = Item.objects.filter(published__isnull=False).exclude(published__situations=None)[0]
        draft = services.version_new_draft(item=item, actor=None)
        option = SituationOption.objects.filter(situation__version=draft).first()
    assert option is not None
    option.promised_limit, option.statutory_limit = 9, 3
    with pytest.raises(IntegrityError), transaction.atomic():
        option.save()


# --- the staff situation editor ---------------------------------------------------------------------

FOOD_LICENCE = "002001005000"  # demo 食品经营许可: statutory 10, promised 5; 变更 promises 3


def edit_payload(version: ItemVersion, **changes: Any) -> dict[str, Any]:
    """The edit form as the browser posts it, including each option's conditions and limits."""
    from .test_staff_pages import payload

    post = payload(version)
    data = services.version_as_data(version)
    rows = [o for s in data["situations"] for o in s["options"]]
    for n, option in enumerate(rows):
        post[f"s-{n}-conditions"] = "\n".join(option["conditions"])
        for key in ("promised_limit", "statutory_limit"):
            post[f"s-{n}-{key}"] = "" if option[key] is None else option[key]
    post.update(changes)
    return post


def _row_of(version: ItemVersion, situation: str, option: str) -> int:
    data = services.version_as_data(version)
    rows = [(s["key"], o["key"]) for s in data["situations"] for o in s["options"]]
    return rows.index((situation, option))


@pytest.mark.django_db
def test_staff_editor_shows_and_saves_the_situation_effects() -> None:
    item = Item.objects.get(code=FOOD_LICENCE)
    head = login_client("scjg_fzr")
    head.post(f"/workbench/catalogue/{item.code}/draft/")
    draft = item.versions.get(status="draft")
    page = head.get(f"/workbench/catalogue/version/{draft.pk}/edit/").content.decode()
    assert "增加受理条件" in page and "经营场所地址不变" in page  # the demo's 变更 condition
    n = _row_of(draft, "apply_type", "new")
    response = head.post(
        f"/workbench/catalogue/version/{draft.pk}/edit/",
        edit_payload(
            draft,
            **{
                f"s-{n}-conditions": "新办的经营场所已取得消防安全检查合格意见\n",
                f"s-{n}-promised_limit": "7",
                f"s-{n}-statutory_limit": "",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = services.version_as_data(ItemVersion.objects.get(pk=draft.pk))
    new = saved["situations"][0]["options"][0]
    assert new["key"] == "new" and new["promised_limit"] == 7 and new["statutory_limit"] is None
    assert new["conditions"] == ["新办的经营场所已取得消防安全检查合格意见"]
    change = saved["situations"][0]["options"][1]
    assert change["promised_limit"] == 3  # the other rows kept what they had


@pytest.mark.django_db
def test_staff_editor_refuses_a_bad_override_next_to_the_field() -> None:
    item = Item.objects.get(code=FOOD_LICENCE)
    head = login_client("scjg_fzr")
    head.post(f"/workbench/catalogue/{item.code}/draft/")
    draft = item.versions.get(status="draft")
    before = services.version_as_data(draft)
    n = _row_of(draft, "apply_type", "change")
    response = head.post(
        f"/workbench/catalogue/version/{draft.pk}/edit/",
        edit_payload(
            draft,
            phone="0916-0000000",
            **{f"s-{n}-promised_limit": "12", f"s-{n}-statutory_limit": "11"},
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    message = "该情形的法定时限 11 个工作日超过了事项的法定时限 10 个工作日"
    assert message in html
    # next to the 法定时限 input of that row
    field = html.index(f'name="s-{n}-statutory_limit"')
    assert html.index(message) > field and html.index(message) - field < 400
    assert services.version_as_data(ItemVersion.objects.get(pk=draft.pk)) == before

    response = head.post(
        f"/workbench/catalogue/version/{draft.pk}/edit/",
        edit_payload(draft, **{f"s-{n}-promised_limit": "9", f"s-{n}-statutory_limit": "6"}),
    )
    html = response.content.decode()
    assert "该情形的承诺时限 9 个工作日超过了该情形的法定时限 6 个工作日" in html
    assert services.version_as_data(ItemVersion.objects.get(pk=draft.pk)) == before


# --- Excel ---------------------------------------------------------------------------------------------


def exported() -> io.BytesIO:
    stream = io.BytesIO()
    export_catalogue(stream)
    stream.seek(0)
    return stream


def situation_sheet(stream: io.BytesIO) -> list[dict[str, Any]]:
    stream.seek(0)
    rows = list(load_workbook(stream)["情形"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def edited(stream: io.BytesIO, option: str, column: str, value: Any) -> io.BytesIO:
    stream.seek(0)
    book = load_workbook(stream)
    sheet = book["情形"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("选项标识")].value == option:
            row[header.index(column)].value = value
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.django_db
def test_excel_round_trip_of_the_situation_effects() -> None:
    publish(EFFECTS)
    stream = exported()
    rows = {r["选项标识"]: r for r in situation_sheet(stream)}
    assert rows["renew"]["增加受理条件"] == RENEW_CONDITION
    assert rows["renew"]["情形承诺时限"] == 2 and rows["renew"]["情形法定时限"] is None
    assert (rows["agent"]["情形承诺时限"], rows["agent"]["情形法定时限"]) == (8, 15)
    assert rows["new"]["增加受理条件"] in (None, "") and rows["new"]["情形承诺时限"] is None

    items, _ = read_catalogue(stream)
    assert (
        items[0]["situations"]
        == services.version_as_data(
            Item.objects.get(code=FOOD["code"]).published  # type: ignore[arg-type]
        )["situations"]
    )
    stream.seek(0)
    result = import_catalogue(stream, actor=None)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)

    # one changed cell: a new published version with the new limit and conditions
    changed = edited(exported(), "renew", "情形承诺时限", 3)
    changed = edited(changed, "renew", "增加受理条件", f"{RENEW_CONDITION}\n原许可证未被吊销")
    result = import_catalogue(changed, actor=None)
    assert result.updated == 1
    version = Item.objects.get(code=FOOD["code"]).published
    assert version is not None and version.number == 2
    renew = selectors.guide_for(version, {"type": "renew"})
    assert renew.promised_limit == 3 and renew.conditions[-1] == "原许可证未被吊销"


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.django_db
def test_excel_bad_override_is_reported_on_its_cell_and_nothing_imported() -> None:
    publish(EFFECTS)
    before = ItemVersion.objects.count()
    bad = edited(exported(), "renew", "情形承诺时限", 25)
    bad = edited(bad, "agent", "情形法定时限", "十五")
    with pytest.raises(ImportProblems) as raised:
        import_catalogue(bad, actor=None)
    found = {(p.sheet, p.column): p.message for p in raised.value.problems}
    assert "超过了事项的法定时限 20 个工作日" in found[("情形", "情形承诺时限")]
    assert "不是整数" in found[("情形", "情形法定时限")]
    assert all(p.sheet == "情形" and p.row is not None for p in raised.value.problems)
    assert ItemVersion.objects.count() == before


@pytest.mark.usefixtures("empty_catalogue")
@pytest.mark.django_db
def test_an_older_workbook_without_the_columns_keeps_the_effects() -> None:
    publish(EFFECTS)
    stream = exported()
    book = load_workbook(stream)
    sheet = book["情形"]
    header = [c.value for c in sheet[1]]
    for column in ("情形法定时限", "情形承诺时限", "增加受理条件"):  # right to left
        sheet.delete_cols(header.index(column) + 1)
    old = io.BytesIO()
    book.save(old)
    old.seek(0)
    result = import_catalogue(old, actor=None)
    assert (result.updated, result.unchanged) == (0, 1)
    version = Item.objects.get(code=FOOD["code"]).published
    assert version is not None
    assert selectors.guide_for(version, {"type": "renew"}).promised_limit == 2
