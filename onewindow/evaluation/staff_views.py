"""Staff pages of 好差评: the overview, my own ratings (anonymous), the rectification list and
task, paper cards, the counter's rating tablet, and the printable QR code of a case. Thin: reads
through selectors scoped to the actor, writes through services."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from onewindow.accounts.access import staff_required
from onewindow.accounts.models import User
from onewindow.accounts.selectors import acting_posts, has_permission, jurisdiction, request_actor
from onewindow.cases import clock
from onewindow.cases.choices import FINISHED_STATUSES
from onewindow.cases.models import Case
from onewindow.cases.selectors import visible_cases
from onewindow.core.errors import DomainError
from onewindow.org.models import Window
from onewindow.org.selectors import departments_for, windows_for
from onewindow.stats.excel import ROW_LIMIT, chunked, rows_workbook, xlsx_response

from . import selectors, services, tokens
from .choices import REASONS, Level, RectificationStatus, Stage
from .models import Rating, Rectification
from .views import form_context

SESSION_KEY = "evaluation_counter_session"
EXPORT_CHUNK = 1000


def _actor(request: HttpRequest) -> User:
    return request_actor(request)


def _rows(actor: User, ratings: list[Rating]) -> list[tuple[Rating, selectors.Identity]]:
    return [(r, selectors.identity_for(actor, r)) for r in ratings]


@staff_required("evaluation.mine")
def home(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    context: dict[str, Any] = {
        "can_view": has_permission(user, "evaluation.view"),
        "can_card": has_permission(user, "evaluation.enter_card"),
        "can_counter": has_permission(user, "evaluation.counter"),
        "mine": selectors.rating_summary_of(selectors.ratings_about(user)),
    }
    if context["can_view"]:
        reach = jurisdiction(user, permission="evaluation.view")
        finished = Case.objects.filter(
            reach.q("region_path", "department"), status__in=FINISHED_STATUSES
        )
        context["summary"] = selectors.rating_summary(finished)
        context["open_tasks"] = selectors.open_rectification_count(user)
        page = Paginator(selectors.ratings_visible(user), 30).get_page(request.GET.get("page"))
        context["page"] = page
        context["rows"] = _rows(user, list(page.object_list))
    return render(request, "evaluation/staff/home.html", context)


@staff_required("evaluation.mine")
def mine(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    page = Paginator(selectors.ratings_about(user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/staff/mine.html",
        {"page": page, "summary": selectors.rating_summary_of(selectors.ratings_about(user))},
    )


@staff_required("evaluation.view")
def rectifications(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    show_all = request.GET.get("all") == "1"
    tasks = selectors.rectifications_for(user, open_only=not show_all)
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    rows = [
        (t, selectors.rectification_state(t), selectors.rectification_left(t))
        for t in page.object_list
    ]
    return render(
        request,
        "evaluation/staff/rectifications.html",
        {"page": page, "rows": rows, "show_all": show_all, "query": "all=1" if show_all else ""},
    )


# -- Excel exports: the same rows and the same masking as the pages, every row (up to ROW_LIMIT) --

TASK_STATES = {"normal": "正常", "warning": "预警", "overdue": "超期"}

RATING_COLUMNS: list[tuple[str, float]] = [
    ("时间", 17),
    ("办件", 24),
    ("申请人", 24),
    ("环节", 10),
    ("渠道", 12),
    ("窗口", 16),
    ("人员", 10),
    ("评价", 10),
    ("原因", 30),
    ("意见", 40),
]
MINE_COLUMNS: list[tuple[str, float]] = [
    ("日期", 12),
    ("环节", 10),
    ("渠道", 12),
    ("窗口", 16),
    ("评价", 10),
    ("原因", 30),
    ("意见", 40),
]
TASK_COLUMNS: list[tuple[str, float]] = [
    ("编号", 10),
    ("下达", 12),
    ("窗口", 16),
    ("部门", 20),
    ("评价", 10),
    ("评价环节", 10),
    ("状态", 10),
    ("整改期限", 12),
    ("时限", 8),
    ("剩余工作日", 10),
]


def _heading(title: str, user: User, *lines: str) -> list[str]:
    now = timezone.localtime()
    return [f"好差评 · {title}", *lines, f"导出：{user}，{now:%Y-%m-%d %H:%M}"]


def _download(
    user: User,
    title: str,
    note: str,
    columns: list[tuple[str, float]],
    rows: Iterable[list[Any]],
    *,
    permission: str,
    sheet: str = "",
    filters: dict[str, str] | None = None,
    file_title: str = "",
) -> HttpResponse:
    """The workbook of one list (at most ROW_LIMIT rows), on the audit log, as a download."""
    export = rows_workbook(
        sheet or title, _heading(title, user, note), columns, rows, limit=ROW_LIMIT
    )
    services.export_record(
        actor=user,
        table=title,
        permission=permission,
        rows=export.rows,
        filters=filters,
        capped=export.capped,
    )
    name = f"好差评-{file_title or title}-{clock.today():%Y-%m-%d}.xlsx"
    return xlsx_response(export.content, name)


@staff_required("evaluation.view")
def ratings_export(request: HttpRequest) -> HttpResponse:
    """The overview's ratings list (every rating in the actor's jurisdiction), masked as the page
    masks it: the case and applicant only as `identity_for` allows (never on the viewer's own
    ratings), 匿名 otherwise."""
    user = _actor(request)
    ratings = selectors.ratings_visible(user)[: ROW_LIMIT + 1]

    def rows() -> Iterator[list[Any]]:
        for chunk in chunked(ratings.iterator(chunk_size=EXPORT_CHUNK)):
            for r, who in _rows(user, chunk):
                yield [
                    r.rated_at,
                    who.case_number or "匿名",
                    who.applicant,
                    r.get_stage_display(),
                    r.get_channel_display(),
                    r.window.name if r.window else "",
                    r.staff.name if r.staff else "",
                    r.get_level_display(),
                    "、".join(r.reason_labels),
                    r.comment,
                ]

    return _download(
        user,
        "管辖范围内的评价",
        "范围：导出人的管辖范围；对导出人本人的评价不显示办件和评价人",
        RATING_COLUMNS,
        rows(),
        permission="evaluation.view",
    )


@staff_required("evaluation.mine")
def mine_export(request: HttpRequest) -> HttpResponse:
    """The ratings of the actor's own service, anonymous as on the page: no case, no rater, the
    day only."""
    user = _actor(request)
    ratings = selectors.ratings_about(user)[: ROW_LIMIT + 1]
    rows = (
        [
            r.rated_on,
            r.get_stage_display(),
            r.get_channel_display(),
            r.window.name if r.window else "",
            r.get_level_display(),
            "、".join(r.reason_labels),
            r.comment,
        ]
        for r in ratings.iterator(chunk_size=EXPORT_CHUNK)
    )
    return _download(
        user,
        "对我的服务的评价",
        "评价对被评价的工作人员匿名：不含办件和评价人",
        MINE_COLUMNS,
        rows,
        permission="evaluation.mine",
    )


@staff_required("evaluation.view")
def rectifications_export(request: HttpRequest) -> HttpResponse:
    """The rectification list as on the page (open ones, or all with all=1)."""
    user = _actor(request)
    show_all = request.GET.get("all") == "1"
    tasks = selectors.rectifications_for(user, open_only=not show_all)[: ROW_LIMIT + 1]
    rows = (
        [
            f"整改 {t.pk}",
            t.opened_on,
            t.window.name if t.window else "",
            t.department.name if t.department else "",
            t.rating.get_level_display(),
            t.rating.get_stage_display(),
            t.get_status_display(),
            t.due,
            TASK_STATES.get(selectors.rectification_state(t), "待定"),
            selectors.rectification_left(t),
        ]
        for t in tasks.iterator(chunk_size=EXPORT_CHUNK)
    )
    return _download(
        user,
        "差评整改（含已办结）" if show_all else "差评整改（未办结）",
        "范围：导出人的管辖范围",
        TASK_COLUMNS,
        rows,
        permission="evaluation.view",
        sheet="差评整改",
        filters={"all": "1"} if show_all else {},
        file_title="差评整改含已办结" if show_all else "差评整改",
    )


def _task(request: HttpRequest, pk: int) -> Rectification:
    task = (
        selectors.rectifications_for(_actor(request), open_only=False)
        .select_related(
            "staff", "investigated_by", "answered_by", "revisited_by", "closed_by", "rating__window"
        )
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404("没有找到该整改任务，或不在您的管辖范围内。")
    return task


def _task_context(request: HttpRequest, task: Rectification, **extra: Any) -> dict[str, Any]:
    user = _actor(request)
    return {
        "task": task,
        "rating": task.rating,
        "identity": selectors.identity_for(user, task.rating),
        "state": selectors.rectification_state(task),
        "left": selectors.rectification_left(task),
        "offers": {op: services.may_take(user, task, op) for op in services.OPERATIONS},
        "statuses": RectificationStatus.choices,
        "post": {},
        **extra,
    }


@staff_required("evaluation.view")
def rectification(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    return render(request, "evaluation/staff/rectification.html", _task_context(request, task))


@staff_required("evaluation.view")
@require_POST
def rectification_do(request: HttpRequest, pk: int, operation: str) -> HttpResponse:
    task = _task(request, pk)
    if operation not in services.OPERATIONS:
        raise Http404("没有这个操作。")
    user = _actor(request)
    revision = request.POST.get("revision", "")
    expected = int(revision) if revision.isdigit() else None
    data = request.POST
    try:
        if operation == "investigate":
            services.rectification_investigate(
                task=task, actor=user, finding=data.get("finding", ""), expected_revision=expected
            )
        elif operation == "answer":
            services.rectification_answer(
                task=task, actor=user, answer=data.get("answer", ""), expected_revision=expected
            )
        elif operation == "revisit":
            choice = data.get("revisit_satisfied", "")
            services.rectification_revisit(
                task=task,
                actor=user,
                note=data.get("revisit_note", ""),
                satisfied={"yes": True, "no": False}.get(choice),
                expected_revision=expected,
            )
        elif operation == "rework":
            services.rectification_rework(
                task=task,
                actor=user,
                reason=data.get("rework_reason", ""),
                expected_revision=expected,
            )
        else:
            services.rectification_close(
                task=task,
                actor=user,
                note=data.get("closing_note", ""),
                expected_revision=expected,
            )
    except DomainError as exc:
        context = _task_context(request, task, error=exc, post=data)
        return render(request, "evaluation/staff/rectification.html", context, status=exc.status)
    messages.success(request, f"已{services.TRANSITIONS[operation][3]}。")
    return redirect("evaluation:rectification", pk=task.pk)


@staff_required("evaluation.enter_card")
def card_new(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    windows = list(windows_for(user).filter(active=True))
    departments = list(departments_for(user))
    error: DomainError | None = None
    if request.method == "POST":
        data = request.POST
        window = next((w for w in windows if str(w.pk) == data.get("window")), None)
        department = next((d for d in departments if str(d.pk) == data.get("department")), None)
        try:
            rating = services.card_enter(
                actor=user,
                level=data.get("level", ""),
                case_number=data.get("case_number", ""),
                stage=data.get("stage", Stage.COMPLETION),
                window=window,
                department=department,
                reasons=data.getlist("reasons"),
                comment=data.get("comment", ""),
            )
        except DomainError as exc:
            error = exc
        else:
            note = "，已下达差评整改任务" if rating.is_bad else ""
            messages.success(request, f"评价卡已录入（{rating.get_level_display()}）{note}。")
            return redirect("evaluation:card-new")
    return render(
        request,
        "evaluation/staff/card.html",
        {
            "windows": windows,
            "departments": departments,
            "levels": [(int(v), label) for v, label in Level.choices],
            "reasons": list(REASONS.items()),
            "stage_choices": Stage.choices,
            "error": error,
            "post": request.POST if error else {},
            "chosen_reasons": request.POST.getlist("reasons") if error else [],
        },
        status=error.status if error else 200,
    )


# -- the counter's tablet ------------------------------------------------------------------------


def _session(request: HttpRequest) -> Any:
    session_id = request.session.get(SESSION_KEY)
    return selectors.open_session(
        _actor(request), session_id if isinstance(session_id, int) else None
    )


def _my_windows(user: User) -> list[Window]:
    ids = [ap.post.window_id for ap in acting_posts(user) if ap.post.window_id]
    return list(Window.objects.filter(pk__in=ids).order_by("number"))


@staff_required("evaluation.counter")
def counter(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    session = _session(request)
    number = request.GET.get("number", "").strip()
    if session is not None and number:
        if Case.objects.filter(number=number, window=session.window).exists():
            return redirect("evaluation:counter-rate", number=number)
        messages.error(request, f"本窗口没有办件编号为“{number}”的办件，请核对编号。")
    return render(
        request,
        "evaluation/staff/counter.html",
        {
            "session": session,
            "windows": _my_windows(user) if session is None else [],
            "cases": selectors.counter_cases(session) if session is not None else [],
        },
    )


@staff_required("evaluation.counter")
@require_POST
def counter_start(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    window = next((w for w in _my_windows(user) if str(w.pk) == request.POST.get("window")), None)
    if window is None:
        messages.error(request, "请选择您所在的窗口后再签到。")
        return redirect("evaluation:counter")
    try:
        session = services.counter_session_start(actor=user, window=window)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("evaluation:counter")
    request.session[SESSION_KEY] = session.pk
    messages.success(request, f"评价器已签到：{window.name}。")
    return redirect("evaluation:counter")


@staff_required("evaluation.counter")
@require_POST
def counter_end(request: HttpRequest) -> HttpResponse:
    session = _session(request)
    if session is not None:
        services.counter_session_end(actor=_actor(request), session=session)
    request.session.pop(SESSION_KEY, None)
    messages.success(request, "评价器已签退。")
    return redirect("evaluation:counter")


@staff_required("evaluation.counter")
def counter_rate(request: HttpRequest, number: str) -> HttpResponse:
    session = _session(request)
    if session is None:
        messages.error(request, "请先为评价器签到窗口。")
        return redirect("evaluation:counter")
    case = (
        Case.objects.select_related("version", "department", "window")
        .filter(number=number, window=session.window)
        .first()
    )
    if case is None:
        raise Http404("本窗口没有该办件。")
    if request.method == "POST":
        try:
            rating = services.rate_at_counter(
                session=session,
                case=case,
                stage=request.POST.get("stage", ""),
                level=request.POST.get("level", ""),
                reasons=request.POST.getlist("reasons"),
                comment=request.POST.get("comment", ""),
            )
        except DomainError as exc:
            context = form_context(
                case,
                session=session,
                error=exc,
                post=request.POST,
                chosen_reasons=request.POST.getlist("reasons"),
            )
            return render(request, "evaluation/staff/counter_rate.html", context, status=exc.status)
        return render(request, "evaluation/staff/counter_thanks.html", {"rating": rating})
    context = form_context(case, session=session)
    return render(request, "evaluation/staff/counter_rate.html", context)


@staff_required("case.view")
def qr(request: HttpRequest, number: str) -> HttpResponse:
    """A printable page with the case's rating QR code (for a receipt printed before the code
    was on it, or to hand to the applicant)."""
    from onewindow.cases.documents import _qr, public_base

    case = visible_cases(_actor(request)).filter(number=number).first()
    if case is None:
        raise Http404("没有找到该办件，或不在您的管辖范围内。")
    url = public_base(request.build_absolute_uri("/")) + tokens.rating_path(case.pk)
    return render(request, "evaluation/staff/qr.html", {"case": case, "url": url, "qr": _qr(url)})
