"""Case pages for staff: the work queues, the counter (综合受理), and the case page where every
action the actor may take on the case is offered. Thin: reads through selectors, writes through
services; a refused action re-renders the page with the message and the HTTP status of the
error (409 for a conflict), and changes nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from onewindow.accounts.access import staff_required
from onewindow.accounts.choices import ApplicantKind, Role
from onewindow.accounts.models import Post, User
from onewindow.accounts.selectors import acting_posts, has_permission, request_actor
from onewindow.catalogue import selectors as catalogue
from onewindow.catalogue.grants import region_catalogue
from onewindow.core.errors import DomainError, InvalidInput
from onewindow.core.personal import mask_id_number, mask_phone

from . import selectors, services
from .choices import CATEGORIES, CaseStatus, Delivery, MaterialStatus, PauseKind
from .models import Case
from .views import situation_answers


def _actor(request: HttpRequest) -> User:
    return request_actor(request)


@staff_required("case.view")
def queue(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    number = request.GET.get("number", "").strip()
    if number:
        found = selectors.visible_cases(user).filter(number=number).first()
        if found is not None:
            return redirect("casework:detail", number=found.number)
        messages.error(request, f"在您的管辖范围内没有办件 {number}。")
    steps = list(selectors.step_queue(user)[:200])
    return render(
        request,
        "cases/staff/queue.html",
        {
            "accepting": selectors.acceptance_queue(user)[:200],
            "steps": [(s, selectors.step_state(s)) for s in steps],
            "results": selectors.result_queue(user)[:200],
            "is_acceptor": any(ap.role == Role.ACCEPTOR for ap in acting_posts(user)),
            "recent": selectors.visible_cases(user)[:20],
            "categories": [
                (CATEGORIES[k], n)
                for k, n in selectors.category_counts(selectors.visible_cases(user)).items()
            ],
        },
    )


def _counter_region(user: User) -> Any:
    for ap in acting_posts(user):
        if ap.role == Role.ACCEPTOR:
            return ap.post.region, ap.post.window
    return None, None


@staff_required("case.accept")
def counter(request: HttpRequest) -> HttpResponse:
    """综合受理: open a case for a walk-in applicant — pick the item, answer the situation
    questions, tick the paper materials checked, scan what should be kept, then decide."""
    user = _actor(request)
    region, window = _counter_region(user)
    if region is None:
        raise Http404("您没有受理岗位。")
    items = region_catalogue(region).select_related("published", "department")
    code = (request.POST.get("item") or request.GET.get("item") or "").strip()
    item = items.filter(code=code).first() if code else None
    context: dict[str, Any] = {
        "region": region,
        "window": window,
        "items": items.order_by("department__code", "code"),
        "item": item,
        "kinds": ApplicantKind.choices,
        "deliveries": [(k, v) for k, v in Delivery.choices if k != Delivery.ONLINE],
        "post": request.POST,
        "presented": request.POST.getlist("presented"),
        "submission_key": request.POST.get("submission_key") or uuid.uuid4().hex,
    }
    if item is None:
        return render(request, "cases/staff/counter.html", context)
    version = item.published
    assert version is not None
    source = request.POST if request.method == "POST" else request.GET
    selection = catalogue.materials_for(version, situation_answers(source))
    context |= {"v": version, "selection": selection}
    if request.method == "POST":
        try:
            case = services.case_submit(
                actor=user,
                item_code=item.code,
                channel="counter",
                region_code=region.code,
                window=window,
                applicant=services.ApplicantData(
                    kind=request.POST.get("applicant_kind", ""),
                    name=request.POST.get("applicant_name", ""),
                    phone=request.POST.get("applicant_phone", ""),
                    id_number=request.POST.get("applicant_id_number", ""),
                    credit_code=request.POST.get("applicant_credit_code", ""),
                    address=request.POST.get("applicant_address", ""),
                ),
                answers=selection.answers,
                presented=request.POST.getlist("presented"),
                uploads={k[2:]: f for k, f in request.FILES.items() if k.startswith("m_")},
                delivery=request.POST.get("delivery", Delivery.PICKUP),
                delivery_address=request.POST.get("delivery_address", ""),
                submission_key=request.POST.get("submission_key", "")[:64],
            )
        except DomainError as exc:
            context["error"] = exc
            return render(request, "cases/staff/counter.html", context, status=exc.status)
        messages.success(request, f"已收件，办件编号 {case.number}。请作出受理决定。")
        return redirect("casework:detail", number=case.number)
    return render(request, "cases/staff/counter.html", context)


def _case(request: HttpRequest, number: str) -> Case:
    case = selectors.visible_cases(_actor(request)).filter(number=number).first()
    if case is None:
        raise Http404("没有找到该办件，或它不在您的管辖范围内。")
    return case


def _offers(case: Case, user: User) -> dict[str, Any]:
    """What the actor may do on this case now, for the page to offer (the services check again)."""
    offers: dict[str, Any] = {}
    posts = acting_posts(user)
    acceptor = any(
        ap.role == Role.ACCEPTOR
        and ap.post.region_id == case.region_id
        and ap.post.department_id in (None, case.department_id)
        for ap in posts
    )
    if case.status == CaseStatus.SUBMITTED and acceptor:
        offers["accept"] = True
    if case.status in (CaseStatus.APPROVED, CaseStatus.DENIED) and not case.delivered_at:
        offers["deliver"] = any(
            ap.role == Role.ACCEPTOR and ap.post.region_id == case.region_id for ap in posts
        )
    mine = [
        s for s in selectors.step_queue(user).filter(case=case) if s.state_key == case.state_key
    ]
    if case.status == CaseStatus.IN_PROGRESS and mine:
        flow = case.version.flow or {}
        roles = {ap.role for ap in posts}
        lead_or_task = [s for s in mine if s.kind == "task" or s.lead]
        if lead_or_task:
            offers["actions"] = [
                a
                for a in flow.get("actions", [])
                if a["from"] == case.state_key and set(a["roles"]) & roles
            ]
            offers["report_up"] = lead_or_task[0].region_id != case.item.region_id
            offers["transfer_to"] = [
                p
                for p in Post.objects.filter(
                    active=True,
                    region_id=lead_or_task[0].region_id,
                    role__in=lead_or_task[0].role_list,
                ).select_related("holder_a")
                if lead_or_task[0].department_id is None
                or p.department_id == lead_or_task[0].department_id
            ]
        if any(s.kind == "branch" and not s.lead for s in mine):
            offers["branch"] = True
        offers["pause"] = PauseKind.choices
    if case.status == CaseStatus.PAUSED:
        offers["resume"] = True
    if case.is_open and any(ap.role == Role.DEPT_HEAD for ap in posts):
        offers["terminate"] = True
    return offers


def _detail(request: HttpRequest, case: Case, *, error: DomainError | None = None) -> HttpResponse:
    from . import documents

    user = _actor(request)
    reveal = has_permission(user, "personal.reveal")
    steps = list(case.steps.select_related("department", "region", "closed_by", "post"))
    return render(
        request,
        "cases/staff/detail.html",
        {
            "case": case,
            "id_shown": case.applicant_id_number
            if reveal and request.GET.get("reveal")
            else mask_id_number(case.applicant_id_number),
            "phone_shown": mask_phone(case.applicant_phone),
            "clocks": selectors.case_clocks(case),
            "steps": [(s, selectors.step_state(s), _outcome(case, s)) for s in steps],
            "events": case.events.select_related("actor"),
            "materials": case.materials.select_related("file", "licence"),
            "supplements": case.supplements.all(),
            "pauses": case.pauses.all(),
            "offers": _offers(case, user),
            "documents": documents.available_documents(case),
            "error": error,
            "post": request.POST,
            "MISSING": MaterialStatus.MISSING,
            "categories": [label for key, label in CATEGORIES.items() if _in_category(case, key)],
        },
        status=error.status if error else 200,
    )


OUTCOMES = {"answer": "会签", "finished": "办结", "withdrawn": "申请人撤回", "terminated": "终止"}


def _outcome(case: Case, step: Any) -> str:
    if not step.outcome:
        return ""
    names = {a["key"]: a["name"] for a in (case.version.flow or {}).get("actions", [])}
    return names.get(step.outcome) or OUTCOMES.get(step.outcome, step.outcome)


def _in_category(case: Case, key: str) -> bool:
    return not case.immediate if key == "promised" else bool(getattr(case, key))


@staff_required("case.view")
def detail(request: HttpRequest, number: str) -> HttpResponse:
    return _detail(request, _case(request, number))


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("请按 年-月-日 填写日期，例如 2026-12-31。", field=field) from None


def _accept(request: HttpRequest, case: Case, user: User, rev: int) -> str:
    deferred = {
        k[len("promise_") :]: _date(request.POST.get(k, ""), k)
        for k in request.POST
        if k.startswith("promise_")
        and request.POST.get(k)
        and request.POST.get("defer_" + k[len("promise_") :])
    }
    case = services.case_accept(
        case=case,
        actor=user,
        deferred=deferred,
        checked=request.POST.getlist("checked"),
        expected_revision=rev,
    )
    return "已受理。" if case.status == CaseStatus.IN_PROGRESS else "已受理并当场办结。"


def _supplement(request: HttpRequest, case: Case, user: User, rev: int) -> str:
    keys = request.POST.getlist("supplement")
    services.case_request_supplement(
        case=case,
        actor=user,
        items=[{"key": k, "reason": request.POST.get(f"reason_{k}", "")} for k in keys],
        expected_revision=rev,
    )
    return "已一次性告知补正，申请人将收到短信。"


def _refuse(request: HttpRequest, case: Case, user: User, rev: int) -> str:
    services.case_refuse(
        case=case,
        actor=user,
        reason=request.POST.get("reason", ""),
        legal_basis=request.POST.get("legal_basis", ""),
        expected_revision=rev,
    )
    return "已作出不予受理决定。"


def _act(request: HttpRequest, case: Case, user: User, rev: int) -> str:
    services.case_act(
        case=case,
        actor=user,
        action=request.POST.get("action", ""),
        note=request.POST.get("note", ""),
        expected_revision=rev,
    )
    return "已办理。"


def _branch(request: HttpRequest, case: Case, user: User, rev: int) -> str:
    services.branch_answer(
        case=case,
        actor=user,
        opinion=request.POST.get("opinion", ""),
        note=request.POST.get("note", ""),
        expected_revision=rev,
    )
    return "会签意见已提交。"


def _transfer(request: HttpRequest, case: Case, user: User, rev: int) -> str:
    post = Post.objects.filter(pk=request.POST.get("post") or 0).first()
    if post is None:
        raise InvalidInput("请选择转办的岗位。", field="post")
    services.case_transfer(
        case=case, actor=user, post=post, note=request.POST.get("note", ""), expected_revision=rev
    )
    return f"已转办至{post}。"


def _report_up(request: HttpRequest, case: Case, user: User, rev: int) -> str:
    services.case_report_up(
        case=case, actor=user, note=request.POST.get("note", ""), expected_revision=rev
    )
    return "已上报。"


def _pause(request: HttpRequest, case: Case, user: User, rev: int) -> str:
    max_days = request.POST.get("max_days", "0") or "0"
    if not max_days.isdigit():
        raise InvalidInput("最长天数应为整数。", field="max_days")
    services.pause_start(
        case=case,
        actor=user,
        kind=request.POST.get("kind", ""),
        reason=request.POST.get("reason", ""),
        max_days=int(max_days),
        expected_revision=rev,
    )
    return "特别程序已启动，时限暂停计算。"


def _resume(request: HttpRequest, case: Case, user: User, rev: int) -> str:
    pause = services.pause_end(case=case, actor=user, expected_revision=rev)
    return f"特别程序结束，时限顺延 {pause.days} 天。"


def _terminate(request: HttpRequest, case: Case, user: User, rev: int) -> str:
    services.case_terminate(
        case=case, actor=user, reason=request.POST.get("reason", ""), expected_revision=rev
    )
    return "办件已终止。"


def _deliver(request: HttpRequest, case: Case, user: User, rev: int) -> str:
    services.result_deliver(
        case=case,
        actor=user,
        pickup_code=request.POST.get("pickup_code", ""),
        id_tail=request.POST.get("id_tail", ""),
        courier=request.POST.get("courier", ""),
        tracking_number=request.POST.get("tracking_number", ""),
        expected_revision=rev,
    )
    return "结果已发放。"


def _supply(request: HttpRequest, case: Case, user: User, rev: int) -> str:
    if case.status == CaseStatus.SUPPLEMENT:
        services.case_supply(
            case=case,
            actor=user,
            uploads={k[2:]: f for k, f in request.FILES.items() if k.startswith("m_")},
            presented=request.POST.getlist("presented"),
            expected_revision=rev,
        )
        return "补正材料已收齐，请作出受理决定。"
    key = request.POST.get("key", "")
    services.case_supply_deferred(
        case=case,
        actor=user,
        key=key,
        upload=request.FILES.get(f"m_{key}"),
        presented=bool(request.POST.get("presented")),
    )
    return "容缺材料已补齐。"


OPERATIONS: dict[str, Callable[[HttpRequest, Case, User, int], str]] = {
    "accept": _accept,
    "supplement": _supplement,
    "refuse": _refuse,
    "act": _act,
    "branch": _branch,
    "transfer": _transfer,
    "report_up": _report_up,
    "pause": _pause,
    "resume": _resume,
    "terminate": _terminate,
    "deliver": _deliver,
    "supply": _supply,
}


@staff_required("case.view")
@require_POST
def operate(request: HttpRequest, number: str, operation: str) -> HttpResponse:
    case = _case(request, number)
    handler = OPERATIONS.get(operation)
    if handler is None:
        raise Http404("没有这个操作。")
    revision = request.POST.get("revision", "")
    try:
        done = handler(
            request, case, _actor(request), int(revision) if revision.isdigit() else case.revision
        )
    except DomainError as exc:
        case.refresh_from_db()
        return _detail(request, case, error=exc)
    messages.success(request, done)
    return redirect("casework:detail", number=number)


@staff_required("case.view")
def document(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    from onewindow.files.selectors import file_response

    from . import documents

    case = _case(request, number)
    try:
        stored = documents.case_document(
            case, kind, actor=_actor(request), base_url=request.build_absolute_uri("/")
        ).file
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return file_response(stored)


@staff_required("case.view")
def material(request: HttpRequest, number: str, key: str) -> HttpResponse:
    from onewindow.files.selectors import file_response

    case = _case(request, number)
    row = case.materials.filter(key=key, file__isnull=False).select_related("file").first()
    if row is None or row.file is None:
        raise Http404("该材料没有电子文件。")
    return file_response(row.file, as_attachment=False)
