"""Staff pages of the item catalogue (/workbench/catalogue/). Thin: reads through selectors, every
write a service; a `DomainError` is shown on the form field it names."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from onewindow.accounts.access import staff_required
from onewindow.accounts.choices import UserKind
from onewindow.accounts.models import User
from onewindow.accounts.selectors import has_permission, jurisdiction, request_actor
from onewindow.core.errors import DomainError, InvalidInput
from onewindow.files import selectors as file_selectors
from onewindow.files import services as file_services
from onewindow.files.models import StoredFile
from onewindow.org.choices import RegionLevel
from onewindow.org.models import Department, Region, Window
from onewindow.stats.excel import xlsx_response

from . import exchange, grants, selectors, services
from .choices import LEVELS, Handling, ItemKind, LimitUnit, OnlineDepth, ResultType
from .choices import VersionStatus as VS
from .forms import (
    BundleForm,
    BundleStepFormSet,
    DevolutionForm,
    FaqFormSet,
    FeeFormSet,
    ImportForm,
    MaterialFormSet,
    NewItemForm,
    RecallForm,
    RevokeForm,
    SituationFormSet,
    VersionForm,
    WindowAuthorisationForm,
    materials_from,
    option_effects,
    rows_from,
    situation_rows,
    situations_from,
    stages_from,
)
from .models import Devolution, Item, ItemVersion, Material, WindowAuthorisation

FORM_UPLOAD_KINDS = ("pdf", "docx", "doc", "xlsx", "xls", "jpeg", "png")
IMPORT_SESSION_KEY = "catalogue_import"


def actor(request: HttpRequest) -> User:
    return request_actor(request)


def _item(code: str) -> Item:
    return get_object_or_404(
        Item.objects.select_related("department", "region", "published"), code=code
    )


def _version(pk: int) -> ItemVersion:
    return get_object_or_404(
        ItemVersion.objects.select_related("item__department", "item__region"), pk=pk
    )


def _require_edit(request: HttpRequest, item: Item) -> None:
    if not selectors.may_edit(actor(request), item):
        raise PermissionDenied(f"您无权修改{item.department}的事项")


def _error(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


# --- the diff between two versions -------------------------------------------------------------


def diff_rows(old: ItemVersion, new: ItemVersion) -> list[tuple[str, str, str]]:
    """Readable (label, before, after) rows: `selectors.version_changes`, which the public change
    history (portal 变更记录) shows too."""
    return selectors.version_changes(old, new)


# --- list and detail --------------------------------------------------------------------------

STATUS_FILTERS = (
    ("draft", "有草稿"),
    ("reviewed", "已审核待发布"),
    ("published", "已发布"),
    ("unpublished", "从未发布"),
)


@staff_required("catalogue.view")
def items(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    q = request.GET.get("q", "").strip()[:50]
    status = request.GET.get("status", "")
    level = request.GET.get("level", "")
    try:
        department = int(request.GET.get("department") or 0) or None
    except ValueError:
        department = None
    qs = selectors.staff_items(query=q, department=department, status=status, level=level)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    editable = jurisdiction(user, permission="catalogue.edit")
    rows = [(item, editable.covers(item.region.path, item.department_id)) for item in page]
    query = "&".join(
        f"{k}={v}"
        for k, v in (
            ("q", q),
            ("department", department or ""),
            ("status", status),
            ("level", level),
        )
        if v
    )
    return render(
        request,
        "catalogue/staff/items.html",
        dict(
            page=page,
            rows=rows,
            q=q,
            status=status,
            level=level,
            department=department,
            departments=Department.objects.order_by("code"),
            statuses=STATUS_FILTERS,
            levels=LEVELS,
            query=query,
            may_create=has_permission(user, "catalogue.edit"),
            may_import=has_permission(user, "catalogue.import"),
            may_grant=has_permission(user, "catalogue.grant"),
        ),
    )


@staff_required("catalogue.view")
def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = actor(request)
    item = _item(code)
    versions = list(selectors.staff_versions(item))
    by_number = {v.number: v for v in versions}
    pending = next((v for v in versions if v.status in (VS.DRAFT, VS.REVIEWED)), None)
    try:
        a = by_number.get(int(request.GET.get("a", "")))
        b = by_number.get(int(request.GET.get("b", "")))
    except ValueError:
        a = b = None
    if a is None or b is None:
        if len(versions) >= 2:
            b, a = versions[0], versions[1]
        else:
            a = b = None
    diff = diff_rows(a, b) if a is not None and b is not None and a != b else []
    published = item.published
    materials = (
        list(published.materials.select_related("blank_file", "example_file")) if published else []
    )
    return render(
        request,
        "catalogue/staff/item_detail.html",
        dict(
            item=item,
            published=published,
            materials=materials,
            versions=versions,
            pending=pending,
            a=a,
            b=b,
            diff=diff,
            may_edit=selectors.may_edit(user, item),
            may_publish=has_permission(user, "catalogue.publish"),
            user_id=user.pk,
        ),
    )


# --- drafting ---------------------------------------------------------------------------------


@require_POST
@staff_required("catalogue.edit")
def draft_new(request: HttpRequest, code: str) -> HttpResponse:
    item = _item(code)
    _require_edit(request, item)
    note = request.POST.get("change_note", "").strip()[:200] or "修订"
    try:
        draft = services.version_new_draft(item=item, actor=actor(request), change_note=note)
    except DomainError as exc:
        _error(request, exc)
        return redirect("catalogue:item", code=item.code)
    messages.success(request, f"已新建第 {draft.number} 版修订稿，请修改后提交审核。")
    return redirect("catalogue:version-edit", pk=draft.pk)


def _formsets(request: HttpRequest, data: dict[str, Any] | None) -> tuple[Any, Any, Any, Any]:
    post = request.POST if request.method == "POST" else None
    materials = MaterialFormSet(
        post,
        prefix="m",
        initial=[
            {k: v for k, v in m.items() if k != "blank_form"}
            for m in (data or {}).get("materials", [])
        ],
    )
    fees = FeeFormSet(post, prefix="f", initial=(data or {}).get("fees", []))
    faqs = FaqFormSet(post, prefix="q", initial=(data or {}).get("faqs", []))
    situations = SituationFormSet(
        post,
        prefix="s",
        initial=situation_rows((data or {}).get("situations", [])),
        form_kwargs={
            "materials": [(m["key"], m["name"]) for m in (data or {}).get("materials", [])]
        },
    )
    return materials, fees, faqs, situations


def _collect(
    form: VersionForm,
    materials: Any,
    fees: Any,
    faqs: Any,
    situations: Any,
    base: dict[str, Any],
) -> dict[str, Any] | None:
    formsets = [materials, fees, faqs, situations]
    if not all([form.is_valid(), *(f.is_valid() for f in formsets)]):
        return None
    data = form.apply_to(base)
    data["situations"] = situations_from(situations)
    data["materials"] = materials_from(materials, base.get("materials", []))
    data["fees"] = [
        {k: str(r.get(k) or "").strip() for k in ("name", "standard", "basis", "reduction")}
        for r in rows_from(fees, ("name", "standard"))
    ]
    data["faqs"] = [
        {"q": str(r.get("q") or "").strip(), "a": str(r.get("a") or "").strip()}
        for r in rows_from(faqs, ("q", "a"))
    ]
    # a removed material can no longer be referred to by a situation's option
    keys = {m["key"] for m in data["materials"]}
    for situation in data.get("situations") or []:
        for option in situation.get("options") or []:
            option["add"] = [k for k in option.get("add", []) if k in keys]
            option["remove"] = [k for k in option.get("remove", []) if k in keys]
    if not _check_option_limits(situations, data):
        return None
    return data


def _check_option_limits(situations: Any, data: dict[str, Any]) -> bool:
    """Each option row's own conditions and limits against the item's limits, the error next to
    the row's field (the services check them again, for every other way in)."""
    fine = True
    for row in situations.forms:
        cleaned = getattr(row, "cleaned_data", None) or {}
        if not cleaned or cleaned.get("DELETE"):
            continue
        for field, message in services.option_problems(option_effects(cleaned), data):
            row.add_error(field, message)
            fine = False
    return fine


def _show_problems(
    form: VersionForm, problems: Iterable[tuple[str | None, str]]
) -> list[tuple[str | None, str]]:
    """Put each problem on its field; return the ones about rows (materials, flow …)."""
    general = []
    for field, message in problems:
        if field in form.fields:
            form.add_error(field, message)
        else:
            general.append((field, message))
    return general


@staff_required("catalogue.edit")
def version_edit(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(pk)
    item = version.item
    _require_edit(request, item)
    if version.status != VS.DRAFT:
        messages.error(request, f"该版本当前为{version.get_status_display()}，只有草稿可以修改。")
        return redirect("catalogue:item", code=item.code)
    base = services.version_as_data(version)
    base["limit_unit"] = version.limit_unit
    base["change_note"] = version.change_note
    form = VersionForm(
        request.POST or None,
        initial=VersionForm.initial_from(base),
        department=item.department.code,
    )
    materials, fees, faqs, situations = _formsets(request, base)
    problems: list[tuple[str | None, str]] = []
    if request.method == "POST":
        data = _collect(form, materials, fees, faqs, situations, base)
        if data is not None:
            try:
                services.version_update(version=version, data=data, actor=actor(request))
            except services.VersionProblems as exc:
                problems = _show_problems(form, exc.problems)
            except DomainError as exc:
                problems = _show_problems(form, [(exc.field, exc.message)])
            else:
                messages.success(request, "草稿已保存。")
                return redirect("catalogue:version-edit", pk=version.pk)
    stored = {m.key: m for m in version.materials.select_related("blank_file", "example_file")}
    return render(
        request,
        "catalogue/staff/version_edit.html",
        dict(
            item=item,
            version=version,
            form=form,
            materials=materials,
            fees=fees,
            faqs=faqs,
            situations=situations,
            problems=problems,
            stored=stored,
            material_rows=[
                (f, stored.get(f.initial.get("key", "")) if f.initial else None)
                for f in materials.forms
            ],
        ),
    )


@staff_required("catalogue.edit")
def item_new(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    scopes = jurisdiction(user, permission="catalogue.edit")
    departments = Department.objects.select_related("region").order_by("code")
    allowed = [d.pk for d in departments if scopes.covers(d.region.path, d.pk)]
    departments = departments.filter(pk__in=allowed)
    head = NewItemForm(request.POST or None, departments=departments)
    defaults = {
        "kind": ItemKind.PUBLIC_SERVICE,
        "handling": Handling.PROMISED,
        "limit_unit": LimitUnit.WORKING_DAYS,
        "statutory_limit": 20,
        "promised_limit": 5,
        "visits": 1,
        "online_depth": OnlineDepth.PRE_REVIEW,
        "result_type": ResultType.OTHER,
        "levels": ["county"],
        "forms": ["window", "online"],
        "change_note": "新建",
        "complaint_phone": "12345",
    }
    form = VersionForm(request.POST or None, initial=defaults)
    materials, fees, faqs, situations = _formsets(request, None)
    problems: list[tuple[str | None, str]] = []
    if request.method == "POST":
        data = _collect(form, materials, fees, faqs, situations, {})
        if head.is_valid() and data is not None:
            department = head.cleaned_data["department"]
            data["code"] = head.cleaned_data["code"]
            data["department"] = department.code
            found = services.draft_problems(data)
            if found:
                problems = _show_problems(form, found)
            else:
                try:
                    draft = services.item_draft_from_data(
                        data=data, region=department.region, actor=user
                    )
                except DomainError as exc:
                    problems = _show_problems(form, [(exc.field, exc.message)])
                else:
                    messages.success(request, f"已新建事项 {draft.item.code} 的第 1 版草稿。")
                    return redirect("catalogue:version-edit", pk=draft.pk)
    return render(
        request,
        "catalogue/staff/item_new.html",
        dict(
            head=head,
            form=form,
            materials=materials,
            fees=fees,
            faqs=faqs,
            situations=situations,
            problems=problems,
            material_rows=[(f, None) for f in materials.forms],
        ),
    )


def _transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    version = _version(pk)
    try:
        if action == "review":
            services.version_review(version=version, actor=actor(request))
            messages.success(request, f"第 {version.number} 版已审核通过，可以发布。")
        else:
            services.version_publish(version=version, actor=actor(request))
            messages.success(request, f"第 {version.number} 版已发布，办事指南已更新。")
    except DomainError as exc:
        _error(request, exc)
    return redirect("catalogue:item", code=version.item.code)


@require_POST
@staff_required("catalogue.publish")
def version_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "review")


@require_POST
@staff_required("catalogue.publish")
def version_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "publish")


@require_POST
@staff_required("catalogue.edit")
def version_discard(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version(pk)
    _require_edit(request, version.item)
    try:
        item = services.version_discard(version=version, actor=actor(request))
    except DomainError as exc:
        _error(request, exc)
        return redirect("catalogue:item", code=version.item.code)
    messages.success(request, f"已放弃第 {version.number} 版修订稿。")
    if item is None:
        return redirect("catalogue:items")
    return redirect("catalogue:item", code=item.code)


# --- blank forms and examples -----------------------------------------------------------------


@require_POST
@staff_required("catalogue.edit")
def material_upload(request: HttpRequest, pk: int, material: int) -> HttpResponse:
    version = _version(pk)
    _require_edit(request, version.item)
    row = get_object_or_404(Material, pk=material, version=version)
    which = request.POST.get("which", "blank")
    label = "空白表格" if which == "blank" else "填写样例"
    upload = request.FILES.get("file")
    try:
        if request.POST.get("remove"):
            services.material_attach(
                version=version, material=row, which=which, stored=None, actor=actor(request)
            )
            messages.success(request, f"已删除“{row.name}”的{label}。")
        else:
            if upload is None:
                raise InvalidInput(f"请选择「{label}」文件。", field="file")
            with transaction.atomic():  # no StoredFile row left behind if attaching fails
                stored = file_services.store_upload(
                    upload=upload,
                    field="file",
                    label=label,
                    actor=actor(request),
                    allowed=FORM_UPLOAD_KINDS,
                )
                services.material_attach(
                    version=version,
                    material=row,
                    which=which,
                    stored=stored,
                    actor=actor(request),
                )
            messages.success(request, f"已上传“{row.name}”的{label}：{stored.original_name}。")
    except DomainError as exc:
        _error(request, exc)
    return redirect(reverse("catalogue:version-edit", kwargs={"pk": version.pk}) + "#materials")


def material_file(request: HttpRequest, material: int, which: str) -> HttpResponse:
    """A material's blank form or example: public for a published (or superseded) version, staff
    with `catalogue.view` for drafts."""
    row = get_object_or_404(
        Material.objects.select_related("version", "blank_file", "example_file"), pk=material
    )
    stored: StoredFile | None = row.blank_file if which == "blank" else row.example_file
    if stored is None or which not in ("blank", "example"):
        raise Http404("没有这个文件")
    if row.version.status not in (VS.PUBLISHED, VS.SUPERSEDED):
        user = request.user
        if not (
            user.is_authenticated
            and request_actor(request).kind == UserKind.STAFF
            and has_permission(request_actor(request), "catalogue.view")
        ):
            raise Http404("没有这个文件")
    try:
        return file_selectors.file_response(stored, as_attachment=True)
    except DomainError as exc:
        return render(
            request, "catalogue/staff/file_error.html", dict(message=exc.message), status=500
        )


# --- Excel ------------------------------------------------------------------------------------


@staff_required("catalogue.view")
def export(request: HttpRequest) -> HttpResponse:
    buffer = io.BytesIO()
    exchange.export_catalogue(buffer)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return xlsx_response(buffer.getvalue(), f"事项清单-{stamp}.xlsx")


def _pending_import(request: HttpRequest) -> StoredFile | None:
    """The workbook checked in the first step, kept as a StoredFile whose id and SHA-256 are in the
    session; `read_verified` checks the content again before the import."""
    kept = request.session.get(IMPORT_SESSION_KEY) or {}
    if not isinstance(kept.get("id"), int):
        return None
    return StoredFile.objects.filter(
        pk=kept["id"], sha256=str(kept.get("sha256", "")), uploaded_by=actor(request)
    ).first()


@staff_required("catalogue.import")
def import_page(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[exchange.ImportProblem] = []
    summary: dict[str, int] | None = None
    stored: StoredFile | None = None
    if request.method == "POST" and request.POST.get("step") == "confirm":
        stored = _pending_import(request)
        if stored is None:
            messages.error(request, "待导入的文件已失效，请重新上传并检查。")
            return redirect("catalogue:import")
        draft = bool(request.POST.get("draft"))
        try:
            content = file_selectors.read_verified(stored)
            with services.bulk_import():
                result = exchange.import_catalogue(
                    io.BytesIO(content), actor=user, publish=not draft
                )
        except exchange.ImportProblems as exc:
            problems = exc.problems
        except DomainError as exc:
            _error(request, exc)
        else:
            request.session.pop(IMPORT_SESSION_KEY, None)
            messages.success(
                request,
                f"导入完成：新建 {result.created} 个事项，更新 {result.updated} 个，未变 {result.unchanged} 个；"
                f"一件事保存 {result.bundles} 个，未变 {result.bundles_unchanged} 个"
                + ("（仅生成草稿，未发布）" if draft else "")
                + "。",
            )
            return redirect("catalogue:items")
    elif request.method == "POST" and form.is_valid():
        request.session.pop(IMPORT_SESSION_KEY, None)
        try:
            stored = file_services.store_upload(
                upload=form.cleaned_data["file"],
                field="file",
                label="事项清单文件",
                actor=user,
                allowed=("xlsx",),
            )
            items_read, bundles_read = exchange.read_catalogue(
                io.BytesIO(file_selectors.read_verified(stored))
            )
        except exchange.ImportProblems as exc:
            problems = exc.problems
        except DomainError as exc:
            form.add_error("file" if exc.field == "file" else None, exc.message)
            stored = None
        else:
            codes = [d["code"] for d in items_read]
            existing = set(Item.objects.filter(code__in=codes).values_list("code", flat=True))
            summary = dict(
                items=len(items_read),
                new=len(set(codes) - existing),
                existing=len(existing),
                bundles=len(bundles_read),
            )
            request.session[IMPORT_SESSION_KEY] = {"id": stored.pk, "sha256": stored.sha256}
    return render(
        request,
        "catalogue/staff/import.html",
        dict(form=form, problems=problems, summary=summary, stored=stored),
    )


# --- devolution and window authorisations ------------------------------------------------------


def _published_items() -> Any:
    return selectors.published_items()


@staff_required("catalogue.grant")
def devolutions(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    qs = Devolution.objects.select_related("item__published", "region").order_by(
        "recalled_on", "region__path", "item__code"
    )
    region_id = request.GET.get("region", "")
    item_code = request.GET.get("item", "").strip()[:12]
    show = request.GET.get("show", "active")
    if region_id.isdigit():
        region = Region.objects.filter(pk=int(region_id)).first()
        if region is not None:
            qs = qs.filter(region__path__startswith=region.path)
    if item_code:
        qs = qs.filter(item__code=item_code)
    if show == "active":
        qs = qs.filter(recalled_on__isnull=True)
    towns = Region.objects.filter(level__in=[RegionLevel.TOWN, RegionLevel.VILLAGE]).order_by(
        "path"
    )
    form = DevolutionForm(request.POST or None)
    form.fields["item"].queryset = _published_items()  # type: ignore[attr-defined]
    form.fields["regions"].queryset = towns  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        done: list[str] = []
        try:
            with transaction.atomic():
                for region in form.cleaned_data["regions"]:
                    grants.devolution_grant(
                        actor=user,
                        item=form.cleaned_data["item"],
                        region=region,
                        letter_no=form.cleaned_data["letter_no"],
                        scope=form.cleaned_data["scope"],
                        seal=form.cleaned_data["seal"],
                        responsible=form.cleaned_data["responsible"],
                        granted_on=form.cleaned_data["granted_on"],
                    )
                    done.append(region.name)
        except DomainError as exc:
            form.add_error(
                exc.field
                if exc.field in form.fields
                else ("regions" if exc.field == "region" else None),
                exc.message,
            )
        else:
            messages.success(request, f"已下沉至：{'、'.join(done)}。")
            return redirect("catalogue:devolutions")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = "&".join(
        f"{k}={v}" for k, v in (("region", region_id), ("item", item_code), ("show", show)) if v
    )
    return render(
        request,
        "catalogue/staff/devolutions.html",
        dict(
            page=page,
            form=form,
            towns=towns,
            region_id=region_id,
            item_code=item_code,
            show=show,
            query=query,
            recall=RecallForm(),
        ),
    )


@require_POST
@staff_required("catalogue.grant")
def devolution_recall(request: HttpRequest, pk: int) -> HttpResponse:
    devolution = get_object_or_404(Devolution, pk=pk)
    form = RecallForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写收回原因。")
        return redirect("catalogue:devolutions")
    try:
        grants.devolution_recall(
            actor=actor(request), devolution=devolution, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(request, f"已收回：{devolution}。")
    return redirect("catalogue:devolutions")


@staff_required("catalogue.grant")
def window_authorisations(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    windows = (
        Window.objects.select_related("service_point__region", "department")
        .filter(active=True)
        .order_by("service_point__region__path", "number")
    )
    window_id = request.GET.get("window", "")
    show = request.GET.get("show", "active")
    qs = WindowAuthorisation.objects.select_related(
        "window__service_point", "item__published"
    ).order_by("window__service_point__region__path", "window__number", "item__code")
    if window_id.isdigit():
        qs = qs.filter(window_id=int(window_id))
    if show == "active":
        qs = qs.filter(revoked_on__isnull=True)
    q = request.GET.get("q", "").strip()[:50]
    if q:
        qs = qs.filter(Q(item__code__icontains=q) | Q(item__published__name__icontains=q))
    form = WindowAuthorisationForm(request.POST or None, initial={"window": window_id or None})
    form.fields["window"].queryset = windows  # type: ignore[attr-defined]
    form.fields["item"].queryset = _published_items()  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            grant = grants.window_authorise(actor=user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"已授权：{grant}。")
            return redirect(f"{reverse('catalogue:windows')}?window={grant.window_id}")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in (("window", window_id), ("show", show), ("q", q)) if v)
    return render(
        request,
        "catalogue/staff/windows.html",
        dict(
            page=page,
            form=form,
            windows=windows,
            window_id=window_id,
            show=show,
            q=q,
            query=query,
            power_labels=grants.POWER_LABELS,
            revoke=RevokeForm(),
        ),
    )


@require_POST
@staff_required("catalogue.grant")
def window_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    authorisation = get_object_or_404(WindowAuthorisation, pk=pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写撤销原因。")
    else:
        try:
            grants.window_revoke(
                actor=actor(request),
                authorisation=authorisation,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            _error(request, exc)
        else:
            messages.success(request, f"已撤销：{authorisation}。")
    return redirect(f"{reverse('catalogue:windows')}?window={authorisation.window_id}")


# --- "one thing" bundles ----------------------------------------------------------------------


@staff_required("catalogue.view")
def bundles(request: HttpRequest) -> HttpResponse:
    rows = [(b, selectors.bundle_outline(b)) for b in selectors.bundles()]
    return render(
        request,
        "catalogue/staff/bundles.html",
        dict(rows=rows, may_edit=has_permission(actor(request), "catalogue.bundle")),
    )


@staff_required("catalogue.bundle")
def bundle_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """新建 (no code) or 修改 a bundle: its fields and its items by stage, saved in one go."""
    bundle = (
        get_object_or_404(
            selectors.bundles().prefetch_related("steps__item__department"), code=code
        )
        if code
        else None
    )
    initial: dict[str, Any] = {}
    steps: list[dict[str, Any]] = []
    if bundle is not None:
        data = services.bundle_as_data(bundle)
        initial = BundleForm.initial_from(data, bundle.updated_at.isoformat())
        steps = [
            {"stage": step.stage, "item": _item_label(step.item)} for step in bundle.steps.all()
        ]
    form = BundleForm(request.POST or None, initial=initial)
    if bundle is not None:
        form.fields["code"].disabled = True
    formset = BundleStepFormSet(request.POST or None, initial=steps, prefix="step")
    stage_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            saved = services.bundle_save(
                data=form.data_dict(stages_from(formset)),
                actor=actor(request),
                new=bundle is None,
                expected_updated=form.cleaned_data["updated"] if bundle else None,
            )
        except DomainError as exc:
            if exc.field == "order":
                stage_errors.append(exc.message)
            else:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"一件事“{saved.name}”已保存，网上办事大厅即时生效。")
            return redirect("catalogue:bundle", code=saved.code)
    return render(
        request,
        "catalogue/staff/bundle_edit.html",
        dict(
            bundle=bundle,
            outline=selectors.bundle_outline(bundle) if bundle else None,
            form=form,
            formset=formset,
            stage_errors=stage_errors,
            choices=[(i.code, _item_label(i)) for i in selectors.published_items()],
        ),
    )


@require_POST
@staff_required("catalogue.bundle")
def bundle_active(request: HttpRequest, code: str) -> HttpResponse:
    """停止办理 (with a reason) or 恢复办理."""
    active = request.POST.get("active") == "1"
    try:
        bundle = services.bundle_set_active(
            code=code, active=active, reason=request.POST.get("reason", ""), actor=actor(request)
        )
    except DomainError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            f"一件事“{bundle.name}”已{'恢复办理' if active else '停止办理，网上办事大厅不再提供'}。",
        )
    return redirect("catalogue:bundle", code=code)


def _item_label(item: Item) -> str:
    return f"{item.code} {item.published.name}" if item.published else item.code
