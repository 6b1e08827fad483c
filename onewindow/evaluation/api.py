"""好差评 endpoints: the signed-in applicant rates their own case (网上评), and anyone holding a
case's signed rating link rates it (扫码评, for an app that scans the receipt's QR code).
Errors have the project's shape: {"error": {"code", "message", "field"}} in Chinese."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.security import django_auth
from pydantic import Field

from onewindow.accounts.choices import UserKind
from onewindow.accounts.models import User
from onewindow.accounts.selectors import request_actor
from onewindow.cases.api import ERRORS
from onewindow.cases.models import Case
from onewindow.cases.selectors import applicant_cases
from onewindow.core.errors import NotAllowed, NotFound

from . import selectors, services, tokens
from .choices import REASONS, Level, Stage
from .models import Rating

# the session-authenticated applicant (django_auth checks CSRF on writes)
router = Router(tags=["好差评（申请人）"], auth=django_auth)
public_router = Router(tags=["好差评（扫码评，公开）"])

LEVELS_TEXT = "；".join(f"{int(v)} {label}" for v, label in Level.choices)
REASONS_TEXT = "；".join(f"{k} {v}" for k, v in REASONS.items())


class RatingIn(Schema):
    stage: str = Field(description="评价环节：acceptance 受理环节，completion 办结环节")
    level: int = Field(description=f"评价等级：{LEVELS_TEXT}")
    reasons: list[str] = Field(default_factory=list, description=f"原因（可多选）：{REASONS_TEXT}")
    comment: str = Field(default="", description="意见建议，最多 500 字")


class RatingOut(Schema):
    stage: str
    stage_label: str
    level: int
    level_label: str
    channel: str
    channel_label: str
    reasons: list[str]
    comment: str
    rated_at: dt.datetime


class RatingStateOut(Schema):
    number: str
    item_name: str
    open_stages: list[str] = Field(description="现在可以评价的环节")
    ratings: list[RatingOut]


def _out(rating: Rating) -> RatingOut:
    return RatingOut(
        stage=rating.stage,
        stage_label=Stage(rating.stage).label,
        level=rating.level,
        level_label=rating.get_level_display(),
        channel=rating.channel,
        channel_label=rating.get_channel_display(),
        reasons=list(rating.reasons or []),
        comment=rating.comment,
        rated_at=rating.rated_at,
    )


def _state(case: Case) -> RatingStateOut:
    return RatingStateOut(
        number=case.number,
        item_name=case.version.name,
        open_stages=selectors.open_stages(case),
        ratings=[_out(r) for r in selectors.case_ratings(case)],
    )


def _applicant(request: HttpRequest) -> User:
    user = request_actor(request)
    if not user.is_authenticated or user.kind != UserKind.APPLICANT:
        raise NotAllowed("本接口供群众和企业账户使用，请先登录。")
    return user


def _own(user: User, number: str) -> Case:
    case = applicant_cases(user).filter(number=number).first()
    if case is None:
        raise NotFound(f"没有找到办件 {number}。", field="number")
    return case


def _by_token(token: str) -> Case:
    case = Case.objects.select_related("version").filter(pk=tokens.case_id_from(token)).first()
    if case is None:
        raise NotFound("评价二维码对应的办件不存在。", field="token")
    return case


@router.get("/cases/{number}", response={200: RatingStateOut, **ERRORS}, summary="我的办件的评价")
def my_case_rating(request: HttpRequest, number: str) -> RatingStateOut:
    return _state(_own(_applicant(request), number))


@router.post(
    "/cases/{number}",
    response={201: RatingOut, **ERRORS},
    summary="评价我的办件（网上评）",
    description="每个环节只能评价一次，提交后不能修改；环节未到（未受理、未办结）返回 409。",
)
def my_case_rate(request: HttpRequest, number: str, data: RatingIn) -> Status[RatingOut]:
    user = _applicant(request)
    rating = services.rate_online(
        case=_own(user, number),
        actor=user,
        stage=data.stage,
        level=data.level,
        reasons=data.reasons,
        comment=data.comment,
    )
    return Status(201, _out(rating))


@public_router.get(
    "/{token}", response={200: RatingStateOut, **ERRORS}, summary="扫码评：办件的评价状态"
)
def token_state(request: HttpRequest, token: str) -> RatingStateOut:
    return _state(_by_token(token))


@public_router.post(
    "/{token}",
    response={201: RatingOut, **ERRORS},
    summary="扫码评：评价办件",
    description=(
        "token 为收件回执二维码或办结评价邀请中的签名链接末段；伪造或过期返回 422"
        "（code 为 token_invalid 或 token_expired）。每个环节只能评价一次。"
    ),
)
def token_rate(request: HttpRequest, token: str, data: RatingIn) -> Status[RatingOut]:
    rating = services.rate_by_token(
        token=token,
        stage=data.stage,
        level=data.level,
        reasons=data.reasons,
        comment=data.comment,
    )
    return Status(201, _out(rating))
