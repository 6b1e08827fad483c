"""Writes about the organisation: regions, service points, departments, windows."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from onewindow.accounts.permissions import admin_role
from onewindow.accounts.selectors import has_permission
from onewindow.audit.services import audit_record
from onewindow.core.errors import InvalidInput, NotAllowed
from onewindow.core.identifiers import validate_division_code

from .choices import LEVEL_ORDER, RegionLevel, WindowKind
from .models import Department, Region, ServicePoint, Window


def _check_may_manage(actor: Any) -> None:
    if actor is not None and not has_permission(actor, "org.manage"):
        raise NotAllowed("只有系统管理员可以维护组织机构。")


def region_create(
    *, actor: Any, code: str, name: str, level: str, parent: Region | None = None
) -> Region:
    _check_may_manage(actor)
    code = validate_division_code(code)
    if level not in RegionLevel.values:
        raise InvalidInput("层级无效。", field="level")
    if parent is not None and LEVEL_ORDER.index(RegionLevel(level)) <= LEVEL_ORDER.index(
        RegionLevel(parent.level)
    ):
        raise InvalidInput(
            f"{RegionLevel(level).label}不能隶属于{RegionLevel(parent.level).label}。",
            field="level",
        )
    if Region.objects.filter(code=code).exists():
        raise InvalidInput(f"区划代码 {code} 已存在。", field="code")
    if not name.strip():
        raise InvalidInput("请填写区划名称。", field="name")
    with transaction.atomic():
        region = Region.objects.create(
            code=code,
            name=name.strip(),
            level=level,
            parent=parent,
            path=(parent.path if parent else "") + code + "/",
        )
        audit_record(
            action="org.region.create",
            actor=actor,
            role=admin_role(actor),
            obj=region,
            summary=f"新增区划：{region.name}（{code}）",
            after={"code": code, "level": level, "parent": parent.code if parent else None},
        )
    return region


def service_point_create(
    *,
    actor: Any,
    region: Region,
    name: str,
    kind: str,
    address: str = "",
    phone: str = "",
    hours: str = "",
) -> ServicePoint:
    _check_may_manage(actor)
    if not name.strip():
        raise InvalidInput("请填写服务场所名称。", field="name")
    with transaction.atomic():
        point = ServicePoint.objects.create(
            region=region, name=name.strip(), kind=kind, address=address, phone=phone, hours=hours
        )
        audit_record(
            action="org.service_point.create",
            actor=actor,
            role=admin_role(actor),
            obj=point,
            summary=f"新增服务场所：{point.name}",
            after={"region": region.code},
        )
    return point


def department_create(
    *, actor: Any, region: Region, code: str, name: str, short_name: str = "", phone: str = ""
) -> Department:
    _check_may_manage(actor)
    if Department.objects.filter(code=code).exists():
        raise InvalidInput(f"部门编码 {code} 已存在。", field="code")
    with transaction.atomic():
        department = Department.objects.create(
            region=region, code=code, name=name, short_name=short_name, phone=phone
        )
        audit_record(
            action="org.department.create",
            actor=actor,
            role=admin_role(actor),
            obj=department,
            summary=f"新增部门：{name}",
            after={"code": code},
        )
    return department


def window_create(
    *,
    actor: Any,
    service_point: ServicePoint,
    number: str,
    name: str,
    kind: str,
    department: Department | None = None,
) -> Window:
    _check_may_manage(actor)
    if kind == WindowKind.DEPARTMENT and department is None:
        raise InvalidInput("部门专窗须选择所属部门。", field="department")
    if Window.objects.filter(service_point=service_point, number=number).exists():
        raise InvalidInput(f"{service_point.name} 已有 {number} 号窗口。", field="number")
    with transaction.atomic():
        window = Window.objects.create(
            service_point=service_point, number=number, name=name, kind=kind, department=department
        )
        audit_record(
            action="org.window.create",
            actor=actor,
            role=admin_role(actor),
            obj=window,
            summary=f"新增窗口：{service_point.name} {number} {name}",
            after={"kind": kind, "department": department.pk if department else None},
        )
    return window
