"""The category tree and the default routing rules, loaded by a data migration."""

from __future__ import annotations

from typing import Any

CATEGORIES: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "01",
        "城乡建设",
        [
            ("0101", "市容环境"),
            ("0102", "道路交通设施"),
            ("0103", "供水供气"),
            ("0104", "房屋建设"),
        ],
    ),
    ("02", "社会保障", [("0201", "养老保险"), ("0202", "医疗保险"), ("0203", "低保救助")]),
    ("03", "教育", [("0301", "入学招生"), ("0302", "校园安全")]),
    ("04", "医疗卫生", [("0401", "医疗服务"), ("0402", "公共卫生")]),
    ("05", "农业农村", [("0501", "农村道路"), ("0502", "惠农补贴"), ("0503", "农村人居环境")]),
    ("06", "市场监管", [("0601", "食品安全"), ("0602", "价格收费"), ("0603", "消费维权")]),
    ("07", "生态环境", [("0701", "噪声扰民"), ("0702", "污水排放")]),
    ("08", "政务服务", [("0801", "办不成事"), ("0802", "窗口服务")]),
    ("99", "其他", [("9901", "其他事项")]),
]


def load(apps: Any, schema_editor: Any) -> None:
    Category = apps.get_model("appeals", "Category")
    RoutingRule = apps.get_model("appeals", "RoutingRule")
    for code, name, children in CATEGORIES:
        parent, _ = Category.objects.get_or_create(code=code, defaults={"name": name})
        for ccode, cname in children:
            Category.objects.get_or_create(code=ccode, defaults={"name": cname, "parent": parent})
    if not RoutingRule.objects.exists():
        # first the place the citizen lives: village, else its town; else the command centre
        RoutingRule.objects.create(region_level="village", target="village", priority=10)
        RoutingRule.objects.create(region_level="town", target="town", priority=10)
        RoutingRule.objects.create(target="centre", priority=0)
        gov = Category.objects.get(code="0801")
        RoutingRule.objects.create(category=gov, target="centre", priority=50)
