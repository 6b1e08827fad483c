"""The default service attributes (service definitions), loaded by a data migration and again by
the demo step after a test flush. The administrator edits them in the back office afterwards."""

from __future__ import annotations

from typing import Any

KIND_ATTRIBUTE = "APPEAL_KIND"
PUBLISH_ATTRIBUTE = "PUBLISH"

KINDS = [
    ("help", "求助"),
    ("complaint", "投诉"),
    ("report", "举报（可匿名：不填姓名和电话）"),
    ("consultation", "咨询"),
    ("suggestion", "建议"),
    ("praise", "表扬"),
]

# (category code or None for every service, code, datatype, required, order, description,
#  values, default, datatype_description)
ATTRIBUTES: list[tuple[str | None, str, str, bool, int, str, list[tuple[str, str]], str, str]] = [
    (
        None,
        KIND_ATTRIBUTE,
        "singlevaluelist",
        False,
        1,
        "诉求类型 (kind of request)",
        KINDS,
        "help",
        "不填为求助",
    ),
    (
        None,
        PUBLISH_ATTRIBUTE,
        "singlevaluelist",
        False,
        2,
        "是否同意公开（匿名公开：不含姓名、电话，地址到村） (publish anonymised?)",
        [("false", "不同意公开"), ("true", "同意公开")],
        "false",
        "不填为不同意",
    ),
    (
        "0102",
        "FACILITY",
        "singlevaluelist",
        True,
        10,
        "损坏的设施 (damaged facility)",
        [
            ("streetlight", "路灯"),
            ("signal", "红绿灯"),
            ("manhole", "井盖"),
            ("guardrail", "护栏"),
            ("sign", "标志标线"),
        ],
        "",
        "",
    ),
    (
        "0103",
        "UTILITY",
        "singlevaluelist",
        True,
        10,
        "停水还是停气 (water or gas)",
        [("water", "供水"), ("gas", "供气")],
        "",
        "",
    ),
    (
        "0103",
        "SINCE",
        "datetime",
        False,
        11,
        "从何时开始 (since when)",
        [],
        "",
        "ISO 8601，如 2026-03-01T08:00:00+08:00",
    ),
    (
        "0501",
        "LENGTH",
        "number",
        False,
        10,
        "受损路段长度（米） (damaged length, metres)",
        [],
        "",
        "数字",
    ),
    (
        "0601",
        "SHOP",
        "string",
        True,
        10,
        "涉及的店铺或单位名称 (shop or business named)",
        [],
        "",
        "",
    ),
    (
        "0701",
        "SOURCE",
        "singlevaluelist",
        True,
        10,
        "噪声来源 (source of the noise)",
        [
            ("construction", "建筑施工"),
            ("business", "商业经营"),
            ("traffic", "交通运输"),
            ("neighbour", "社会生活"),
        ],
        "",
        "",
    ),
    (
        "0701",
        "WHEN",
        "multivaluelist",
        False,
        11,
        "什么时段 (when)",
        [("day", "白天（6:00–22:00）"), ("night", "夜间（22:00–6:00）")],
        "",
        "",
    ),
    (
        "0801",
        KIND_ATTRIBUTE,
        "singlevaluelist",
        False,
        1,
        "诉求类型 (kind of request)",
        [("cannot_get_done", "办不成事"), ("complaint", "投诉"), ("suggestion", "建议")],
        "cannot_get_done",
        "不填为办不成事",
    ),
]


def load(apps: Any, schema_editor: Any = None) -> int:
    """Create the attributes that are missing (by category and code); returns how many."""
    Category = apps.get_model("appeals", "Category")
    ServiceAttribute = apps.get_model("open311", "ServiceAttribute")
    made = 0
    categories = {c.code: c for c in Category.objects.all()}
    for code, attr, datatype, required, order, description, values, default, dt_desc in ATTRIBUTES:
        category = categories.get(code) if code else None
        if code and category is None:
            continue
        if ServiceAttribute.objects.filter(category=category, code=attr).exists():
            continue
        ServiceAttribute.objects.create(
            category=category,
            code=attr,
            datatype=datatype,
            required=required,
            order=order,
            description=description,
            values=[{"key": k, "name": n} for k, n in values],
            default=default,
            datatype_description=dt_desc,
        )
        made += 1
    return made
