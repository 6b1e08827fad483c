"""Staff pages. Thin: every read through a selector scoped to the actor, every write a service."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from axes.models import AccessAttempt
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from onewindow.accounts import selectors as acc
from onewindow.accounts import services as acc_services
from onewindow.accounts.access import staff_required
from onewindow.accounts.choices import Role
from onewindow.accounts.models import User
from onewindow.audit.selectors import audit_export_rows, audit_search
from onewindow.audit.services import record_export
from onewindow.calendar.views import publish_view, year_view
from onewindow.cases.selectors import applicants_in_reach
from onewindow.core.errors import DomainError
from onewindow.core.personal import mask_id_number, mask_phone
from onewindow.org import selectors as org

from .forms import StaffForm


def actor(request: HttpRequest) -> User:
    return acc.request_actor(request)


@staff_required()
def home(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    acting = acc.acting_posts(user)
    posts = list(acc.staff_posts(user))
    absence = user.absences.filter(ended_at__isnull=True).first()
    return render(
        request,
        "workbench/home.html",
        dict(
            acting=acting,
            posts=posts,
            absence=absence,
            has_totp=TOTPDevice.objects.devices_for_user(user, confirmed=True).exists(),
            backups=[ap for ap in acting if ap.as_backup],
            roles=sorted({acc.ROLE_LABELS[ap.role] for ap in acting}),
        ),
    )


@staff_required("staff.manage")
def staff_new(request: HttpRequest) -> HttpResponse:
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = acc_services.staff_create(actor=actor(request), **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, f"已新增工作人员 {person}。请在“系统管理 › 岗位”中为其设置岗位。"
            )
            return redirect("workbench:staff")
    return render(request, "workbench/staff_new.html", dict(form=form))


@staff_required("org.view")
def windows(request: HttpRequest) -> HttpResponse:
    page = Paginator(org.windows_for(actor(request)), 50).get_page(request.GET.get("page"))
    return render(request, "workbench/windows.html", dict(page=page))


@staff_required("org.view")
def window_detail(request: HttpRequest, pk: int) -> HttpResponse:
    window = get_object_or_404(org.windows_for(actor(request)), pk=pk)
    posts = window.posts.select_related("holder_a", "holder_b").annotate(
        a_absent=acc.open_absence_q("holder_a")
    )
    return render(
        request,
        "workbench/window_detail.html",
        dict(window=window, posts=posts),
    )


@staff_required("org.view")
def staff(request: HttpRequest) -> HttpResponse:
    qs = acc.staff_list(actor(request))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "workbench/staff.html",
        dict(
            page=page,
            may_manage=acc.has_permission(actor(request), "staff.manage"),
        ),
    )


@staff_required("org.view")
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(acc.staff_list(actor(request)), pk=pk)
    return render(
        request,
        "workbench/staff_detail.html",
        dict(
            person=person,
            posts=acc.staff_posts(person),
            absence=person.absences.filter(ended_at__isnull=True).first(),
            phone_masked=mask_phone(person.phone),
            may_mark=acc.has_permission(actor(request), "staff.mark_absent"),
        ),
    )


@require_POST
@staff_required("staff.mark_absent")
def staff_absence(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(acc.staff_list(actor(request)), pk=pk)
    try:
        if request.POST.get("action") == "end":
            acc_services.absence_end(actor=actor(request), user=person)
            messages.success(request, f"已登记 {person} 返岗，A 岗恢复办理。")
        else:
            acc_services.absence_start(
                actor=actor(request),
                user=person,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, f"已登记 {person} 离岗，其工作由 B 岗接替。")
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        messages.error(request, exc.message)
    return redirect("workbench:staff-detail", pk=person.pk)


@staff_required("applicant.view")
def applicants(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    rows = [
        {
            "applicant": a,
            "id_masked": mask_id_number(a.id_number),
            "phone_masked": mask_phone(a.user.phone),
        }
        for a in acc.applicant_search(query=query, within=applicants_in_reach(actor(request)))
    ]
    return render(
        request,
        "workbench/applicants.html",
        dict(
            rows=rows,
            query=query,
            may_reveal=acc.has_permission(actor(request), "personal.reveal"),
        ),
    )


@require_POST
@staff_required("personal.reveal")
def applicant_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    applicant = get_object_or_404(applicants_in_reach(actor(request)).select_related("user"), pk=pk)
    field = request.POST.get("field", "")
    try:
        value = acc_services.personal_reveal(
            actor=actor(request),
            applicant=applicant,
            field=field,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("workbench:applicants")
    return render(
        request,
        "workbench/reveal.html",
        dict(
            applicant=applicant,
            value=value,
            label="身份证号码" if field == "id_number" else "手机号码",
        ),
    )


def _audit_filters(request: HttpRequest) -> dict[str, str]:
    keys = ("actor_name", "action", "object_type", "object_id", "since", "until", "ip")
    return {k: request.GET[k].strip() for k in keys if request.GET.get(k, "").strip()}


@staff_required("audit.view")
def audit_log(request: HttpRequest) -> HttpResponse:
    filters = _audit_filters(request)
    try:
        qs = audit_search(**filters)
    except DomainError as exc:
        messages.error(request, exc.message)
        qs = audit_search()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "workbench/audit.html",
        dict(page=page, filters=filters, query=request.GET.urlencode()),
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@staff_required("audit.view")
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    filters = _audit_filters(request)
    qs = audit_search(**filters)
    record_export(
        actor=actor(request), role=Role.AUDITADMIN, summary="导出审计日志（CSV）", filters=filters
    )
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield "\ufeff"
        for row in audit_export_rows(qs):
            yield writer.writerow(row)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


@staff_required("security.manage")
def security(request: HttpRequest) -> HttpResponse:
    attempts = [
        {"attempt": a, "account": mask_phone(a.username) if a.username.isdigit() else a.username}
        for a in AccessAttempt.objects.order_by("-attempt_time")[:200]
    ]
    return render(request, "workbench/security.html", dict(attempts=attempts))


@require_POST
@staff_required("security.manage")
def security_unlock(request: HttpRequest) -> HttpResponse:
    try:
        acc_services.lockout_reset(
            actor=actor(request),
            attempt_id=int(request.POST.get("attempt", "0") or 0),
            what=request.POST.get("what", ""),
        )
    except (DomainError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "请求无效。"))
    else:
        messages.success(request, "已解除锁定。")
    return redirect("workbench:security")


@staff_required("org.view")
def calendar_year(request: HttpRequest, year: int | None = None) -> HttpResponse:
    return year_view(request, year or timezone.localdate().year)


@staff_required("calendar.manage")
def calendar_publish(request: HttpRequest) -> HttpResponse:
    return publish_view(request)
