"""Appeal endpoints for the handling units' staff (/api/v1/appeals): their queue of dispatches,
one dispatch with its appeal, and the unit's actions sign-for, reply and bounce.

Session authentication (django-ninja `django_auth`, CSRF checked on writes), like the staff
case endpoints. A staff member reaches the dispatches of the units they work in (`appeal.handle`,
the unit's own posts) and the command centre every dispatch of its jurisdiction
(`appeal.dispatch`); any other dispatch is a 404. Every action goes through `services`, which
check the unit and the state again; errors have the common shape of `onewindow/api/router.py`.
The callback phone is masked; a post with `personal.reveal` asks for it whole with
`?reveal=true`, and each such look is on the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.security import django_auth
from pydantic import Field

from onewindow.accounts.models import User
from onewindow.accounts.selectors import (
    has_permission,
    roles_of,
)
from onewindow.api.access import staff_actor
from onewindow.api.schemas import ERRORS
from onewindow.audit.services import audit_record
from onewindow.core.errors import NotAllowed, NotFound
from onewindow.core.personal import mask_phone

from . import selectors, services
from .choices import DispatchState
from .models import Appeal, Dispatch

router = Router(tags=["民情直通车（承办单位）"], auth=django_auth)


# -- schemas --------------------------------------------------------------------------------------


class DispatchOut(Schema):
    id: int = Field(description="派单标识（操作时用）")
    number: str = Field(description="诉求编号")
    revision: int = Field(description="诉求修订号；已被他人处理时返回 409")
    title: str
    kind: str
    kind_label: str
    category: str
    place: str = Field(description="诉求发生地（镇街 / 村社区）")
    urgency: str
    unit: str = Field(description="承办单位")
    lead: bool = Field(description="主办（false 为协办）")
    state: str
    state_label: str
    sign_due: dt.date | None
    signed_on: dt.date | None
    handle_due: dt.date | None
    closed_on: dt.date | None


class QueueOut(Schema):
    count: int
    items: list[DispatchOut]


class EventOut(Schema):
    on: dt.date
    label: str


class CallerOut(Schema):
    anonymous: bool
    name: str
    phone: str
    masked: bool


class DispatchDetailOut(DispatchOut):
    content: str
    address: str
    channel: str
    channel_label: str
    status: str = Field(description="诉求状态")
    status_label: str
    filed_on: dt.date
    reply: str = Field(description="本单位的答复（已答复时）")
    reason: str = Field(description="退单、转办或上报理由")
    caller: CallerOut
    timeline: list[EventOut]


class QueueParams(Schema):
    state: DispatchState | None = Field(
        default=None, description="waiting 待签收，signed 已签收；不填为两者"
    )
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class RevisionIn(Schema):
    expected_revision: int | None = Field(
        default=None, description="页面上看到的诉求修订号；已被他人处理时返回 409"
    )


class ReplyIn(RevisionIn):
    text: str = Field(min_length=1, max_length=5000, description="答复内容（至少 10 个字）")


class BounceIn(RevisionIn):
    reason: str = Field(min_length=1, max_length=500, description="退单理由（至少 4 个字）")


# -- helpers --------------------------------------------------------------------------------------


def _unit_user(request: HttpRequest) -> User:
    user = staff_actor(request)
    if not (has_permission(user, "appeal.handle") or has_permission(user, "appeal.dispatch")):
        raise NotAllowed("您的岗位不承办民情直通车诉求。")
    return user


def _dispatch(user: User, dispatch_id: int) -> Dispatch:
    found = selectors.unit_dispatches(user).filter(pk=dispatch_id).first()
    if found is None:
        raise NotFound(f"没有找到派单 {dispatch_id}，或它不属于您的单位。", field="dispatch_id")
    return found


def _category(appeal: Appeal) -> str:
    parent = appeal.category.parent
    return f"{parent.name} / {appeal.category.name}" if parent else appeal.category.name


def _place(appeal: Appeal) -> str:
    region = appeal.region
    return f"{region.parent.name} / {region.name}" if region.parent else region.name


def _brief(d: Dispatch) -> dict[str, Any]:
    appeal = d.appeal
    return {
        "id": d.pk,
        "number": appeal.number,
        "revision": appeal.revision,
        "title": appeal.title,
        "kind": appeal.kind,
        "kind_label": appeal.get_kind_display(),
        "category": _category(appeal),
        "place": _place(appeal),
        "urgency": appeal.urgency,
        "unit": services.unit_name(d.region, d.department),
        "lead": d.lead,
        "state": d.state,
        "state_label": d.get_state_display(),
        "sign_due": d.sign_due,
        "signed_on": d.signed_on,
        "handle_due": d.handle_due,
        "closed_on": d.closed_on,
    }


def _caller(appeal: Appeal, user: User, reveal: bool) -> CallerOut:
    name = "" if appeal.anonymous else appeal.caller_name
    if reveal and appeal.callback_phone:
        if not has_permission(user, "personal.reveal"):
            raise NotAllowed("您的岗位无权查看完整的个人信息。")
        with transaction.atomic():
            audit_record(
                action="personal.reveal",
                actor=user,
                role=",".join(sorted(roles_of(user))),
                obj=appeal,
                summary=f"诉求 {appeal.number} 查看诉求人完整回访电话",
                after={"fields": ["callback_phone"]},
            )
        return CallerOut(
            anonymous=appeal.anonymous, name=name, phone=appeal.callback_phone, masked=False
        )
    return CallerOut(
        anonymous=appeal.anonymous, name=name, phone=mask_phone(appeal.callback_phone), masked=True
    )


def _detail(user: User, dispatch_id: int, reveal: bool = False) -> DispatchDetailOut:
    d = _dispatch(user, dispatch_id)
    appeal = d.appeal
    return DispatchDetailOut(
        **_brief(d),
        content=appeal.content,
        address=appeal.address,
        channel=appeal.channel,
        channel_label=appeal.get_channel_display(),
        status=appeal.status,
        status_label=appeal.get_status_display(),
        filed_on=appeal.filed_on,
        reply=d.reply,
        reason=d.reason,
        caller=_caller(appeal, user, reveal),
        timeline=[
            EventOut(on=cast(dt.date, on), label=label)
            for on, label in selectors.public_timeline(appeal)
        ],
    )


# -- endpoints ------------------------------------------------------------------------------------


@router.get(
    "/queue",
    response={200: QueueOut, **ERRORS},
    summary="本单位待办派单（待签收、已签收），签收时限早的在前",
)
def queue(request: HttpRequest, params: Query[QueueParams]) -> QueueOut:
    user = _unit_user(request)
    qs = selectors.unit_queue(user)
    if params.state is not None:
        qs = qs.filter(state=params.state)
    qs = qs.select_related("appeal__category__parent", "appeal__region__parent")
    rows = list(qs[params.offset : params.offset + params.limit])
    return QueueOut(count=qs.count(), items=[DispatchOut(**_brief(d)) for d in rows])


@router.get(
    "/dispatches/{dispatch_id}",
    response={200: DispatchDetailOut, **ERRORS},
    summary="一个派单及其诉求（本单位的，含已结束的）",
    description="回访电话默认脱敏；有查看权限的岗位加 reveal=true 查看完整号码，每次查看记入审计日志。",
)
def detail(request: HttpRequest, dispatch_id: int, reveal: bool = False) -> DispatchDetailOut:
    return _detail(_unit_user(request), dispatch_id, reveal)


@router.post(
    "/dispatches/{dispatch_id}/sign",
    response={200: DispatchDetailOut, **ERRORS},
    summary="签收（办理时限自签收日起算）",
)
def sign(request: HttpRequest, dispatch_id: int, data: RevisionIn) -> DispatchDetailOut:
    user = _unit_user(request)
    d = _dispatch(user, dispatch_id)
    services.sign_for(
        actor=user, appeal_id=d.appeal_id, dispatch_id=d.pk, revision=data.expected_revision
    )
    return _detail(user, d.pk)


@router.post(
    "/dispatches/{dispatch_id}/reply",
    response={200: DispatchDetailOut, **ERRORS},
    summary="答复诉求人（须先签收）",
)
def reply(request: HttpRequest, dispatch_id: int, data: ReplyIn) -> DispatchDetailOut:
    user = _unit_user(request)
    d = _dispatch(user, dispatch_id)
    services.reply(
        actor=user,
        appeal_id=d.appeal_id,
        dispatch_id=d.pk,
        text=data.text,
        revision=data.expected_revision,
    )
    return _detail(user, d.pk)


@router.post(
    "/dispatches/{dispatch_id}/bounce",
    response={200: DispatchDetailOut, **ERRORS},
    summary="退单至县指挥中心（写明理由）",
    description="返回本单位已退单的派单；诉求另派给县指挥中心重新分派。",
)
def bounce(request: HttpRequest, dispatch_id: int, data: BounceIn) -> DispatchDetailOut:
    user = _unit_user(request)
    d = _dispatch(user, dispatch_id)
    services.bounce(
        actor=user,
        appeal_id=d.appeal_id,
        dispatch_id=d.pk,
        reason=data.reason,
        revision=data.expected_revision,
    )
    return _detail(user, d.pk)
