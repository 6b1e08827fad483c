"""Writes to cases: submit, accept / refuse / ask for a supplement / accept under 容缺, run the
item's flow template, joint approval, pauses, withdraw, terminate, finish, deliver.

Every transition: locks the case row, checks its state (and the revision the actor saw, so that
of two people acting at once exactly one wins), checks the actor's right through their acting
posts (AB backup included), writes the case event and the audit entry in the same transaction,
and sends messages only after the commit.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from onewindow.accounts.choices import ApplicantKind, Role, UserKind
from onewindow.accounts.models import Post, User
from onewindow.accounts.selectors import ActingPost, acting_posts
from onewindow.audit.services import audit_record
from onewindow.catalogue.choices import Handling
from onewindow.catalogue.flows import situation_state_limit
from onewindow.catalogue.grants import region_catalogue
from onewindow.catalogue.models import Devolution, Item
from onewindow.catalogue.selectors import frozen_version, guide_for
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from onewindow.core.identifiers import validate_credit_code, validate_id_number, validate_phone
from onewindow.org.models import Department, Region, RegionLevel

from . import clock, messages
from .choices import (
    OPEN_STATUSES,
    CaseStatus,
    Channel,
    Delivery,
    MaterialStatus,
    Opinion,
    PauseKind,
    StepKind,
)
from .models import (
    Case,
    CaseEvent,
    CaseMaterial,
    CaseSequence,
    Licence,
    Pause,
    Step,
    SupplementRequest,
)

MATERIAL_KINDS = ("pdf", "jpeg", "png")


# -- helpers ------------------------------------------------------------------------------------


def _prefix(region: Region) -> str:
    digits = {RegionLevel.TOWN.value: 9, RegionLevel.VILLAGE.value: 12}.get(str(region.level), 6)
    return region.code[:digits]


# a case's version and an item's published version: published, so read from memory
_VERSION_FIELD = Case._meta.get_field("version")
_PUBLISHED_FIELD = Item._meta.get_field("published")

_NEXT_NUMBER_SQL = """
INSERT INTO cases_casesequence (prefix, day, last) VALUES (%s, %s, 1)
ON CONFLICT (prefix, day) DO UPDATE SET last = cases_casesequence.last + 1
RETURNING last
"""
assert CaseSequence._meta.db_table == "cases_casesequence"


def next_number(region: Region, day: dt.date) -> str:
    """region code + date + sequence, unique under concurrency: one upsert of the day's counter
    row (inserted by the day's first case, incremented under its row lock by the others; a
    racing second inserter waits for the first and increments), in the caller's transaction."""
    prefix = _prefix(region)
    return f"{prefix}-{day:%Y%m%d}-{sequence_next(prefix, day):04d}"


def sequence_next(prefix: str, day: dt.date) -> int:
    """The next number of the day's counter named `prefix` (at most 12 characters), in the
    caller's transaction; unique under concurrency (the upsert takes the row lock)."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER_SQL, [prefix, connection.ops.adapt_datefield_value(day)])
        (last,) = cursor.fetchone()
    return int(last)


def _lock(case: Case, expected_revision: int | None) -> Case:
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("item", "department", "submitted_by")
        .get(pk=case.pk)
    )
    _VERSION_FIELD.set_cached_value(locked, frozen_version(locked.version_id))
    if expected_revision is not None and locked.revision != expected_revision:
        raise InvalidTransition(
            f"办件 {locked.number} 刚刚已被他人处理（当前状态：{locked.get_status_display()}），"
            "请刷新页面查看最新情况后再操作。",
            code="conflict",
        )
    return locked


def _save(case: Case, *fields: str) -> None:
    case.revision += 1
    case.save(update_fields=[*fields, "revision", "updated_at"])


def _event(
    case: Case,
    action: str,
    label: str,
    *,
    actor: Any = None,
    role: str = "",
    note: str = "",
    state_name: str = "",
    department: Department | None = None,
    public: bool = True,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        at=clock.now(),
        action=action,
        label=label,
        state_name=state_name,
        department_name=(department or case.department).name,
        actor=actor if getattr(actor, "pk", None) else None,
        role=role,
        note=note,
        public=public,
    )


def _audit(case: Case, action: str, actor: Any, role: str, summary: str, **extra: Any) -> None:
    audit_record(
        action=f"case.{action}",
        actor=actor,
        role=role,
        obj=case,
        summary=f"{case.number} {summary}",
        after={"status": case.status, "state": case.state_key, **extra},
    )


def _post_fits(
    post: Post, *, roles: Iterable[str], region_id: int, department_id: int | None
) -> bool:
    return (
        post.role in set(roles)
        and post.region_id == region_id
        and (department_id is None or post.department_id in (None, department_id))
    )


def _acting_for(
    actor: User, *, roles: Iterable[str], region_id: int, department_id: int | None
) -> ActingPost | None:
    roles = list(roles)
    for ap in acting_posts(actor):
        if _post_fits(ap.post, roles=roles, region_id=region_id, department_id=department_id):
            return ap
    return None


def _acceptor(actor: User, case: Case) -> ActingPost:
    ap = _acting_for(
        actor, roles=[Role.ACCEPTOR], region_id=case.region_id, department_id=case.department_id
    )
    if ap is None:
        raise NotAllowed(f"您的岗位不能受理{case.region.name}的“{case.version.name}”办件。")
    return ap


def _flow(case: Case) -> dict[str, Any]:
    return case.version.flow or {}


def _state(case: Case, key: str) -> dict[str, Any]:
    for state in _flow(case).get("states", []):
        if state["key"] == key:
            return state
    raise InvalidTransition(f"流程中没有环节 {key}。")


def _start_state(case: Case) -> dict[str, Any]:
    return next(s for s in _flow(case)["states"] if s["kind"] == "start")


def _actions_from(case: Case, key: str) -> list[dict[str, Any]]:
    return [a for a in _flow(case).get("actions", []) if a["from"] == key]


def _is_immediate(case: Case) -> bool:
    start = _start_state(case)
    ends = {s["key"] for s in _flow(case)["states"] if s["kind"] == "end"}
    return case.version.handling == Handling.IMMEDIATE or all(
        a["to"] in ends for a in _actions_from(case, start["key"])
    )


def handling_unit(case: Case) -> tuple[int, int | None]:
    """Where the back office sits, as (region id, department id or None for any): the town
    itself for an item devolved to it (县镇同权) unless the town reported the case up, else the
    item's own region and department."""
    if (
        not case.reported
        and case.region_id != case.item.region_id
        and Devolution.objects.filter(
            item_id=case.item_id, region_id=case.region_id, recalled_on__isnull=True
        ).exists()
    ):
        return case.region_id, None
    return case.item.region_id, case.item.department_id


def _step_limit(case: Case, limit: int) -> int:
    """A flow state's limit for this case: as the flow says, shortened in proportion when the
    applicant's answers shortened the promise (`guide_for`, `situation_state_limit`)."""
    return situation_state_limit(limit, case.promised_limit, case.version.promised_limit)


def _open_state(case: Case, key: str, *, now: dt.datetime) -> None:
    state = _state(case, key)
    case.state_key = key
    if state["kind"] == "end":
        return
    day = clock.today()
    region_id, department_id = handling_unit(case)
    roles = ",".join(["", *state.get("roles", []), ""])
    if state["kind"] == "joint":
        codes = [b["department"] for b in state.get("branches", [])]
        departments = {d.code: d for d in Department.objects.filter(code__in=codes)}
        for branch in state["branches"]:
            limit = _step_limit(case, int(branch.get("limit", state.get("limit", 0))))
            Step.objects.create(
                case=case,
                state_key=key,
                state_name=state["name"],
                kind=StepKind.BRANCH,
                lead=bool(branch.get("lead")),
                roles=roles,
                region_id=case.item.region_id,
                department=departments[branch["department"]],
                opened_at=now,
                started_on=day,
                limit=limit,
                due=clock.due_date(day, limit, clock.WORKING_DAYS),
            )
        case.joint = True
        return
    limit = _step_limit(case, int(state.get("limit", 0)))
    Step.objects.create(
        case=case,
        state_key=key,
        state_name=state["name"],
        roles=roles,
        region_id=region_id,
        department_id=department_id,
        opened_at=now,
        started_on=day,
        limit=limit,
        due=clock.due_date(day, limit, clock.WORKING_DAYS),
    )


def _close_open_steps(case: Case, *, actor: Any, outcome: str, now: dt.datetime) -> None:
    case.steps.filter(closed_at__isnull=True).update(
        closed_at=now, closed_by=actor if getattr(actor, "pk", None) else None, outcome=outcome
    )


def _tail(value: str) -> str:
    return value[-4:] if value else ""


# -- submission ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicantData:
    """Who applies, as declared (a walk-in at the counter, or taken from the signed-in account)."""

    kind: str
    name: str
    phone: str
    id_number: str = ""
    credit_code: str = ""
    address: str = ""

    def validated(self) -> ApplicantData:
        name = (self.name or "").strip()
        if not name:
            raise InvalidInput("请填写申请人姓名或单位名称。", field="applicant_name")
        if self.kind not in ApplicantKind.values:
            raise InvalidInput("请选择申请人类型（自然人或法人）。", field="applicant_kind")
        phone = validate_phone(self.phone, field="applicant_phone")
        id_number = credit_code = ""
        if self.kind == ApplicantKind.PERSON:
            id_number = validate_id_number(self.id_number, field="applicant_id_number")
        else:
            credit_code = validate_credit_code(self.credit_code, field="applicant_credit_code")
        return ApplicantData(
            self.kind, name, phone, id_number, credit_code, (self.address or "").strip()
        )


def _published_item(item_code: str) -> Item:
    try:
        item = Item.objects.select_related("region", "department").get(
            code=item_code, published__isnull=False
        )
    except Item.DoesNotExist:
        raise NotFound(f"没有编码为 {item_code} 的已发布事项。", field="item") from None
    assert item.published_id is not None
    _PUBLISHED_FIELD.set_cached_value(item, frozen_version(item.published_id))
    return item


def _case_region(item: Item, region_code: str | None) -> Region:
    if not region_code or region_code == item.region.code:
        return item.region
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise InvalidInput(f"没有区划 {region_code}。", field="region")
    if not region_catalogue(region).filter(pk=item.pk).exists():
        raise InvalidInput(
            f"{region.name}不能办理“{item.published.name if item.published else item.code}”，"
            f"请选择{item.region.name}或已下沉该事项的镇（街道）。",
            field="region",
        )
    return region


def case_submit(
    *,
    actor: User | None,
    item_code: str,
    applicant: ApplicantData | None = None,
    answers: Mapping[str, str] | None = None,
    form_data: Mapping[str, Any] | None = None,
    uploads: Mapping[str, Any] | None = None,
    licences: Mapping[str, int] | None = None,
    presented: Iterable[str] = (),
    channel: str = Channel.ONLINE,
    region_code: str | None = None,
    window: Any = None,
    delivery: str = Delivery.PICKUP,
    delivery_address: str = "",
    submission_key: str = "",
    bundle_application: Any = None,
    bundle_order: int = 0,
) -> Case:
    """A new case waiting for the counter's decision. Online: `actor` is the signed-in applicant
    and `applicant` is taken from their account. At the counter: `actor` is the acceptor and
    `applicant` is the walk-in as declared; `presented` lists the paper materials checked.

    Idempotent: the same `submission_key` from the same submitter returns the first case."""
    answers = dict(answers or {})
    uploads = dict(uploads or {})
    licences = dict(licences or {})
    presented = set(presented)
    if submission_key and actor is not None:
        existing = Case.objects.filter(submitted_by=actor, submission_key=submission_key).first()
        if existing is not None:
            return existing
    item = _published_item(item_code)
    version = item.published
    assert version is not None
    region = _case_region(item, region_code)
    linked = None
    if channel == Channel.ONLINE:
        if actor is None or actor.kind != UserKind.APPLICANT:
            raise NotAllowed("网上申请需要以群众或企业账户登录。")
        linked = actor.applicant
        applicant = ApplicantData(
            kind=linked.kind,
            name=linked.name,
            phone=actor.phone,
            id_number=linked.id_number or "",
            credit_code=linked.credit_code or "",
            address=(applicant.address if applicant else ""),
        )
    elif applicant is None:
        raise InvalidInput("请填写申请人信息。", field="applicant_name")
    applicant = applicant.validated()
    if delivery not in Delivery.values:
        raise InvalidInput("请选择结果送达方式。", field="delivery")
    if delivery == Delivery.POST and not delivery_address.strip():
        raise InvalidInput("选择邮寄送达时请填写收件地址。", field="delivery_address")

    selection = guide_for(version, answers)
    if selection.unanswered:
        first = selection.unanswered[0]
        raise InvalidInput(f"请先回答“{first.question}”。", field=f"s_{first.key}")
    held = _held_licences(linked, licences)
    for material in selection.materials:
        has = material.key in uploads or material.key in held or material.key in presented
        if material.required and not has and not material.deficiency_ok:
            raise InvalidInput(
                f"请提交「{material.name}」（{material.get_form_display()}）。",
                field=f"m_{material.key}",
            )

    from onewindow.files.services import store_uploads

    with transaction.atomic():
        if actor is not None and actor.kind == UserKind.STAFF:
            _acceptor(actor, Case(region=region, department=item.department, version=version))
        uploaded = [m for m in selection.materials if m.key in uploads]
        stored = dict(
            zip(
                [m.key for m in uploaded],
                store_uploads(
                    [(uploads[m.key], f"m_{m.key}", m.name) for m in uploaded],
                    actor=actor,
                    allowed=MATERIAL_KINDS,
                ),
                strict=True,
            )
        )
        rows: list[tuple[Any, dict[str, Any]]] = []
        for material in selection.materials:
            if material.key in stored:
                rows.append(
                    (material, {"file": stored[material.key], "status": MaterialStatus.PROVIDED})
                )
            elif material.key in held:
                rows.append(
                    (material, {"licence": held[material.key], "status": MaterialStatus.LICENCE})
                )
            elif material.key in presented:
                rows.append((material, {"status": MaterialStatus.PROVIDED, "checked": True}))
            else:
                rows.append((material, {}))
        return _create_case(
            actor=actor,
            item=item,
            region=region,
            applicant=applicant,
            linked=linked,
            answers=selection.answers,
            limits=(selection.promised_limit, selection.statutory_limit),
            rows=rows,
            channel=channel,
            window=window,
            form_data=dict(form_data or {}),
            delivery=delivery,
            delivery_address=delivery_address,
            submission_key=submission_key,
            bundle_application=bundle_application,
            bundle_order=bundle_order,
        )


def _create_case(
    *,
    actor: User | None,
    item: Item,
    region: Region,
    applicant: ApplicantData,
    linked: Any,
    answers: dict[str, str],
    limits: tuple[int, int],
    rows: list[tuple[Any, dict[str, Any]]],
    channel: str,
    window: Any,
    form_data: dict[str, Any],
    delivery: str,
    delivery_address: str,
    submission_key: str,
    bundle_application: Any,
    bundle_order: int,
    tell: bool = True,
) -> Case:
    """Insert the case and its materials (inside the caller's transaction). `limits`: the
    (promised, statutory) limits the applicant's answers select (`guide_for`), which the case's
    clocks count from acceptance."""
    version = item.published
    assert version is not None
    case = Case(
        number=next_number(region, clock.today()),
        item=item,
        version=version,
        bundle_application=bundle_application,
        bundle_order=bundle_order,
        applicant=linked,
        applicant_kind=applicant.kind,
        applicant_name=applicant.name,
        applicant_id_number=applicant.id_number,
        applicant_credit_code=applicant.credit_code,
        applicant_phone=applicant.phone,
        applicant_address=applicant.address,
        submitted_by=actor,
        submission_key=submission_key,
        channel=channel,
        region=region,
        region_path=region.path,
        department=item.department,
        window=window,
        answers=answers,
        form_data=form_data,
        status=CaseStatus.SUBMITTED,
        state_key=_start_state_key(version.flow),
        immediate=version.handling == Handling.IMMEDIATE,
        submitted_at=clock.now(),
        limit_unit=version.limit_unit,
        promised_limit=limits[0],
        statutory_limit=limits[1],
        delivery=delivery,
        delivery_address=delivery_address.strip(),
    )
    saved = _save_once(case, actor=actor, submission_key=submission_key)
    if saved is not case:
        return saved
    CaseMaterial.objects.bulk_create(
        CaseMaterial(
            case=case,
            key=material.key,
            name=material.name,
            required=material.required,
            deferrable=material.deficiency_ok,
            order=order,
            **values,
        )
        for order, (material, values) in enumerate(rows)
    )
    _event(case, "submit", "提交申请" if channel == Channel.ONLINE else "窗口收件", actor=actor)
    _audit(case, "submit", actor, "applicant" if linked else Role.ACCEPTOR, "提交申请")
    if tell:
        messages.tell(
            case,
            "case.submitted",
            "申请已提交",
            f"您申请的“{version.name}”已提交，办件编号 {case.number}，请等待窗口受理。",
        )
    return case


def _save_once(obj: Any, *, actor: User | None, submission_key: str) -> Any:
    """Insert a new case or bundle application. When the same submission (submitter and
    idempotency key) arrived twice at the same moment, the first one stands and is returned
    instead; the savepoint that makes this possible is opened only when there is a key."""
    if not (submission_key and actor is not None):
        obj.save()
        return obj
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        existing = (
            type(obj).objects.filter(submitted_by=actor, submission_key=submission_key).first()
        )
        if existing is None:
            raise
        return existing
    return obj


def _start_state_key(flow: dict[str, Any]) -> str:
    for state in flow.get("states", []):
        if state.get("kind") == "start":
            return str(state["key"])
    return ""


def _held_licences(applicant: Any, wanted: Mapping[str, int]) -> dict[str, Licence]:
    """The e-licences the applicant chose to use instead of uploads — only their own, valid ones."""
    if not wanted:
        return {}
    if applicant is None:
        raise InvalidInput("只有登录的申请人可以使用已有电子证照。", field="licences")
    found = {
        lic.pk: lic
        for lic in Licence.objects.filter(pk__in=list(wanted.values()), holder=applicant)
    }
    today = clock.today()
    result = {}
    for key, pk in wanted.items():
        licence = found.get(pk)
        if licence is None or not licence.valid_on(today):
            raise InvalidInput("所选电子证照不存在、不属于您或已失效。", field=f"m_{key}")
        result[key] = licence
    return result


# -- the counter's decision ---------------------------------------------------------------------


def case_accept(
    *,
    case: Case,
    actor: User,
    expected_revision: int | None = None,
    deferred: Mapping[str, dt.date] | None = None,
    checked: Iterable[str] = (),
) -> Case:
    """受理. Every required material must be in, or deferred (容缺) with the applicant's signed
    promise date. An immediate item (即办件) is accepted and finished in this one step."""
    deferred = dict(deferred or {})
    checked = set(checked)
    now = clock.now()
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if case.status != CaseStatus.SUBMITTED:
            raise InvalidTransition(
                f"办件当前为“{case.get_status_display()}”，不能受理。", code="conflict"
            )
        ap = _acceptor(actor, case)
        pending = (
            list(
                case.waits_for.exclude(status=CaseStatus.APPROVED).values_list(
                    "version__name", flat=True
                )
            )
            if case.bundle_application_id
            else []
        )
        if pending:
            raise InvalidTransition(
                f"这是一件事的后续事项，须待前置事项“{'、'.join(pending)}”办结后才能受理。"
            )
        day = clock.today()
        for material in case.materials.select_for_update():
            if material.key in checked and material.status == MaterialStatus.MISSING:
                material.status = MaterialStatus.PROVIDED
                material.checked = True
                material.save(update_fields=["status", "checked"])
            if material.status != MaterialStatus.MISSING:
                continue
            if material.key in deferred:
                if not material.deferrable:
                    raise InvalidInput(
                        f"「{material.name}」是主要材料，不能容缺受理，请一次性告知补正。",
                        field=f"m_{material.key}",
                    )
                promise = deferred[material.key]
                if promise <= day:
                    raise InvalidInput(
                        f"「{material.name}」的承诺补齐日期应晚于今天。",
                        field=f"promise_{material.key}",
                    )
                material.status = MaterialStatus.DEFERRED
                material.promised_by = promise
                material.save(update_fields=["status", "promised_by"])
                case.result_held = True
            elif material.required:
                raise InvalidInput(
                    f"「{material.name}」尚未提交：可一次性告知补正，"
                    + ("或在申请人书面承诺后容缺受理。" if material.deferrable else "或不予受理。"),
                    field=f"m_{material.key}",
                )
        case.accepted_at = now
        case.accepted_on = day
        case.accepted_by = actor
        case.window_id = case.window_id or ap.post.window_id
        case.promised_due = clock.due_date(day, case.promised_limit, case.limit_unit)
        case.statutory_due = clock.due_date(day, case.statutory_limit, case.limit_unit)
        label = "容缺受理" if case.result_held else "受理"
        _event(case, "accept", label, actor=actor, role=ap.role)
        if _is_immediate(case):
            case.immediate = True
            _finish(case, approved=True, actor=actor, role=ap.role, reason="当场办结", now=now)
        else:
            case.status = CaseStatus.IN_PROGRESS
            start = _start_state(case)
            action = next(
                a
                for a in _actions_from(case, start["key"])
                if _state(case, a["to"])["kind"] != "end"
            )
            _open_state(case, action["to"], now=now)
        _save(
            case,
            "status",
            "state_key",
            "accepted_at",
            "accepted_on",
            "accepted_by",
            "window",
            "promised_due",
            "statutory_due",
            "result_held",
            "immediate",
            "joint",
            "completed_at",
            "completed_on",
            "decision_reason",
            "pickup_code",
        )
        _audit(case, "accept", actor, ap.role, label, due=str(case.promised_due))
        due = f"，承诺办结日期 {case.promised_due:%Y年%m月%d日}" if case.promised_due else ""
        messages.tell(
            case,
            "case.accepted",
            "申请已受理",
            f"您的“{case.version.name}”（{case.number}）已{label}{due}。",
        )
    return case


def case_refuse(
    *, case: Case, actor: User, reason: str, legal_basis: str, expected_revision: int | None = None
) -> Case:
    """不予受理: a decision with its reason and legal basis."""
    reason, legal_basis = (reason or "").strip(), (legal_basis or "").strip()
    if not reason:
        raise InvalidInput("请写明不予受理的理由。", field="reason")
    if not legal_basis:
        raise InvalidInput("请写明不予受理的法律依据。", field="legal_basis")
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if case.status not in (CaseStatus.SUBMITTED, CaseStatus.SUPPLEMENT):
            raise InvalidTransition(
                f"办件当前为“{case.get_status_display()}”，不能作不予受理决定。", code="conflict"
            )
        ap = _acceptor(actor, case)
        case.status = CaseStatus.REFUSED
        case.returned = True
        case.decision_reason = reason
        case.legal_basis = legal_basis
        case.completed_at = clock.now()
        case.completed_on = clock.today()
        _save(
            case,
            "status",
            "returned",
            "decision_reason",
            "legal_basis",
            "completed_at",
            "completed_on",
        )
        _event(case, "refuse", "不予受理", actor=actor, role=ap.role, note=reason)
        _audit(case, "refuse", actor, ap.role, "不予受理")
        messages.tell(
            case,
            "case.refused",
            "申请不予受理",
            f"您的“{case.version.name}”（{case.number}）不予受理：{reason}",
        )
    return case


def case_request_supplement(
    *,
    case: Case,
    actor: User,
    items: list[dict[str, str]],
    expected_revision: int | None = None,
) -> SupplementRequest:
    """一次性补正告知: everything missing or wrong, at once. A later request that names a material
    the first one could already have named is flagged (`repeated`) for supervision."""
    if not items:
        raise InvalidInput("请列出需要补正的材料及原因。", field="items")
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if case.status != CaseStatus.SUBMITTED:
            raise InvalidTransition(
                f"办件当前为“{case.get_status_display()}”，不能要求补正。", code="conflict"
            )
        ap = _acceptor(actor, case)
        materials = {m.key: m for m in case.materials.all()}
        cleaned = []
        for entry in items:
            key = entry.get("key", "")
            reason = (entry.get("reason") or "").strip()
            if key not in materials:
                raise InvalidInput(f"本办件没有材料 {key}。", field="items")
            if not reason:
                raise InvalidInput(
                    f"请写明「{materials[key].name}」需要补正的原因。", field=f"reason_{key}"
                )
            cleaned.append({"key": key, "name": materials[key].name, "reason": reason})
        previous = list(case.supplements.all())
        repeated = False
        if previous:
            named = {e["key"] for p in previous for e in p.items}
            last_answer = max((p.answered_at for p in previous if p.answered_at), default=None)
            for entry in cleaned:
                material = materials[entry["key"]]
                changed_since = (
                    material.supplied_at
                    and last_answer
                    and material.supplied_at >= previous[0].requested_at
                )
                if entry["key"] not in named and not changed_since:
                    repeated = True
        request = SupplementRequest.objects.create(
            case=case,
            items=cleaned,
            requested_at=clock.now(),
            requested_by=actor,
            repeated=repeated,
        )
        case.status = CaseStatus.SUPPLEMENT
        case.supplemented = True
        _save(case, "status", "supplemented")
        names = "、".join(e["name"] for e in cleaned)
        _event(case, "supplement", "一次性告知补正", actor=actor, role=ap.role, note=names)
        _audit(case, "supplement", actor, ap.role, f"补正：{names}", repeated=repeated)
        messages.tell(
            case,
            "case.supplement",
            "请补正申请材料",
            f"您的“{case.version.name}”（{case.number}）需补正：{names}。补齐后将继续受理。",
        )
    return request


def case_supply(
    *,
    case: Case,
    actor: User,
    uploads: Mapping[str, Any],
    presented: Iterable[str] = (),
    expected_revision: int | None = None,
) -> Case:
    """The applicant answers a supplement request (online uploads, or paper at the counter); the
    case returns to the counter for its decision."""
    from onewindow.files.services import store_upload

    presented = set(presented)
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if case.status != CaseStatus.SUPPLEMENT:
            raise InvalidTransition("办件当前不需要补正。", code="conflict")
        role = _may_touch_as_applicant_or_acceptor(case, actor)
        request = case.supplements.filter(answered_at__isnull=True).last()
        wanted = {e["key"] for e in (request.items if request else [])}
        materials = {m.key: m for m in case.materials.select_for_update()}
        now = clock.now()
        for key in wanted:
            material = materials[key]
            if key in uploads:
                material.file = store_upload(
                    upload=uploads[key], field=f"m_{key}", actor=actor, allowed=MATERIAL_KINDS
                )
            elif key not in presented:
                raise InvalidInput(f"请补正「{material.name}」。", field=f"m_{key}")
            material.status = MaterialStatus.PROVIDED
            material.checked = key in presented
            material.supplied_at = now
            material.save(update_fields=["file", "status", "checked", "supplied_at"])
        if request is not None:
            request.answered_at = now
            request.save(update_fields=["answered_at"])
        case.status = CaseStatus.SUBMITTED
        _save(case, "status")
        _event(case, "supplied", "补正材料已提交", actor=actor, role=role)
        _audit(case, "supply", actor, role, "补正材料")
    return case


def _may_touch_as_applicant_or_acceptor(case: Case, actor: User) -> str:
    if actor.kind == UserKind.APPLICANT:
        if case.submitted_by_id != actor.pk:
            raise NotFound("没有找到该办件。")
        return "applicant"
    return _acceptor(actor, case).role


def case_supply_deferred(
    *,
    case: Case,
    actor: User,
    key: str,
    upload: Any = None,
    presented: bool = False,
) -> Case:
    """A material accepted under 容缺 arrives. When the last one is in, a finished result is
    released."""
    from onewindow.files.services import store_upload

    with transaction.atomic():
        case = _lock(case, None)
        role = _may_touch_as_applicant_or_acceptor(case, actor)
        material = case.materials.select_for_update().filter(key=key).first()
        if material is None or material.status != MaterialStatus.DEFERRED:
            raise InvalidInput("该材料不是容缺待补的材料。", field=f"m_{key}")
        if upload is not None:
            material.file = store_upload(
                upload=upload, field=f"m_{key}", actor=actor, allowed=MATERIAL_KINDS
            )
        elif not presented:
            raise InvalidInput(f"请上传「{material.name}」。", field=f"m_{key}")
        material.status = MaterialStatus.PROVIDED
        material.checked = presented
        material.supplied_at = clock.now()
        material.save(update_fields=["file", "status", "checked", "supplied_at"])
        late = material.promised_by is not None and clock.today() > material.promised_by
        _event(
            case,
            "deferred_supplied",
            "容缺材料已补齐" + ("（超过承诺日期）" if late else ""),
            actor=actor,
            role=role,
            note=material.name,
        )
        if not case.materials.filter(status=MaterialStatus.DEFERRED).exists():
            case.result_held = False
            _save(case, "result_held")
            if case.status == CaseStatus.APPROVED:
                _event(case, "release", "结果可以发放", actor=actor, role=role)
                messages.tell_result_ready(case)
        else:
            _save(case)
        _audit(case, "supply_deferred", actor, role, f"容缺材料补齐：{material.name}", late=late)
    return case


# -- the back office ------------------------------------------------------------------------------


def _actor_step(
    case: Case, actor: User, *, roles: Iterable[str] | None = None, lead_only: bool = False
) -> tuple[Step, ActingPost]:
    """The open step of the current state the actor may act on, and the post they act in."""
    steps = (
        case.steps.select_for_update(of=("self",))
        .select_related("department")
        .filter(state_key=case.state_key, closed_at__isnull=True)
    )
    for step in steps:
        if lead_only and step.kind == StepKind.BRANCH and not step.lead:
            continue
        wanted = set(step.role_list) & set(roles) if roles is not None else set(step.role_list)
        for ap in acting_posts(actor):
            if step.post_id is not None and ap.post.pk != step.post_id:
                continue
            if _post_fits(
                ap.post,
                roles=wanted,
                region_id=step.region_id,
                department_id=step.department_id,
            ):
                return step, ap
    raise NotAllowed(
        f"办件 {case.number} 当前的“{_state(case, case.state_key)['name']}”环节不由您的岗位办理。"
    )


def case_act(
    *,
    case: Case,
    actor: User,
    action: str,
    note: str = "",
    expected_revision: int | None = None,
) -> Case:
    """Take one action of the flow template from the current state."""
    note = (note or "").strip()
    now = clock.now()
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if case.status != CaseStatus.IN_PROGRESS:
            raise InvalidTransition(
                f"办件当前为“{case.get_status_display()}”，不能办理。", code="conflict"
            )
        options = {a["key"]: a for a in _actions_from(case, case.state_key)}
        if action not in options:
            names = "、".join(a["name"] for a in options.values()) or "无"
            raise InvalidTransition(
                f"当前环节不能进行该操作；可进行的操作：{names}。", field="action"
            )
        spec = options[action]
        state = _state(case, case.state_key)
        step, ap = _actor_step(case, actor, roles=spec["roles"], lead_only=True)
        if state["kind"] == "joint":
            waiting = case.steps.filter(
                state_key=case.state_key, closed_at__isnull=True, lead=False
            )
            if waiting.exists():
                names = "、".join(waiting.values_list("department__name", flat=True))
                raise InvalidTransition(f"并联审批尚未全部答复：{names}。请等待各部门意见。")
        order = [s["key"] for s in _flow(case)["states"]]
        target = _state(case, spec["to"])
        backwards = order.index(spec["to"]) < order.index(case.state_key)
        deny = target["kind"] == "end" and "deny" in action
        if (backwards or deny) and not note:
            raise InvalidInput("请填写理由。", field="note")
        step.closed_at = now
        step.closed_by = actor
        step.outcome = action
        step.note = note
        # the acted step is the state's only open one (a joint state's branches have all answered,
        # checked above), so nothing else is left open to close
        step.save(update_fields=["closed_at", "closed_by", "outcome", "note"])
        _event(
            case,
            action,
            spec["name"],
            actor=actor,
            role=ap.role,
            note=note if (backwards or deny) else "",
            state_name=state["name"],
            department=step.department or case.department,
        )
        if backwards:
            case.returned = True
        if target["kind"] == "end":
            _finish(case, approved=not deny, actor=actor, role=ap.role, reason=note, now=now)
        elif target["kind"] == "start":
            # back to the counter: the case waits for a new acceptance decision
            case.status = CaseStatus.SUBMITTED
            case.state_key = target["key"]
        else:
            _open_state(case, spec["to"], now=now)
        _save(
            case,
            "status",
            "state_key",
            "returned",
            "joint",
            "completed_at",
            "completed_on",
            "decision_reason",
            "pickup_code",
        )
        _audit(case, f"act.{action}", actor, ap.role, spec["name"])
        if case.status in (CaseStatus.APPROVED, CaseStatus.DENIED):
            messages.tell_finished(case)
    return case


def branch_answer(
    *,
    case: Case,
    actor: User,
    opinion: str,
    note: str = "",
    expected_revision: int | None = None,
) -> Step:
    """A co-department's answer in a joint stage (会签). A refusal goes to the lead department's
    decision; the lead moves the stage on once every department has answered."""
    note = (note or "").strip()
    if opinion not in Opinion.values:
        raise InvalidInput("请选择同意或不同意。", field="opinion")
    if opinion == Opinion.DISAGREE and not note:
        raise InvalidInput("不同意时请写明理由和依据。", field="note")
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if case.status != CaseStatus.IN_PROGRESS or _state(case, case.state_key)["kind"] != "joint":
            raise InvalidTransition("办件当前不在并联审批环节。", code="conflict")
        steps = case.steps.select_for_update().filter(
            state_key=case.state_key, closed_at__isnull=True, lead=False
        )
        for step in steps:
            ap = _acting_for(
                actor,
                roles=step.role_list,
                region_id=step.region_id,
                department_id=step.department_id,
            )
            if ap is not None and ap.post.department_id == step.department_id:
                break
        else:
            raise NotAllowed("本并联环节没有等待您部门答复的分支。")
        step.closed_at = clock.now()
        step.closed_by = actor
        step.opinion = opinion
        step.outcome = "answer"
        step.note = note
        step.save(update_fields=["closed_at", "closed_by", "opinion", "outcome", "note"])
        _event(
            case,
            "branch",
            f"会签意见：{Opinion(opinion).label}",
            actor=actor,
            role=ap.role,
            note=note,
            state_name=step.state_name,
            department=step.department,
        )
        _save(case)
        _audit(case, "branch", actor, ap.role, f"{step.department} 会签{Opinion(opinion).label}")
    return step


def case_transfer(
    *, case: Case, actor: User, post: Post, note: str = "", expected_revision: int | None = None
) -> Step:
    """转办: hand the open step to another post able to handle it (same role, region,
    department)."""
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if case.status != CaseStatus.IN_PROGRESS:
            raise InvalidTransition("办件当前不能转办。", code="conflict")
        step, ap = _actor_step(case, actor)
        if not post.active or not _post_fits(
            post, roles=step.role_list, region_id=step.region_id, department_id=step.department_id
        ):
            raise InvalidInput(f"岗位“{post}”不能办理“{step.state_name}”环节。", field="post")
        step.post = post
        step.save(update_fields=["post"])
        _save(case)
        _event(
            case,
            "transfer",
            "转办",
            actor=actor,
            role=ap.role,
            note=f"转至{post}" + (f"：{note}" if note else ""),
            state_name=step.state_name,
            public=False,
        )
        _audit(case, "transfer", actor, ap.role, f"转办至 {post}")
    return step


def case_report_up(
    *, case: Case, actor: User, note: str, expected_revision: int | None = None
) -> Case:
    """上报: a town that cannot decide sends the open step up to the county department."""
    if not (note or "").strip():
        raise InvalidInput("请写明上报原因。", field="note")
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if case.status != CaseStatus.IN_PROGRESS:
            raise InvalidTransition("办件当前不能上报。", code="conflict")
        step, ap = _actor_step(case, actor)
        if step.region_id == case.item.region_id:
            raise InvalidTransition("本环节已在事项的实施机关办理，无需上报。")
        step.region = case.item.region
        step.department = case.item.department
        step.post = None
        step.save(update_fields=["region", "department", "post"])
        case.reported = True
        _save(case, "reported")
        _event(
            case,
            "report_up",
            "上报",
            actor=actor,
            role=ap.role,
            note=note,
            state_name=step.state_name,
        )
        _audit(case, "report_up", actor, ap.role, "上报上级")
    return case


def pause_start(
    *,
    case: Case,
    actor: User,
    kind: str,
    reason: str,
    max_days: int = 0,
    expected_revision: int | None = None,
) -> Pause:
    """Start a special procedure: every clock of the case stops until it ends."""
    if kind not in PauseKind.values:
        raise InvalidInput("请选择特别程序的类型。", field="kind")
    if not (reason or "").strip():
        raise InvalidInput("请写明特别程序的事由。", field="reason")
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if case.status != CaseStatus.IN_PROGRESS:
            raise InvalidTransition("只有办理中的办件可以启动特别程序。", code="conflict")
        _step, ap = _actor_step(case, actor)
        day = clock.today()
        pause = Pause.objects.create(
            case=case,
            kind=kind,
            reason=reason.strip(),
            max_days=max_days,
            started_at=clock.now(),
            started_on=day,
            started_by=actor,
        )
        case.status = CaseStatus.PAUSED
        case.paused_since = day
        _save(case, "status", "paused_since")
        _event(
            case,
            "pause",
            f"启动特别程序：{PauseKind(kind).label}",
            actor=actor,
            role=ap.role,
            note=reason,
        )
        _audit(case, "pause", actor, ap.role, f"特别程序 {PauseKind(kind).label}")
    return pause


def pause_end(*, case: Case, actor: User, expected_revision: int | None = None) -> Pause:
    """End the special procedure: the days it lasted move every due date of the case."""
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if case.status != CaseStatus.PAUSED:
            raise InvalidTransition("办件当前没有进行中的特别程序。", code="conflict")
        case.status = CaseStatus.IN_PROGRESS  # so that _actor_step's state lookup applies
        _step, ap = _actor_step(case, actor)
        pause = case.pauses.select_for_update().get(ended_at__isnull=True)
        day = clock.today()
        assert case.paused_since is not None and case.accepted_on is not None
        days = max(clock.elapsed(case.paused_since, day, case.limit_unit), 0)
        work_days = max(clock.elapsed(case.paused_since, day, clock.WORKING_DAYS), 0)
        pause.ended_at = clock.now()
        pause.ended_on = day
        pause.days = days
        pause.save(update_fields=["ended_at", "ended_on", "days"])
        case.paused_days += days
        case.paused_since = None
        case.promised_due = clock.due_date(
            case.accepted_on, case.promised_limit, case.limit_unit, case.paused_days
        )
        case.statutory_due = clock.due_date(
            case.accepted_on, case.statutory_limit, case.limit_unit, case.paused_days
        )
        for step in case.steps.filter(closed_at__isnull=True):
            step.paused_days += work_days
            step.due = clock.due_date(
                step.started_on, step.limit, clock.WORKING_DAYS, step.paused_days
            )
            step.save(update_fields=["paused_days", "due"])
        _save(case, "status", "paused_days", "paused_since", "promised_due", "statutory_due")
        _event(
            case,
            "resume",
            f"特别程序结束（{pause.get_kind_display()}，历时 {days} 天，时限顺延）",
            actor=actor,
            role=ap.role,
        )
        _audit(case, "resume", actor, ap.role, f"特别程序结束，顺延 {days} 天")
    return pause


def case_withdraw(
    *, case: Case, actor: User, reason: str = "", expected_revision: int | None = None
) -> Case:
    """The applicant withdraws an open case."""
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if actor.kind != UserKind.APPLICANT or case.submitted_by_id != actor.pk:
            raise NotFound("没有找到该办件。")
        if case.status not in OPEN_STATUSES:
            raise InvalidTransition(
                f"办件已{case.get_status_display()}，不能撤回。", code="conflict"
            )
        now = clock.now()
        _close_open_steps(case, actor=actor, outcome="withdrawn", now=now)
        case.status = CaseStatus.WITHDRAWN
        case.completed_at = now
        case.completed_on = clock.today()
        _save(case, "status", "completed_at", "completed_on")
        _event(case, "withdraw", "申请人撤回申请", actor=actor, role="applicant", note=reason)
        _audit(case, "withdraw", actor, "applicant", "申请人撤回")
    return case


def case_terminate(
    *, case: Case, actor: User, reason: str, expected_revision: int | None = None
) -> Case:
    """终止: the department head ends a case that cannot go on (the applicant died, the company
    was dissolved …), with the reason on record."""
    if not (reason or "").strip():
        raise InvalidInput("请写明终止办理的理由。", field="reason")
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if case.status not in OPEN_STATUSES:
            raise InvalidTransition(
                f"办件已{case.get_status_display()}，不能终止。", code="conflict"
            )
        region_id, department_id = handling_unit(case)
        ap = _acting_for(
            actor, roles=[Role.DEPT_HEAD], region_id=region_id, department_id=department_id
        )
        if ap is None:
            raise NotAllowed("只有办理部门的负责人可以终止办件。")
        now = clock.now()
        _close_open_steps(case, actor=actor, outcome="terminated", now=now)
        case.status = CaseStatus.TERMINATED
        case.decision_reason = reason.strip()
        case.completed_at = now
        case.completed_on = clock.today()
        _save(case, "status", "decision_reason", "completed_at", "completed_on")
        _event(case, "terminate", "终止办理", actor=actor, role=ap.role, note=reason)
        _audit(case, "terminate", actor, ap.role, "终止办理")
        messages.tell(
            case,
            "case.terminated",
            "办件已终止",
            f"您的“{case.version.name}”（{case.number}）已终止办理：{reason}",
        )
    return case


# -- finishing ------------------------------------------------------------------------------------


def _finish(
    case: Case, *, approved: bool, actor: User, role: str, reason: str, now: dt.datetime
) -> None:
    case.status = CaseStatus.APPROVED if approved else CaseStatus.DENIED
    case.state_key = next(
        (s["key"] for s in _flow(case)["states"] if s["kind"] == "end"), case.state_key
    )
    case.completed_at = now
    case.completed_on = clock.today()
    case.decision_reason = reason
    case.pickup_code = f"{secrets.randbelow(10**6):06d}"
    # no step is open here: an immediate case never opened one, and case_act closed the last
    _event(
        case,
        "finish",
        "办结：准予" if approved else "办结：不予",
        actor=actor,
        role=role,
        note="" if approved else reason,
    )
    licence = None
    if approved:
        licence = Licence.objects.create(
            number=f"{case.number}-Z",
            name=case.version.result_name or case.version.name,
            case=case,
            holder_id=case.applicant_id,
            holder_name=case.applicant_name,
            issued_on=case.completed_on,
        )
    if case.bundle_application_id:
        _unblock(case, licence if approved else None, actor=actor)
    if case.immediate:
        # the immediate case's result is handed over at the counter at once
        messages.tell_finished(case)


def result_deliver(
    *,
    case: Case,
    actor: User,
    pickup_code: str = "",
    id_tail: str = "",
    courier: str = "",
    tracking_number: str = "",
    expected_revision: int | None = None,
) -> Case:
    """Hand the result over: at the unified result window (pickup code and the last four
    characters of the applicant's ID or credit code), or by post (courier and tracking number).
    Held back while a 容缺 material is outstanding."""
    with transaction.atomic():
        case = _lock(case, expected_revision)
        if case.status not in (CaseStatus.APPROVED, CaseStatus.DENIED):
            raise InvalidTransition("办件尚未办结，没有可发放的结果。", code="conflict")
        if case.delivered_at is not None:
            raise InvalidTransition(
                f"结果已于 {timezone.localtime(case.delivered_at):%Y-%m-%d %H:%M} 发放。",
                code="conflict",
            )
        if case.result_held:
            missing = "、".join(
                case.materials.filter(status=MaterialStatus.DEFERRED).values_list("name", flat=True)
            )
            raise InvalidTransition(f"容缺材料尚未补齐（{missing}），结果暂缓发放。")
        ap = _acting_for(actor, roles=[Role.ACCEPTOR], region_id=case.region_id, department_id=None)
        if ap is None:
            ap = _acceptor(actor, case)
        if case.delivery == Delivery.POST:
            if not courier.strip() or not tracking_number.strip():
                raise InvalidInput("请填写快递公司和运单号。", field="tracking_number")
            case.courier, case.tracking_number = courier.strip(), tracking_number.strip()
            label = f"邮寄送达（{case.courier} {case.tracking_number}）"
        else:
            if pickup_code.strip() != case.pickup_code:
                raise InvalidInput("取件码不正确，请核对短信中的取件码。", field="pickup_code")
            identity = case.applicant_id_number or case.applicant_credit_code
            if not identity or id_tail.strip().upper() != _tail(identity).upper():
                raise InvalidInput(
                    "证件号码后四位与申请人不符，请核验领取人身份。", field="id_tail"
                )
            label = "窗口领取"
        case.delivered_at = clock.now()
        _save(case, "courier", "tracking_number", "delivered_at")
        _event(case, "deliver", f"结果已送达：{label}", actor=actor, role=ap.role)
        _audit(case, "deliver", actor, ap.role, label)
        messages.tell(
            case,
            "case.delivered",
            "办理结果已送达",
            f"您的“{case.version.name}”（{case.number}）办理结果已{label}。",
        )
    return case


# -- "one thing" bundles --------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleMaterial:
    """One material of the combined form: asked once however many items need it."""

    field: str
    name: str
    required: bool
    deferrable: bool
    provided_by: str  # the earlier stage's result that will stand in for it ("" if none)
    items: tuple[str, ...]


@dataclass(frozen=True)
class BundlePlan:
    bundle: Any
    questions: list[tuple[str, Any]]  # (form field without "s_", situation)
    parts: list[tuple[Any, Any, Any]]  # (bundle step, item version, `Guide`)
    materials: list[BundleMaterial]
    unanswered: list[tuple[str, Any]]


def _core_name(name: str) -> str:
    """A result's name without its parenthetical ("营业执照（含电子营业执照）" → "营业执照"),
    as other items' materials ask for it."""
    return re.sub(r"[（(].*?[）)]", "", name or "").strip()


def bundle_plan(bundle: Any, answers: Mapping[str, str]) -> BundlePlan:
    """The combined form of a bundle for the applicant's answers: each situation question once
    (a question several items share — same key, same options — is asked once), and each material
    once by name; a material an earlier stage produces (the business licence of stage 1 for the
    seal, the tax and the social insurance of stage 2) is not asked at all."""
    steps = list(bundle.steps.select_related("item__published").order_by("stage", "id"))
    questions: list[tuple[str, Any]] = []
    seen: dict[str, tuple[str, ...]] = {}
    parts = []
    unanswered: list[tuple[str, Any]] = []
    for step in steps:
        version = step.item.published
        if version is None:
            continue
        item_answers = {}
        for situation in version.situations.all():
            options = tuple(o.key for o in situation.options.all())
            if seen.get(situation.key) == options:
                field = situation.key
            elif situation.key in seen:
                field = f"{step.item.code}__{situation.key}"
            else:
                field = situation.key
                seen[situation.key] = options
            if (field, situation.key) not in {(f, s.key) for f, s in questions}:
                questions.append((field, situation))
            if answers.get(field) in options:
                item_answers[situation.key] = answers[field]
            elif (field, situation) not in unanswered and field not in {f for f, _ in unanswered}:
                unanswered.append((field, situation))
        parts.append((step, version, guide_for(version, item_answers)))
    materials: dict[str, dict[str, Any]] = {}
    for step, version, selection in parts:
        earlier = [
            _core_name(v.result_name)
            for s, v, _ in parts
            if s.stage < step.stage and _core_name(v.result_name)
        ]
        for material in selection.materials:
            entry = materials.setdefault(
                material.name,
                {
                    "required": False,
                    "deferrable": True,
                    "provided_by": next((r for r in earlier if r in material.name), ""),
                    "items": [],
                },
            )
            if material.required and not material.deficiency_ok:
                entry["required"] = True
                entry["deferrable"] = False
            if not any(r in material.name for r in earlier):
                entry["provided_by"] = ""
            entry["items"].append(version.name)
    return BundlePlan(
        bundle=bundle,
        questions=questions,
        parts=parts,
        materials=[
            BundleMaterial(
                field=f"b{n}",
                name=name,
                required=entry["required"],
                deferrable=entry["deferrable"],
                provided_by=entry["provided_by"],
                items=tuple(dict.fromkeys(entry["items"])),
            )
            for n, (name, entry) in enumerate(materials.items(), start=1)
        ],
        unanswered=unanswered,
    )


def bundle_submit(
    *,
    actor: User,
    bundle_code: str,
    answers: Mapping[str, str],
    uploads: Mapping[str, Any],
    delivery: str = Delivery.PICKUP,
    delivery_address: str = "",
    submission_key: str = "",
) -> Any:
    """Apply for a bundle with one form: one case per item, linked; items of a later stage wait
    for the earlier stage (their counter cannot accept before), and receive its results as
    e-licences when it finishes."""
    from onewindow.catalogue.models import Bundle
    from onewindow.files.services import store_uploads

    from .models import BundleApplication

    if actor.kind != UserKind.APPLICANT:
        raise NotAllowed("一件事网上申请需要以群众或企业账户登录。")
    if submission_key:
        existing = BundleApplication.objects.filter(
            submitted_by=actor, submission_key=submission_key
        ).first()
        if existing is not None:
            return existing
    bundle = Bundle.objects.filter(code=bundle_code).first()
    if bundle is None:
        raise NotFound(f"没有编码为 {bundle_code} 的一件事。", field="bundle")
    if not bundle.active:
        raise InvalidTransition(
            f"“{bundle.name}”已停止办理（{bundle.retire_reason}），请按各事项分别申请。",
            code="bundle_retired",
        )
    plan = bundle_plan(bundle, answers)
    if plan.unanswered:
        field, situation = plan.unanswered[0]
        raise InvalidInput(f"请先回答“{situation.question}”。", field=f"s_{field}")
    for material in plan.materials:
        if material.required and not material.provided_by and material.field not in uploads:
            raise InvalidInput(
                f"请提交「{material.name}」（{'、'.join(material.items)}需要）。",
                field=material.field,
            )
    if delivery == Delivery.POST and not delivery_address.strip():
        raise InvalidInput("选择邮寄送达时请填写收件地址。", field="delivery_address")
    linked = actor.applicant
    applicant = ApplicantData(
        kind=linked.kind,
        name=linked.name,
        phone=actor.phone,
        id_number=linked.id_number or "",
        credit_code=linked.credit_code or "",
        address=delivery_address,
    ).validated()
    with transaction.atomic():
        first_region = plan.parts[0][0].item.region
        application = BundleApplication(
            number="YJS" + next_number(first_region, clock.today()),
            bundle=bundle,
            submitted_by=actor,
            submission_key=submission_key,
            answers=dict(answers),
        )
        saved = _save_once(application, actor=actor, submission_key=submission_key)
        if saved is not application:
            return saved
        uploaded = [m for m in plan.materials if m.field in uploads]
        stored = dict(
            zip(
                [m.name for m in uploaded],
                store_uploads(
                    [(uploads[m.field], m.field, m.name) for m in uploaded],
                    actor=actor,
                    allowed=MATERIAL_KINDS,
                ),
                strict=True,
            )
        )
        by_stage: dict[int, list[Case]] = {}
        for step, _version, selection in plan.parts:
            rows = [
                (m, {"file": stored[m.name], "status": MaterialStatus.PROVIDED})
                if m.name in stored
                else (m, {})
                for m in selection.materials
            ]
            case = _create_case(
                actor=actor,
                item=step.item,
                region=step.item.region,
                applicant=applicant,
                linked=linked,
                answers=selection.answers,
                limits=(selection.promised_limit, selection.statutory_limit),
                rows=rows,
                channel=Channel.ONLINE,
                window=None,
                form_data={},
                delivery=delivery,
                delivery_address=delivery_address,
                submission_key="",
                bundle_application=application,
                bundle_order=step.stage,
                tell=False,
            )
            earlier = [c for stage, cases in by_stage.items() if stage < step.stage for c in cases]
            if earlier:
                case.waits_for.add(*earlier)
            by_stage.setdefault(step.stage, []).append(case)
        audit_record(
            action="case.bundle.submit",
            actor=actor,
            role="applicant",
            obj=application,
            summary=f"{application.number} {bundle.name}：{len(plan.parts)} 个办件",
        )
        first = by_stage[min(by_stage)][0]
        messages.tell(
            first,
            "case.bundle_submitted",
            "一件事申请已提交",
            f"您的“{bundle.name}”已提交（{application.number}），共 {len(plan.parts)} 个事项，"
            "将按顺序并联办理。",
        )
    return application


def _unblock(case: Case, licence: Licence | None, *, actor: User) -> None:
    """A bundle case finished: the cases waiting for it receive its result as an e-licence for
    the materials it stands in for, and learn when they may be accepted."""
    for waiting in case.unblocks.filter(status=CaseStatus.SUBMITTED):
        if licence is not None:
            waiting.materials.filter(
                status=MaterialStatus.MISSING, name__contains=_core_name(licence.name)
            ).update(status=MaterialStatus.LICENCE, licence=licence)
        ready = (
            not waiting.waits_for.exclude(pk=case.pk).exclude(status=CaseStatus.APPROVED).exists()
        )
        _event(
            waiting,
            "prerequisite",
            f"前置事项“{case.version.name}”已办结" + ("，可以受理" if ready else ""),
            actor=actor,
        )


def due_dates_refresh() -> int:
    """Compute the due dates that waited for a year's calendar (a case accepted in late December
    whose limit runs into a year not yet published). Called when a calendar year is published."""
    from onewindow.calendar.selectors import clear_calendar_cache

    clear_calendar_cache()
    changed = 0
    with transaction.atomic():
        waiting = Case.objects.select_for_update().filter(
            Q(promised_due__isnull=True) | Q(statutory_due__isnull=True),
            status__in=OPEN_STATUSES,
            accepted_on__isnull=False,
        )
        for case in waiting:
            assert case.accepted_on is not None
            case.promised_due = clock.due_date(
                case.accepted_on, case.promised_limit, case.limit_unit, case.paused_days
            )
            case.statutory_due = clock.due_date(
                case.accepted_on, case.statutory_limit, case.limit_unit, case.paused_days
            )
            case.save(update_fields=["promised_due", "statutory_due", "updated_at"])
            changed += 1
        for step in Step.objects.select_for_update().filter(
            closed_at__isnull=True, due__isnull=True
        ):
            step.due = clock.due_date(
                step.started_on, step.limit, clock.WORKING_DAYS, step.paused_days
            )
            step.save(update_fields=["due"])
            changed += 1
    return changed
