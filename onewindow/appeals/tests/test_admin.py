"""Routing rules and the escalation ladder are data the system administrator edits in the back
office: a rule the router or the sweep could not follow is refused with the field named, and
every save is on record."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.appeals.models import Category, RoutingRule
from onewindow.audit.models import AuditEntry
from onewindow.org.models import Department
from onewindow.supervision.models import EscalationRule

pytestmark = pytest.mark.django_db


def form(**values: Any) -> dict[str, Any]:
    return {"priority": "60", "region_level": "", "category": "", "department": "", **values}


def test_routing_rules_are_edited_in_the_back_office_and_checked(as_user: Any) -> None:
    admin = as_user("xitong")
    assert admin.get("/sysadmin/appeals/routingrule/").status_code == 200
    assert admin.get("/sysadmin/appeals/category/").status_code == 200
    leaf = Category.objects.filter(children__isnull=True).order_by("code").first()
    parent = Category.objects.filter(children__isnull=False).first()
    assert leaf is not None and parent is not None
    department = Department.objects.filter(name__contains="住房").first()
    assert department is not None
    url = "/sysadmin/appeals/routingrule/add/"
    before = RoutingRule.objects.count()
    for values, field, message in [
        (form(target="department", category=leaf.pk), "department", "请选择部门"),
        (form(target="town", department=department.pk), "department", "只有承办单位为县级部门"),
        (form(target="town", region_level="province"), "region_level", "区划层级"),
        (form(target="centre", category=parent.pk), "category", "末级分类"),
    ]:
        page = admin.post(url, values)
        assert page.status_code == 200, field  # the form again, with the error
        assert message in page.content.decode(), field
    assert RoutingRule.objects.count() == before
    done = admin.post(
        url, form(target="department", category=leaf.pk, department=department.pk, _save="1")
    )
    assert done.status_code == 302
    rule = RoutingRule.objects.get(category=leaf, department=department)
    entry = AuditEntry.objects.get(action="appeals.routingrule.create")
    assert entry.object_id == str(rule.pk) and entry.role == "sysadmin"
    # business staff do not reach it
    assert as_user("jiancha").get("/sysadmin/appeals/routingrule/").status_code in (302, 403)


def test_escalation_rules_refuse_a_template_the_sweep_cannot_fill(as_user: Any) -> None:
    admin = as_user("xitong")
    rule = EscalationRule.objects.order_by("level").first()
    assert rule is not None
    url = f"/sysadmin/supervision/escalationrule/{rule.pk}/change/"
    assert admin.get(url).status_code == 200
    values = {
        "level": rule.level,
        "state": rule.state,
        "after_days": rule.after_days,
        "role": rule.role,
        "active": "on",
        "template": "办件 {number} 的 {unknown} 已超期",
    }
    page = admin.post(url, values)
    assert page.status_code == 200 and "无法识别的占位符" in page.content.decode()
    rule.refresh_from_db()
    assert "{unknown}" not in rule.template
    values["template"] = "办件 {number}（{item}）{clock}已于 {due} 到期"
    assert admin.post(url, values).status_code == 302
    rule.refresh_from_db()
    assert rule.template.startswith("办件 {number}（{item}）")
    assert AuditEntry.objects.filter(action="supervision.escalationrule.change").exists()
