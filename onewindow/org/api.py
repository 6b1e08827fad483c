"""Organisation endpoints. Staff endpoints use the session and the actor's jurisdiction."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from onewindow.core.errors import NotAllowed

from . import selectors

router = Router(tags=["组织机构"])


class ServicePointOut(Schema):
    id: int
    name: str
    kind: str
    region_code: str
    region_name: str
    address: str
    phone: str
    hours: str


class WindowOut(Schema):
    id: int
    number: str
    name: str
    kind: str
    service_point: str
    region_code: str
    department: str | None


@router.get("/service-points", response=list[ServicePointOut], summary="服务场所（公开）")
def list_service_points(request: HttpRequest) -> list[ServicePointOut]:
    return [
        ServicePointOut(
            id=p.pk,
            name=p.name,
            kind=p.kind,
            region_code=p.region.code,
            region_name=p.region.name,
            address=p.address,
            phone=p.phone,
            hours=p.hours,
        )
        for p in selectors.public_service_points()
    ]


@router.get(
    "/windows", response=list[WindowOut], auth=django_auth, summary="窗口（本人管辖范围内）"
)
def list_windows(request: HttpRequest) -> list[WindowOut]:
    from onewindow.accounts.selectors import has_permission, request_actor

    user = request_actor(request)
    if not has_permission(user, "org.view"):
        raise NotAllowed("您的岗位无权查看组织机构。")
    return [
        WindowOut(
            id=w.pk,
            number=w.number,
            name=w.name,
            kind=w.kind,
            service_point=w.service_point.name,
            region_code=w.service_point.region.code,
            department=w.department.name if w.department else None,
        )
        for w in selectors.windows_for(user)
    ]
