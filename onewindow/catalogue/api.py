"""Public catalogue endpoints: search (items and bundles, ranked), suggestions, one whole guide."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from onewindow.core.errors import NotFound
from onewindow.org.models import Region

from . import search as catalogue_search
from . import selectors
from .models import Bundle

router = Router(tags=["事项清单"])


class ItemHitOut(Schema):
    code: str
    name: str
    kind: str = Field(description="item 事项，bundle 一件事")
    department: str
    score: float


class SearchParams(Schema):
    q: str = Field(min_length=1, max_length=100, description="用户自己的说法，如“我想开饭店”")
    region: str | None = Field(
        default=None,
        pattern=r"^\d{12}$",
        description="办理地的 12 位区划代码：只返回该层级可办的事项",
    )
    limit: int = Field(default=10, ge=1, le=50)


@router.get("", response=list[ItemHitOut], summary="搜索事项和一件事")
def search_items(request: HttpRequest, params: Query[SearchParams]) -> list[ItemHitOut]:
    level = None
    if params.region:
        region = Region.objects.filter(code=params.region).first()
        if region is None:
            raise NotFound(f"区划代码 {params.region} 不存在。", field="region")
        level = region.level
    return [
        ItemHitOut(code=h.code, name=h.name, kind=h.kind, department=h.department, score=h.score)
        for h in catalogue_search.search(params.q, level=level, limit=params.limit)
    ]


class SuggestParams(Schema):
    q: str = Field(min_length=1, max_length=50)


@router.get("/suggest", response=list[str], summary="输入提示")
def suggest(request: HttpRequest, params: Query[SuggestParams]) -> list[str]:
    return catalogue_search.get_index().suggest(params.q)


class MaterialOut(Schema):
    key: str
    name: str
    required: bool
    deficiency_ok: bool
    situational: bool
    form: str
    copies: int
    source: str
    standard: str


class OptionOut(Schema):
    key: str
    answer: str
    adds: list[str]
    removes: list[str]


class SituationOut(Schema):
    key: str
    question: str
    options: list[OptionOut]


class FeeOut(Schema):
    name: str
    standard: str
    basis: str
    reduction: str


class GuideOut(Schema):
    code: str
    implementation_code: str
    version: int
    name: str
    kind: str
    department: str
    co_departments: list[str]
    levels: list[str]
    content: str
    legal_basis: list[str]
    conditions: list[str]
    handling: str
    statutory_limit: int
    promised_limit: int
    limit_unit: str
    limit_note: str
    forms: list[str]
    visits: int
    online_depth: str
    result_type: str
    result_name: str
    fees: list[FeeOut]
    materials: list[MaterialOut]
    situations: list[SituationOut]
    place: str
    hours: str
    phone: str
    complaint_phone: str


class BundleStepOut(Schema):
    code: str
    name: str
    department: str
    handling: str
    promised_limit: int
    limit_unit: str


class BundleOut(Schema):
    """A "one thing" (一件事), as GET /items/{code} returns it for a bundle code (a search hit of
    kind "bundle"): its items stage by stage; stage n starts when stage n-1 is done."""

    code: str
    kind: Literal["bundle"] = "bundle"
    name: str
    description: str
    target: str
    promised_limit: int = Field(description="整件事的承诺办结时限（工作日）")
    stages: list[list[BundleStepOut]]
    shared_materials: list[str]


def bundle_out(code: str) -> BundleOut | None:
    bundle = (
        Bundle.objects.filter(code=code)
        .prefetch_related("steps__item__published", "steps__item__department")
        .first()
    )
    if bundle is None:
        return None
    stages: dict[int, list[BundleStepOut]] = {}
    for step in bundle.steps.all():
        v = step.item.published
        if v is not None:
            stages.setdefault(step.stage, []).append(
                BundleStepOut(
                    code=step.item.code,
                    name=v.name,
                    department=step.item.department.name,
                    handling=v.handling,
                    promised_limit=v.promised_limit,
                    limit_unit=v.limit_unit,
                )
            )
    return BundleOut(
        code=bundle.code,
        name=bundle.name,
        description=bundle.description,
        target=bundle.target,
        promised_limit=bundle.promised_limit,
        stages=[stages[n] for n in sorted(stages)],
        shared_materials=[str(m) for m in bundle.shared_materials],
    )


@router.get(
    "/{code}",
    response=GuideOut | BundleOut,
    summary="一个事项的完整办事指南，或一件事的组成",
    description="事项基本编码返回办事指南；一件事编码（搜索结果中 kind 为 bundle）返回 kind 为 "
    "bundle 的一件事。",
)
def item_guide(request: HttpRequest, code: str) -> GuideOut | BundleOut:
    item = selectors.guide(code)
    if item is None or item.published is None:
        bundle = bundle_out(code)
        if bundle is not None:
            return bundle
        raise NotFound(f"没有编码为 {code} 的已发布事项或一件事。", field="code")
    v = item.published
    return GuideOut(
        code=item.code,
        implementation_code=item.implementation_code,
        version=v.number,
        name=v.name,
        kind=v.kind,
        department=item.department.name,
        co_departments=[d.name for d in v.co_departments.all()],
        levels=v.levels,
        content=v.content,
        legal_basis=v.legal_basis,
        conditions=v.conditions,
        handling=v.handling,
        statutory_limit=v.statutory_limit,
        promised_limit=v.promised_limit,
        limit_unit=v.limit_unit,
        limit_note=v.limit_note,
        forms=v.forms,
        visits=v.visits,
        online_depth=v.online_depth,
        result_type=v.result_type,
        result_name=v.result_name,
        fees=[
            FeeOut(name=f.name, standard=f.standard, basis=f.basis, reduction=f.reduction)
            for f in v.fees.all()
        ],
        materials=[
            MaterialOut(
                key=m.key,
                name=m.name,
                required=m.required,
                deficiency_ok=m.deficiency_ok,
                situational=m.situational,
                form=m.form,
                copies=m.copies,
                source=m.source,
                standard=m.standard,
            )
            for m in v.materials.all()
        ],
        situations=[
            SituationOut(
                key=s.key,
                question=s.question,
                options=[
                    OptionOut(
                        key=o.key,
                        answer=o.answer,
                        adds=[m.key for m in o.adds.all()],
                        removes=[m.key for m in o.removes.all()],
                    )
                    for o in s.options.all()
                ],
            )
            for s in v.situations.all()
        ],
        place=v.place,
        hours=v.hours,
        phone=v.phone,
        complaint_phone=v.complaint_phone,
    )
