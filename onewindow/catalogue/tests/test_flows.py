"""Flow template rules (joint stages) and the clerk messages' time-limit unit."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from onewindow.catalogue import selectors, services
from onewindow.catalogue.flows import default_flow, flow_problems

from .test_catalogue import FOOD

DEPARTMENTS = {"610799-SCJG", "610799-CG", "610799-GA"}


def joint_flow() -> dict[str, Any]:
    return default_flow(
        handling="promised",
        promised_limit=10,
        department="610799-SCJG",
        co_departments=["610799-CG"],
    )


def review(flow: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in flow["states"] if s["key"] == "review")


def problems(flow: dict[str, Any], unit: str = "个工作日") -> list[str]:
    return flow_problems(flow, promised_limit=10, departments=DEPARTMENTS, unit=unit)


def test_the_default_joint_flow_is_valid() -> None:
    flow = joint_flow()
    assert review(flow)["kind"] == "joint"
    assert problems(flow) == []


def test_a_joint_stage_with_two_leads_is_refused() -> None:
    flow = joint_flow()
    for branch in review(flow)["branches"]:
        branch["lead"] = True
    assert problems(flow) == ["并联环节“并联审查”应有且只有一个牵头部门。"]


def test_a_joint_stage_without_a_lead_is_refused() -> None:
    flow = joint_flow()
    for branch in review(flow)["branches"]:
        branch["lead"] = False
    assert problems(flow) == ["并联环节“并联审查”应有且只有一个牵头部门。"]


def test_a_joint_stage_needs_two_departments() -> None:
    flow = joint_flow()
    review(flow)["branches"] = review(flow)["branches"][:1]
    assert problems(flow) == ["并联环节“并联审查”至少要有两个部门。"]


def test_a_joint_stage_with_an_unknown_department_is_refused() -> None:
    flow = joint_flow()
    review(flow)["branches"][1]["department"] = "610799-NOPE"
    assert problems(flow) == ["并联环节“并联审查”的部门 610799-NOPE 不存在。"]


def test_a_branch_over_the_stage_limit_is_refused_in_the_items_unit() -> None:
    flow = joint_flow()
    stage = review(flow)
    stage["branches"][1]["limit"] = stage["limit"] + 1
    assert problems(flow, unit="个自然日") == [
        f"并联环节“并联审查”中部门时限超过了环节时限 {stage['limit']} 个自然日。"
    ]


def test_the_flow_total_is_counted_in_the_items_unit() -> None:
    flow = joint_flow()
    review(flow)["limit"] = 12
    for branch in review(flow)["branches"]:
        branch["limit"] = 12
    (message,) = problems(flow, unit="个自然日")
    assert "合计可达 13 个自然日" in message and "承诺时限 10 个自然日" in message
    assert "工作日" not in message


@pytest.mark.django_db
def test_clerk_messages_use_the_items_unit() -> None:
    data = copy.deepcopy(FOOD)
    data.update(limit_unit="natural_days", statutory_limit=30, promised_limit=40)
    (message,) = services._problems(data)
    assert "承诺时限 40 个自然日超过了法定时限 30 个自然日" in message
    assert "工作日" not in message

    data.update(promised_limit=10, flow=joint_flow())
    review(data["flow"])["limit"] = 12
    for branch in review(data["flow"])["branches"]:
        branch["limit"] = 12
    (message,) = services._problems(data)
    assert message.startswith(f"{FOOD['name']}：办理流程：") and "13 个自然日" in message
    assert "工作日" not in message

    data.update(limit_unit="fortnights")
    assert any("时限单位无效" in m for m in services._problems(data))
    fields = dict(services.draft_problems(data))
    assert "limit_unit" in fields


def test_readable_values_use_the_unit_and_labels() -> None:
    assert selectors.readable("承诺办结时限", 5, "个自然日") == "5 个自然日"
    assert selectors.readable("时限单位", "natural_days") == "自然日"
    assert selectors.readable("事项类型", "public_service") == "公共服务"
    assert selectors.readable("可办理层级", ["county", "town"]) == "县级\n乡镇（街道）"
    assert selectors.readable("常见问题", 3) == "共 3 项"
    steps = selectors.readable("办理流程", joint_flow(), "个自然日")
    assert "并联审查（9 个自然日）" in steps and "工作日" not in steps
