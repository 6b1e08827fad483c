"""Case endpoints: applicants apply and follow their cases, anyone tracks a case by its number
and phone tail, staff work their queues.

Applicant and staff endpoints use the session (django-ninja `django_auth`, CSRF checked on
writes); every staff read goes through `selectors.visible_cases`, so a case outside the actor's
jurisdiction is a 404. Personal data in staff answers is masked; a role with `personal.reveal`
asks for whole values with `?reveal=true`, and each such look is on the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Form, Header, Query, Router, Schema, Status
from ninja.security import django_auth
from pydantic import Field

from onewindow.accounts.choices import UserKind
from onewindow.accounts.models import User
from onewindow.accounts.selectors import (
    has_permission,
    request_actor,
    roles_of,
)
from onewindow.api.access import staff_actor
from onewindow.api.schemas import ERRORS, ErrorOut
from onewindow.audit.services import audit_record
from onewindow.core import ratelimit
from onewindow.core.errors import DomainError, InvalidInput, NotAllowed, NotFound
from onewindow.core.middleware import client_ip
from onewindow.core.personal import mask_id_number, mask_phone
from onewindow.files.selectors import file_response

from . import documents, selectors, services
from .choices import CaseStatus, Delivery, MaterialStatus
from .models import Case, Step

router = Router(tags=["办件（申请人）"], auth=django_auth)
track_router = Router(tags=["办件进度查询（公开）"])
staff_router = Router(tags=["办件（工作人员）"], auth=django_auth)

TRACK_LIMIT = 10
TRACK_WINDOW_SECONDS = 600


class Throttled(DomainError):
    code = "throttled"
    status = 429


# -- schemas --------------------------------------------------------------------------------------


class CaseCreatedOut(Schema):
    number: str
    status: str
    status_label: str
    revision: int
    receipt_url: str = Field(description="收件回执 PDF 的下载地址")


class CaseBriefOut(Schema):
    number: str
    item_code: str
    item_name: str
    department: str
    status: str
    status_label: str
    revision: int
    submitted_at: dt.datetime
    promised_due: dt.date | None
    completed_on: dt.date | None


class MaterialOut(Schema):
    key: str
    name: str
    required: bool
    deferrable: bool
    status: str
    status_label: str
    promised_by: dt.date | None


class EventOut(Schema):
    label: str
    department: str
    time: dt.datetime


class DocumentLinkOut(Schema):
    kind: str
    label: str
    url: str


class SupplementItemOut(Schema):
    key: str
    name: str
    reason: str


class ClockOut(Schema):
    label: str
    due: dt.date | None
    state: str
    left: int | None


class CaseOut(CaseBriefOut):
    state_key: str
    accepted_on: dt.date | None
    statutory_due: dt.date | None
    result_held: bool
    delivery: str
    delivery_address: str
    delivered_at: dt.datetime | None
    pickup_code: str | None = Field(description="取件码（办结且结果可领取时）")
    decision_reason: str
    clocks: list[ClockOut]
    materials: list[MaterialOut]
    supplement: list[SupplementItemOut] = Field(description="待补正的材料（状态为待补正时）")
    timeline: list[EventOut]
    documents: list[DocumentLinkOut]


class ApplicantOut(Schema):
    kind: str
    name: str
    id_number: str
    credit_code: str
    phone: str
    masked: bool


class StepOut(Schema):
    id: int
    state_key: str
    state_name: str
    department: str | None
    lead: bool
    due: dt.date | None
    time_state: str


class StaffCaseOut(CaseOut):
    applicant: ApplicantOut
    open_steps: list[StepOut]


class QueueCaseOut(CaseBriefOut):
    applicant_name: str
    applicant_phone: str


class QueueStepOut(Schema):
    number: str
    item_name: str
    revision: int
    step: StepOut


class QueueOut(Schema):
    acceptance: list[QueueCaseOut]
    steps: list[QueueStepOut]
    results: list[QueueCaseOut]


class TrackOut(Schema):
    number: str
    item_name: str
    department: str
    status_label: str
    submitted_at: dt.datetime
    promised_due: dt.date | None
    completed_on: dt.date | None
    timeline: list[EventOut]


class RevisionIn(Schema):
    expected_revision: int | None = Field(
        default=None, description="页面上看到的修订号；已被他人处理时返回 409（code=conflict）"
    )


class WithdrawIn(RevisionIn):
    reason: str = ""


class AcceptIn(RevisionIn):
    deferred: dict[str, dt.date] = Field(
        default_factory=dict, description="容缺受理的材料：{材料标识: 承诺补齐日期}"
    )
    checked: list[str] = Field(default_factory=list, description="窗口已核验纸质原件的材料标识")


class RefuseIn(RevisionIn):
    reason: str
    legal_basis: str


class SupplementItemIn(Schema):
    key: str
    reason: str


class SupplementIn(RevisionIn):
    items: list[SupplementItemIn]


class ActIn(RevisionIn):
    action: str = Field(description="流程中当前环节可进行的操作标识，如 pass、approve、deny")
    note: str = ""


class BranchIn(RevisionIn):
    opinion: str = Field(description="agree 同意，disagree 不同意")
    note: str = ""


class PauseIn(RevisionIn):
    kind: str = Field(description="hearing、expert、survey、notice、testing、other")
    reason: str
    max_days: int = Field(default=0, ge=0, le=3650)


class DeliverIn(RevisionIn):
    pickup_code: str = ""
    id_tail: str = Field(default="", description="领取人证件号码后四位")
    courier: str = ""
    tracking_number: str = ""


# -- helpers --------------------------------------------------------------------------------------


def _applicant_user(request: HttpRequest) -> User:
    user = request_actor(request)
    if user.kind != UserKind.APPLICANT:
        raise NotAllowed("本接口供群众和企业账户使用。")
    return user


def _staff_user(request: HttpRequest) -> User:
    return staff_actor(request)


def _not_found(number: str) -> NotFound:
    return NotFound(f"没有找到办件 {number}。", field="number")


def _own_case(user: User, number: str) -> Case:
    case = selectors.applicant_cases(user).select_related("item").filter(number=number).first()
    if case is None:
        raise _not_found(number)
    return case


def _staff_case(user: User, number: str) -> Case:
    case = selectors.visible_cases(user).select_related("item").filter(number=number).first()
    if case is None:
        raise _not_found(number)
    return case


def _uploads(request: HttpRequest) -> dict[str, Any]:
    return {name[2:]: f for name, f in request.FILES.items() if name.startswith("m_") and name[2:]}


def _brief(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "item_code": case.item.code,
        "item_name": case.version.name,
        "department": case.department.name,
        "status": case.status,
        "status_label": case.get_status_display(),
        "revision": case.revision,
        "submitted_at": case.submitted_at,
        "promised_due": case.promised_due,
        "completed_on": case.completed_on,
    }


def _events(case: Case) -> list[EventOut]:
    return [
        EventOut(label=e.label, department=e.department_name, time=e.at)
        for e in selectors.public_timeline(case)
    ]


def _document_url(case: Case, kind: str) -> str:
    return f"/api/v1/cases/{case.number}/documents/{kind}"


def _detail(case: Case) -> dict[str, Any]:
    supplement: list[SupplementItemOut] = []
    if case.status == CaseStatus.SUPPLEMENT:
        request = case.supplements.filter(answered_at__isnull=True).last()
        if request is not None:
            supplement = [SupplementItemOut(**e) for e in request.items]
    ready = case.status == CaseStatus.APPROVED and not case.result_held
    return {
        **_brief(case),
        "state_key": case.state_key,
        "accepted_on": case.accepted_on,
        "statutory_due": case.statutory_due,
        "result_held": case.result_held,
        "delivery": case.delivery,
        "delivery_address": case.delivery_address,
        "delivered_at": case.delivered_at,
        "pickup_code": case.pickup_code if ready and case.delivered_at is None else None,
        "decision_reason": case.decision_reason,
        "clocks": [
            ClockOut(label=c.label, due=c.due, state=c.state, left=c.left)
            for c in selectors.case_clocks(case)
        ],
        "materials": [
            MaterialOut(
                key=m.key,
                name=m.name,
                required=m.required,
                deferrable=m.deferrable,
                status=m.status,
                status_label=MaterialStatus(m.status).label,
                promised_by=m.promised_by,
            )
            for m in case.materials.all()
        ],
        "supplement": supplement,
        "timeline": _events(case),
        "documents": [
            DocumentLinkOut(kind=kind, label=label, url=_document_url(case, kind))
            for kind, label in documents.available_documents(case)
        ],
    }


def _step_out(step: Step) -> StepOut:
    return StepOut(
        id=step.pk,
        state_key=step.state_key,
        state_name=step.state_name,
        department=step.department.name if step.department else None,
        lead=step.lead,
        due=step.due,
        time_state=selectors.step_state(step),
    )


def _applicant_out(case: Case, user: User, reveal: bool) -> ApplicantOut:
    if reveal:
        if not has_permission(user, "personal.reveal"):
            raise NotAllowed("您的岗位无权查看完整的个人信息。")
        with transaction.atomic():
            audit_record(
                action="personal.reveal",
                actor=user,
                role=",".join(sorted(roles_of(user))),
                obj=case,
                summary=f"{case.number} 查看申请人完整证件号码和手机号码",
                after={"fields": ["id_number", "phone"]},
            )
        return ApplicantOut(
            kind=case.applicant_kind,
            name=case.applicant_name,
            id_number=case.applicant_id_number or "",
            credit_code=case.applicant_credit_code,
            phone=case.applicant_phone,
            masked=False,
        )
    return ApplicantOut(
        kind=case.applicant_kind,
        name=case.applicant_name,
        id_number=mask_id_number(case.applicant_id_number),
        credit_code=case.applicant_credit_code,
        phone=mask_phone(case.applicant_phone),
        masked=True,
    )


def _staff_detail(case: Case, user: User, reveal: bool = False) -> StaffCaseOut:
    return StaffCaseOut(
        **_detail(case),
        applicant=_applicant_out(case, user, reveal),
        open_steps=[
            _step_out(s)
            for s in case.steps.filter(closed_at__isnull=True).select_related("department")
        ],
    )


def _queue_case(case: Case) -> QueueCaseOut:
    return QueueCaseOut(
        **_brief(case),
        applicant_name=case.applicant_name,
        applicant_phone=mask_phone(case.applicant_phone),
    )


def _reload(case: Case) -> Case:
    return Case.objects.select_related("version", "item", "department", "region").get(pk=case.pk)


# -- applicant ------------------------------------------------------------------------------------


@router.post(
    "",
    response={201: CaseCreatedOut, **ERRORS},
    summary="提交办件申请",
    description=(
        "multipart/form-data：item_code 事项基本编码；answers 情形选择（JSON 字符串，如 "
        '{"apply_type": "new"}）；delivery 送达方式（pickup、post、online）；delivery_address '
        "邮寄地址；每项材料一个文件字段 m_<材料标识>（PDF、JPG 或 PNG，按内容识别类型）。"
        "请求头 Idempotency-Key：同一标识重复提交只生成一个办件。缺少必交材料返回 422，"
        "field 为 m_<材料标识>。"
    ),
)
def case_create(
    request: HttpRequest,
    item_code: Form[str],
    answers: Form[str] = "{}",
    delivery: Form[str] = Delivery.PICKUP,
    delivery_address: Form[str] = "",
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key")] = "",
) -> Status[CaseCreatedOut]:
    user = _applicant_user(request)
    try:
        parsed = json.loads(answers or "{}")
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise InvalidInput(
            'answers 应为情形选择的 JSON 对象，如 {"apply_type": "new"}。', field="answers"
        )
    if len(idempotency_key) > 64:
        raise InvalidInput("Idempotency-Key 最长 64 个字符。", field="Idempotency-Key")
    case = services.case_submit(
        actor=user,
        item_code=item_code.strip(),
        answers=parsed,
        uploads=_uploads(request),
        delivery=delivery,
        delivery_address=delivery_address,
        submission_key=idempotency_key.strip(),
    )
    return Status(
        201,
        CaseCreatedOut(
            number=case.number,
            status=case.status,
            status_label=case.get_status_display(),
            revision=case.revision,
            receipt_url=_document_url(case, "receipt"),
        ),
    )


@router.get("", response={200: list[CaseBriefOut], **ERRORS}, summary="我的办件")
def case_list(request: HttpRequest) -> list[CaseBriefOut]:
    user = _applicant_user(request)
    return [
        CaseBriefOut(**_brief(c)) for c in selectors.applicant_cases(user).select_related("item")
    ]


@router.get(
    "/{number}", response={200: CaseOut, **ERRORS}, summary="我的一个办件：进度、材料和文书"
)
def case_detail(request: HttpRequest, number: str) -> CaseOut:
    case = _own_case(_applicant_user(request), number)
    return CaseOut(**_detail(case))


@router.post("/{number}/withdraw", response={200: CaseOut, **ERRORS}, summary="撤回申请")
def case_withdraw(request: HttpRequest, number: str, data: WithdrawIn) -> CaseOut:
    user = _applicant_user(request)
    case = services.case_withdraw(
        case=_own_case(user, number),
        actor=user,
        reason=data.reason,
        expected_revision=data.expected_revision,
    )
    return CaseOut(**_detail(_reload(case)))


@router.post(
    "/{number}/supplement",
    response={200: CaseOut, **ERRORS},
    summary="提交补正材料",
    description="multipart/form-data：补正告知中的每项材料一个文件字段 m_<材料标识>。",
)
def case_supplement(request: HttpRequest, number: str) -> CaseOut:
    user = _applicant_user(request)
    case = services.case_supply(case=_own_case(user, number), actor=user, uploads=_uploads(request))
    return CaseOut(**_detail(_reload(case)))


@router.post(
    "/{number}/deferred/{key}",
    response={200: CaseOut, **ERRORS},
    summary="补交容缺材料",
    description="multipart/form-data：文件字段 file（或 m_<材料标识>）。全部容缺材料补齐后结果即可发放。",
)
def case_deferred(request: HttpRequest, number: str, key: str) -> CaseOut:
    user = _applicant_user(request)
    upload = request.FILES.get("file") or request.FILES.get(f"m_{key}")
    if upload is None:
        raise InvalidInput("请上传容缺材料文件。", field=f"m_{key}")
    case = services.case_supply_deferred(
        case=_own_case(user, number), actor=user, key=key, upload=upload
    )
    return CaseOut(**_detail(_reload(case)))


@router.get(
    "/{number}/documents/{kind}",
    response={200: None, **ERRORS},
    summary="下载办件文书（PDF）",
    description=(
        "kind：receipt 收件回执，acceptance 受理通知书，refusal 不予受理决定书，supplement "
        "补正材料通知书，denial 不予许可决定书，result 办理结果（电子证照）。"
        "办件当前状态没有该文书时返回 409。申请人只能下载本人的办件；工作人员下载管辖范围内的办件。"
    ),
    openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}},
)
def case_document(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    user = request_actor(request)
    if user.kind == UserKind.STAFF:
        case = _staff_case(_staff_user(request), number)
    else:
        case = _own_case(_applicant_user(request), number)
    document = documents.case_document(
        case, kind, actor=user, base_url=request.build_absolute_uri("/")
    )
    return file_response(document.file)


# -- public tracking ------------------------------------------------------------------------------


def _throttle(request: HttpRequest) -> None:
    key = f"cases:track:{client_ip(request) or 'unknown'}"
    if ratelimit.hit(key, window=TRACK_WINDOW_SECONDS) > TRACK_LIMIT:
        raise Throttled(
            f"查询过于频繁，请 {TRACK_WINDOW_SECONDS // 60} 分钟后再试。", code="throttled"
        )


class TrackParams(Schema):
    number: str = Field(min_length=1, max_length=32, description="办件编号")
    phone_tail: str = Field(
        min_length=4, max_length=4, pattern=r"^\d{4}$", description="申请时所留手机号码的后四位"
    )


@track_router.get(
    "",
    response={200: TrackOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="按办件编号和手机号后四位查询办理进度",
    description=(
        f"公开接口，只返回公开的办理节点（节点名称、部门、时间），不含工作人员信息。"
        f"每个 IP 每 {TRACK_WINDOW_SECONDS // 60} 分钟最多查询 {TRACK_LIMIT} 次，超过返回 429。"
    ),
)
def track(request: HttpRequest, params: Query[TrackParams]) -> TrackOut:
    _throttle(request)
    case = selectors.track(params.number, params.phone_tail)
    if case is None:
        raise NotFound("没有找到该办件，请核对办件编号和手机号码后四位。", field="number")
    return TrackOut(
        number=case.number,
        item_name=case.version.name,
        department=case.department.name,
        status_label=case.get_status_display(),
        submitted_at=case.submitted_at,
        promised_due=case.promised_due,
        completed_on=case.completed_on,
        timeline=_events(case),
    )


# -- staff ----------------------------------------------------------------------------------------


@staff_router.get(
    "/queue", response={200: QueueOut, **ERRORS}, summary="我的待办：待受理、待办理、待出件"
)
def staff_queue(request: HttpRequest) -> QueueOut:
    user = _staff_user(request)
    return QueueOut(
        acceptance=[
            _queue_case(c) for c in selectors.acceptance_queue(user).select_related("item")
        ],
        steps=[
            QueueStepOut(
                number=s.case.number,
                item_name=s.case.version.name,
                revision=s.case.revision,
                step=_step_out(s),
            )
            for s in selectors.step_queue(user)
        ],
        results=[
            _queue_case(c)
            for c in selectors.result_queue(user).select_related("item", "department")
        ],
    )


@staff_router.get(
    "/cases/{number}",
    response={200: StaffCaseOut, **ERRORS},
    summary="办件详情（管辖范围内）",
    description="个人信息默认脱敏；有查看权限的岗位加 reveal=true 查看完整号码，每次查看记入审计日志。",
)
def staff_case_detail(request: HttpRequest, number: str, reveal: bool = False) -> StaffCaseOut:
    user = _staff_user(request)
    return _staff_detail(_staff_case(user, number), user, reveal)


@staff_router.post(
    "/cases/{number}/accept", response={200: StaffCaseOut, **ERRORS}, summary="受理（可容缺受理）"
)
def staff_accept(request: HttpRequest, number: str, data: AcceptIn) -> StaffCaseOut:
    user = _staff_user(request)
    case = services.case_accept(
        case=_staff_case(user, number),
        actor=user,
        deferred=data.deferred,
        checked=data.checked,
        expected_revision=data.expected_revision,
    )
    return _staff_detail(_reload(case), user)


@staff_router.post(
    "/cases/{number}/refuse", response={200: StaffCaseOut, **ERRORS}, summary="不予受理"
)
def staff_refuse(request: HttpRequest, number: str, data: RefuseIn) -> StaffCaseOut:
    user = _staff_user(request)
    case = services.case_refuse(
        case=_staff_case(user, number),
        actor=user,
        reason=data.reason,
        legal_basis=data.legal_basis,
        expected_revision=data.expected_revision,
    )
    return _staff_detail(_reload(case), user)


@staff_router.post(
    "/cases/{number}/supplement", response={200: StaffCaseOut, **ERRORS}, summary="一次性告知补正"
)
def staff_supplement(request: HttpRequest, number: str, data: SupplementIn) -> StaffCaseOut:
    user = _staff_user(request)
    case = _staff_case(user, number)
    services.case_request_supplement(
        case=case,
        actor=user,
        items=[{"key": i.key, "reason": i.reason} for i in data.items],
        expected_revision=data.expected_revision,
    )
    return _staff_detail(_reload(case), user)


@staff_router.post(
    "/cases/{number}/act", response={200: StaffCaseOut, **ERRORS}, summary="办理当前环节"
)
def staff_act(request: HttpRequest, number: str, data: ActIn) -> StaffCaseOut:
    user = _staff_user(request)
    case = services.case_act(
        case=_staff_case(user, number),
        actor=user,
        action=data.action,
        note=data.note,
        expected_revision=data.expected_revision,
    )
    return _staff_detail(_reload(case), user)


@staff_router.post(
    "/cases/{number}/branch", response={200: StaffCaseOut, **ERRORS}, summary="并联审批会签意见"
)
def staff_branch(request: HttpRequest, number: str, data: BranchIn) -> StaffCaseOut:
    user = _staff_user(request)
    case = _staff_case(user, number)
    services.branch_answer(
        case=case,
        actor=user,
        opinion=data.opinion,
        note=data.note,
        expected_revision=data.expected_revision,
    )
    return _staff_detail(_reload(case), user)


@staff_router.post(
    "/cases/{number}/pause",
    response={200: StaffCaseOut, **ERRORS},
    summary="启动特别程序（暂停计时）",
)
def staff_pause(request: HttpRequest, number: str, data: PauseIn) -> StaffCaseOut:
    user = _staff_user(request)
    case = _staff_case(user, number)
    services.pause_start(
        case=case,
        actor=user,
        kind=data.kind,
        reason=data.reason,
        max_days=data.max_days,
        expected_revision=data.expected_revision,
    )
    return _staff_detail(_reload(case), user)


@staff_router.post(
    "/cases/{number}/resume",
    response={200: StaffCaseOut, **ERRORS},
    summary="结束特别程序（恢复计时）",
)
def staff_resume(request: HttpRequest, number: str, data: RevisionIn) -> StaffCaseOut:
    user = _staff_user(request)
    case = _staff_case(user, number)
    services.pause_end(case=case, actor=user, expected_revision=data.expected_revision)
    return _staff_detail(_reload(case), user)


@staff_router.post(
    "/cases/{number}/deliver", response={200: StaffCaseOut, **ERRORS}, summary="发放办理结果"
)
def staff_deliver(request: HttpRequest, number: str, data: DeliverIn) -> StaffCaseOut:
    user = _staff_user(request)
    case = services.result_deliver(
        case=_staff_case(user, number),
        actor=user,
        pickup_code=data.pickup_code,
        id_tail=data.id_tail,
        courier=data.courier,
        tracking_number=data.tracking_number,
        expected_revision=data.expected_revision,
    )
    return _staff_detail(_reload(case), user)
