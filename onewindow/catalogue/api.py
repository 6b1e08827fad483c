"""Public catalogue endpoints: search (items and bundles, ranked), suggestions, one whole guide."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from pydantic import Field

from onewindow.core.errors import NotFound
from onewindow.org.models import Department, Region

from . import search as catalogue_search
from . import selectors
from .flows import STATE_KINDS
from .grants import region_catalogue
from .models import Bundle, BundleItem

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
        description="办理地的 12 位区划代码：只返回该区划可办的事项（县级：县级可办的事项；乡镇、"
        "村：下沉给它且未收回的事项），以及其中全部事项都可在该区划办理的一件事",
    )
    limit: int = Field(default=10, ge=1, le=50)


def region_codes(region: Region) -> tuple[set[str], set[str]]:
    """What a region may handle: (item codes, bundle codes). The items are its region catalogue
    (`grants.region_catalogue`: devolution for towns and villages). A bundle is applied for as a
    whole, so it is offered only where every one of its items may be handled."""
    items = set(region_catalogue(region).values_list("code", flat=True))
    steps: dict[str, set[str]] = {}
    for bundle, item in BundleItem.objects.values_list("bundle__code", "item__code"):
        steps.setdefault(bundle, set()).add(item)
    return items, {code for code, needed in steps.items() if needed <= items}


@router.get("", response=list[ItemHitOut], summary="搜索事项和一件事")
def search_items(request: HttpRequest, params: Query[SearchParams]) -> list[ItemHitOut]:
    if not params.region:
        hits = catalogue_search.search(params.q, limit=params.limit)
    else:
        region = Region.objects.filter(code=params.region).first()
        if region is None:
            raise NotFound(f"区划代码 {params.region} 不存在。", field="region")
        items, bundles = region_codes(region)
        index = catalogue_search.get_index()
        allowed = [
            h
            for h in index.search(params.q, limit=len(index.docs) or 1)
            if h.code in (items if h.kind == "item" else bundles)
        ]
        hits = allowed[: params.limit]
    return [
        ItemHitOut(code=h.code, name=h.name, kind=h.kind, department=h.department, score=h.score)
        for h in hits
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
    blank_form_url: str | None = Field(description="空白表格的下载地址（没有上传则为空）")
    example_url: str | None = Field(description="填写样例的下载地址（没有上传则为空）")


class OptionOut(Schema):
    key: str
    answer: str
    note: str = Field(description="选项的说明")
    adds: list[str]
    removes: list[str]
    conditions: list[str] = Field(
        description="选择该选项时另需满足的受理条件（加在事项的条件之后）"
    )
    promised_limit: int | None = Field(
        description="该情形的承诺时限（单位同事项 limit_unit）；null 表示按事项的承诺时限"
    )
    statutory_limit: int | None = Field(
        description="该情形的法定时限；null 表示按事项的法定时限。回答了多个改变时限的问题时取其中最长的"
    )


class FaqOut(Schema):
    question: str
    answer: str


class FlowBranchOut(Schema):
    department: str
    lead: bool = Field(description="牵头部门")
    limit: int


class FlowStepOut(Schema):
    """One state of the item's flow, in order; its time limit counts in the guide's unit."""

    key: str
    name: str
    kind: str = Field(description="start 开始，task 办理，joint 并联审批，end 办结")
    kind_label: str
    limit: int
    roles: list[str]
    actions: list[str] = Field(description="从该环节可进行的操作")
    branches: list[FlowBranchOut] = Field(description="并联审批的各部门（其他环节为空）")


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
    power_source: str
    special_procedures: list[str] = Field(description="特别程序（不计入办理时限）")
    intermediaries: list[str] = Field(description="中介服务")
    faqs: list[FaqOut]
    flow: list[FlowStepOut] = Field(description="办理流程的各环节")


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
    active: bool = Field(description="false：已停止办理，不再接受新的申请")
    retire_reason: str = Field(description="停止办理的原因（在办时为空）")


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
        active=bundle.active,
        retire_reason=bundle.retire_reason,
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
                blank_form_url=_file_url(request, m.pk, "blank") if m.blank_file_id else None,
                example_url=_file_url(request, m.pk, "example") if m.example_file_id else None,
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
                        note=o.note,
                        adds=[m.key for m in o.adds.all()],
                        removes=[m.key for m in o.removes.all()],
                        conditions=list(o.conditions or []),
                        promised_limit=o.promised_limit,
                        statutory_limit=o.statutory_limit,
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
        power_source=v.power_source,
        special_procedures=[str(p) for p in v.special_procedures or []],
        intermediaries=[str(i) for i in v.intermediaries or []],
        faqs=[FaqOut(question=q.question, answer=q.answer) for q in v.faqs.all()],
        flow=flow_steps(v.flow or {}),
    )


def _file_url(request: HttpRequest, material: int, which: str) -> str:
    return request.build_absolute_uri(reverse("catalogue:material-file", args=[material, which]))


def flow_steps(flow: dict[str, Any]) -> list[FlowStepOut]:
    """The flow's states in order, each with the actions that leave it and, for a joint stage,
    its departments by name."""
    codes = {
        b.get("department")
        for s in flow.get("states") or []
        for b in s.get("branches") or []
        if isinstance(b, dict)
    }
    names = dict(Department.objects.filter(code__in=codes).values_list("code", "name"))
    actions: dict[str, list[str]] = {}
    for action in flow.get("actions") or []:
        actions.setdefault(action.get("from"), []).append(action.get("name", action.get("key")))
    return [
        FlowStepOut(
            key=s["key"],
            name=s.get("name", s["key"]),
            kind=s.get("kind", "task"),
            kind_label=STATE_KINDS.get(s.get("kind", ""), ""),
            limit=int(s.get("limit") or 0),
            roles=list(s.get("roles") or []),
            actions=actions.get(s["key"], []),
            branches=[
                FlowBranchOut(
                    department=names.get(b.get("department"), str(b.get("department"))),
                    lead=bool(b.get("lead")),
                    limit=int(b.get("limit") or 0),
                )
                for b in s.get("branches") or []
            ],
        )
        for s in flow.get("states") or []
    ]
