"""Writes to the catalogue: draft → reviewed → published versions, bundles.

Every function is keyword-only, runs in one transaction and writes its audit entry there. A
published version is never edited: `version_new_draft` copies it into a new draft.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from onewindow.accounts.permissions import admin_role
from onewindow.accounts.selectors import audit_role, has_permission
from onewindow.audit.services import audit_record
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed
from onewindow.org.models import Department, Region

from .choices import (
    BUSINESS_STAGES,
    FORMS,
    LEVELS,
    LIFE_EVENTS,
    Handling,
    ItemKind,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    OnlineDepth,
    ResultType,
    VersionStatus,
)
from .flows import default_flow, flow_problems
from .models import (
    Bundle,
    BundleItem,
    Faq,
    Fee,
    Item,
    ItemVersion,
    Material,
    Situation,
    SituationOption,
)
from .selectors import unit_text

SCALAR_FIELDS = (
    "name",
    "kind",
    "levels",
    "power_source",
    "content",
    "legal_basis",
    "conditions",
    "handling",
    "statutory_limit",
    "promised_limit",
    "limit_unit",
    "limit_note",
    "forms",
    "visits",
    "online_depth",
    "result_type",
    "result_name",
    "special_procedures",
    "intermediaries",
    "place",
    "hours",
    "phone",
    "complaint_phone",
    "life_events",
    "business_stages",
    "keywords",
    "flow",
)


def _problems(data: dict[str, Any]) -> list[str]:
    """Every rule a guide must satisfy, as messages a catalogue clerk understands."""
    name = data.get("name") or "（未命名事项）"
    out: list[str] = []

    def bad(message: str) -> None:
        out.append(f"{name}：{message}")

    if not str(data.get("code", "")).isdigit() or len(str(data.get("code", ""))) != 12:
        bad("基本编码应为 12 位数字。")
    if data.get("kind") not in ItemKind.values:
        bad("事项类型无效，应为行政许可、行政确认、公共服务等之一。")
    if data.get("handling") not in Handling.values:
        bad("办件类型应为即办件或承诺件。")
    if data.get("department") and data.get("department") in (data.get("co_departments") or []):
        bad("协办部门不能包括实施部门本身，请取消勾选实施部门。")
    statutory, promised = data.get("statutory_limit"), data.get("promised_limit")
    if (data.get("limit_unit") or LimitUnit.WORKING_DAYS) not in LimitUnit.values:
        bad("时限单位无效，应为工作日、自然日或工作小时。")
    unit = unit_text(data)  # “个工作日”, “个自然日”, “个工作小时” (工作日 when invalid)
    if (
        not isinstance(statutory, int)
        or not isinstance(promised, int)
        or statutory < 0
        or promised < 0
    ):
        bad(f"法定时限和承诺时限应为不小于 0 的整数（{unit.removeprefix('个')}）。")
    elif promised > statutory:
        bad(
            f"承诺时限 {promised} {unit}超过了法定时限 {statutory} {unit}，承诺时限不得长于法定时限。"
        )
    elif data.get("handling") == Handling.IMMEDIATE and promised != 0:
        bad("即办件的承诺时限应为 0（当场办结）。")
    elif data.get("handling") == Handling.PROMISED and promised == 0:
        bad("承诺件的承诺时限应大于 0；当场办结的请设为即办件。")
    if not set(data.get("levels") or []) <= {k for k, _ in LEVELS} or not data.get("levels"):
        bad("可办理层级应为县级、乡镇（街道）、村（社区）中的一个或几个。")
    if not set(data.get("forms") or []) <= {k for k, _ in FORMS}:
        bad("办理形式只能是窗口办理、网上办理、邮寄办理。")
    if data.get("online_depth") not in OnlineDepth.values:
        bad("网办深度无效。")
    if data.get("result_type") not in ResultType.values:
        bad("结果类型无效。")
    materials = data.get("materials") or []
    if not materials:
        bad("至少应有一项申请材料。")
    keys = [m.get("key") for m in materials]
    if len(keys) != len(set(keys)):
        bad("申请材料的标识有重复。")
    for m in materials:
        if (
            m.get("form") not in MaterialForm.values
            or m.get("source", "applicant") not in MaterialSource.values
        ):
            bad(f"材料“{m.get('name')}”的形式或来源无效。")
        if m.get("deficiency_ok") and not m.get("required", True):
            bad(f"材料“{m.get('name')}”不是必需材料，无需标为可容缺。")
    for situation in data.get("situations") or []:
        for option in situation.get("options") or []:
            for key in [*option.get("add", []), *option.get("remove", [])]:
                if key not in keys:
                    bad(
                        f"情形“{situation.get('question')}”的选项“{option.get('answer')}”引用了不存在的材料 {key}。"
                    )
            for _, message in option_problems(option, data):
                bad(f"情形“{situation.get('question')}”的选项“{option.get('answer')}”：{message}")
    if data.get("flow") and not out:
        departments = set(Department.objects.values_list("code", flat=True))
        for problem in flow_problems(
            data["flow"], promised_limit=promised or 0, departments=departments, unit=unit
        ):
            bad(f"办理流程：{problem}")
    return out


def option_problems(option: dict[str, Any], data: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with the conditions and time limits one situation option sets, as
    (field, message): field is the option's "conditions", "promised_limit" or "statutory_limit".
    Limits are in the version's unit; None keeps the item's own limit. The limits are compared
    only once the item's own are valid (their problems are reported on the item)."""
    out: list[tuple[str, str]] = []
    conditions = option.get("conditions") or []
    if not isinstance(conditions, list) or not all(
        isinstance(c, str) and c.strip() for c in conditions
    ):
        out.append(("conditions", "增加的受理条件应为文字，每行一条，不能有空行。"))
    promised, statutory = option.get("promised_limit"), option.get("statutory_limit")
    for field, value, label in (
        ("promised_limit", promised, "承诺时限"),
        ("statutory_limit", statutory, "法定时限"),
    ):
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            out.append((field, f"该情形的{label}应为不小于 0 的整数，与事项相同的请留空。"))
    item_statutory, item_promised = data.get("statutory_limit"), data.get("promised_limit")
    if out or not isinstance(item_statutory, int) or not isinstance(item_promised, int):
        return out
    unit = unit_text(data)
    if statutory is not None and statutory > item_statutory:
        out.append(
            (
                "statutory_limit",
                f"该情形的法定时限 {statutory} {unit}超过了事项的法定时限 {item_statutory} {unit}，"
                "情形的法定时限不得长于事项的法定时限。",
            )
        )
        return out
    ceiling = statutory if statutory is not None else item_statutory
    whose = "该情形" if statutory is not None else "事项"
    if promised is not None:
        if promised > ceiling:
            out.append(
                (
                    "promised_limit",
                    f"该情形的承诺时限 {promised} {unit}超过了{whose}的法定时限 {ceiling} {unit}，"
                    "承诺时限不得长于法定时限。",
                )
            )
        elif data.get("handling") == Handling.IMMEDIATE and promised != 0:
            out.append(("promised_limit", "即办件当场办结，该情形的承诺时限只能为 0 或留空。"))
        elif data.get("handling") == Handling.PROMISED and promised == 0:
            out.append(
                (
                    "promised_limit",
                    "承诺件的情形承诺时限应大于 0；该情形当场办结的，请把事项设为即办件。",
                )
            )
    elif statutory is not None and item_promised > statutory:
        out.append(
            (
                "promised_limit",
                f"该情形的法定时限 {statutory} {unit}短于事项的承诺时限 {item_promised} {unit}，"
                f"请同时填写该情形的承诺时限（不超过 {statutory} {unit}）。",
            )
        )
    return out


def _raise_if(problems: list[str], field: str | None = None) -> None:
    if problems:
        raise InvalidInput("；".join(problems), field=field)


FileIds = dict[str, tuple[int | None, int | None]]


def _material_files(version: ItemVersion | None) -> FileIds:
    """material key → (blank form file id, example file id): uploads follow the material key from
    one version to the next."""
    if version is None:
        return {}
    return {
        key: (blank, example)
        for key, blank, example in version.materials.values_list(
            "key", "blank_file_id", "example_file_id"
        )
    }


def _fill_version(version: ItemVersion, data: dict[str, Any], files: FileIds | None = None) -> None:
    """Create the version's children from `data` (the version is a fresh draft)."""
    for field in SCALAR_FIELDS:
        setattr(version, field, data.get(field, getattr(version, field)))
    if data.get("limit_unit") in LimitUnit.values:
        version.limit_unit = data["limit_unit"]
    version.save()
    files = files or {}
    codes = list(data.get("co_departments") or [])
    version.co_departments.set(Department.objects.filter(code__in=codes))
    by_key: dict[str, Material] = {}
    for order, m in enumerate(data.get("materials") or []):
        by_key[m["key"]] = Material.objects.create(
            version=version,
            order=order,
            key=m["key"],
            name=m["name"],
            required=m.get("required", True),
            deficiency_ok=m.get("deficiency_ok", False),
            situational=m.get("situational", False),
            form=m["form"],
            copies=m.get("copies", 1),
            source=m.get("source", MaterialSource.APPLICANT),
            standard=m.get("standard", ""),
            has_blank_form=m.get("blank_form", False),
            blank_file_id=files.get(m["key"], (None, None))[0],
            example_file_id=files.get(m["key"], (None, None))[1],
        )
    for order, f in enumerate(data.get("fees") or []):
        Fee.objects.create(
            version=version,
            order=order,
            name=f["name"],
            standard=f["standard"],
            basis=f.get("basis", ""),
            reduction=f.get("reduction", ""),
        )
    for order, q in enumerate(data.get("faqs") or []):
        Faq.objects.create(version=version, order=order, question=q["q"], answer=q["a"])
    for order, s in enumerate(data.get("situations") or []):
        situation = Situation.objects.create(
            version=version, order=order, key=s["key"], question=s["question"]
        )
        for o_order, o in enumerate(s.get("options") or []):
            option = SituationOption.objects.create(
                situation=situation,
                order=o_order,
                key=o["key"],
                answer=o["answer"],
                note=o.get("note", ""),
                conditions=list(o.get("conditions") or []),
                promised_limit=o.get("promised_limit"),
                statutory_limit=o.get("statutory_limit"),
            )
            option.adds.set([by_key[k] for k in o.get("add", [])])
            option.removes.set([by_key[k] for k in o.get("remove", [])])


def _department(code: str, field: str = "department") -> Department:
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise InvalidInput(f"找不到部门 {code}，请先在组织机构中建立该部门。", field=field)
    return department


def item_draft_from_data(*, data: dict[str, Any], region: Region, actor: Any) -> ItemVersion:
    """A new draft version of the item `data["code"]` (creating the item if new) from one guide
    written as a dict (the demo catalogue, the Excel import). Nothing is saved if any rule fails."""
    data = dict(data)
    if not data.get("flow") and data.get("handling") in Handling.values:
        data["flow"] = default_flow(
            handling=data["handling"],
            promised_limit=int(data.get("promised_limit") or 0),
            department=data.get("department", ""),
            co_departments=list(data.get("co_departments") or []),
        )
    _raise_if(_problems(data))
    department = _department(data["department"])
    with transaction.atomic():
        item, created = Item.objects.select_for_update().get_or_create(
            code=data["code"], defaults={"department": department, "region": region}
        )
        _check_edit(actor, item)
        if not created and item.department_id != department.pk:
            raise InvalidInput(
                f"事项 {item.code} 属于{item.department}，不能改到{department}。",
                field="department",
            )
        if item.versions.filter(status__in=[VersionStatus.DRAFT, VersionStatus.REVIEWED]).exists():
            raise InvalidTransition(f"事项 {data['name']} 已有未发布的修订稿，请先发布或删除它。")
        number = (
            item.versions.order_by("-number").values_list("number", flat=True).first() or 0
        ) + 1
        version = ItemVersion(
            item=item,
            number=number,
            created_by=actor,
            change_note=data.get("change_note", "新建" if created else "修订"),
        )
        latest = item.versions.order_by("-number").first()
        _fill_version(version, data, _material_files(latest))
        audit_record(
            action="catalogue.version.draft",
            actor=actor,
            role=audit_role(actor, "catalogue.edit", fallback=admin_role(actor)),
            obj=version,
            summary=f"{data['name']} 第 {number} 版草稿",
            after={"item": item.code, "number": number},
        )
    return version


def version_review(*, version: ItemVersion, actor: Any) -> ItemVersion:
    with transaction.atomic():
        version = ItemVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise InvalidTransition(
                f"只有草稿可以审核，该版本当前为{version.get_status_display()}。"
            )
        _check_separation(version, actor, "审核")
        _raise_if(_problems(version_as_data(version)))
        version.status = VersionStatus.REVIEWED
        version.reviewed_by = actor
        version.reviewed_at = timezone.now()
        version.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
        audit_record(
            action="catalogue.version.review",
            actor=actor,
            role=audit_role(actor, "catalogue.publish", fallback=admin_role(actor)),
            obj=version,
            summary=f"审核通过：{version}",
        )
    return version


def version_publish(*, version: ItemVersion, actor: Any) -> ItemVersion:
    """Publish a reviewed version; the one it replaces becomes superseded (kept, unchanged)."""
    with transaction.atomic():
        item = Item.objects.select_for_update().get(pk=version.item_id)
        version = ItemVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.REVIEWED:
            raise InvalidTransition(
                f"只有已审核的版本可以发布，该版本当前为{version.get_status_display()}。"
            )
        _check_separation(version, actor, "发布")
        previous = item.published
        if previous is not None:
            previous.status = VersionStatus.SUPERSEDED
            previous.save(update_fields=["status", "updated_at"])
        ItemVersion.objects.filter(pk=version.pk).update(
            status=VersionStatus.PUBLISHED,
            published_at=timezone.now(),
            published_by=actor,
            updated_at=timezone.now(),
        )
        item.published = version
        item.save(update_fields=["published", "updated_at"])
        version.refresh_from_db()
        audit_record(
            action="catalogue.version.publish",
            actor=actor,
            role=audit_role(actor, "catalogue.publish", fallback=admin_role(actor)),
            obj=version,
            summary=f"发布：{version.name} 第 {version.number} 版",
            before={"published": previous.number if previous else None},
            after={"published": version.number},
        )
    return version


def version_new_draft(*, item: Item, actor: Any, change_note: str = "修订") -> ItemVersion:
    """Start editing a published item: a new draft that copies the current version."""
    if item.published is None:
        raise InvalidTransition("该事项还没有发布的版本，请直接编辑草稿。")
    data = version_as_data(item.published)
    data["change_note"] = change_note
    data["limit_unit"] = item.published.limit_unit
    return item_draft_from_data(data=data, region=item.region, actor=actor)


def version_as_data(version: ItemVersion) -> dict[str, Any]:
    """The version as the dict `item_draft_from_data` takes (for copies, diffs and export)."""
    data: dict[str, Any] = {f: getattr(version, f) for f in SCALAR_FIELDS}
    data["code"] = version.item.code
    data["department"] = version.item.department.code
    data["co_departments"] = sorted(version.co_departments.values_list("code", flat=True))
    materials = list(version.materials.all())
    data["materials"] = [
        {
            "key": m.key,
            "name": m.name,
            "required": m.required,
            "deficiency_ok": m.deficiency_ok,
            "situational": m.situational,
            "form": m.form,
            "copies": m.copies,
            "source": m.source,
            "standard": m.standard,
            "blank_form": m.has_blank_form,
        }
        for m in materials
    ]
    data["fees"] = [
        {"name": f.name, "standard": f.standard, "basis": f.basis, "reduction": f.reduction}
        for f in version.fees.all()
    ]
    data["faqs"] = [{"q": q.question, "a": q.answer} for q in version.faqs.all()]
    data["situations"] = [
        {
            "key": s.key,
            "question": s.question,
            "options": [
                {
                    "key": o.key,
                    "answer": o.answer,
                    "note": o.note,
                    "add": sorted(m.key for m in o.adds.all()),
                    "remove": sorted(m.key for m in o.removes.all()),
                    "conditions": list(o.conditions or []),
                    "promised_limit": o.promised_limit,
                    "statutory_limit": o.statutory_limit,
                }
                for o in s.options.all()
            ],
        }
        for s in version.situations.prefetch_related("options__adds", "options__removes")
    ]
    return data


BUNDLE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,19}")
BUNDLE_TARGETS = dict(Bundle._meta.get_field("target").choices or [])
BUNDLE_MAX_LIMIT = 365
BUNDLE_THEMES = {
    "life_events": ("个人主题", LIFE_EVENTS),
    "business_stages": ("法人主题", BUSINESS_STAGES),
}


def bundle_as_data(bundle: Bundle) -> dict[str, Any]:
    """A bundle in the shape `bundle_save` takes (and the exchange workbook's 一件事 sheet)."""
    stages: dict[int, list[str]] = {}
    for step in bundle.steps.all():
        stages.setdefault(step.stage, []).append(step.item.code)
    return {
        "code": bundle.code,
        "name": bundle.name,
        "description": bundle.description,
        "target": bundle.target,
        "promised_limit": bundle.promised_limit,
        "order": [stages[n] for n in sorted(stages)],
        "shared_materials": list(bundle.shared_materials),
        "keywords": list(bundle.keywords),
        "life_events": list(bundle.life_events),
        "business_stages": list(bundle.business_stages),
    }


def bundle_check(data: dict[str, Any], *, known: set[str] | None = None) -> dict[str, Any]:
    """The bundle's fields checked and normalised; the first broken rule raises `InvalidInput`
    naming its field. `known`: the item codes that exist (a workbook being imported brings its
    own); by default the database is asked."""
    code = str(data.get("code") or "").strip()
    if not BUNDLE_CODE.fullmatch(code):
        raise InvalidInput(
            "一件事编码须为 1 至 20 位字母、数字、“-”或“_”，例如 YJS-003。", field="code"
        )
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("请填写一件事名称（不超过 100 字）。", field="name")
    target = data.get("target") or "person"
    if target not in BUNDLE_TARGETS:
        raise InvalidInput("服务对象须为“个人”或“企业”。", field="target")
    limit = data.get("promised_limit")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= BUNDLE_MAX_LIMIT:
        raise InvalidInput(
            f"一件事“{name}”的承诺办结时限须为 1 至 {BUNDLE_MAX_LIMIT} 个工作日。",
            field="promised_limit",
        )
    entries: dict[str, list[str]] = {}
    for key, label in (("shared_materials", "共用材料"), ("keywords", "常用说法")):
        values = [str(v).strip() for v in data.get(key) or [] if str(v).strip()]
        if any(len(v) > 100 for v in values):
            raise InvalidInput(f"{label}每项不超过 100 字。", field=key)
        entries[key] = values
    for key, (label, choices) in BUNDLE_THEMES.items():
        unknown = [v for v in data.get(key) or [] if v not in choices]
        if unknown:
            raise InvalidInput(
                f"{label}只能从“{'、'.join(choices.values())}”中选择，没有“{'、'.join(unknown)}”。",
                field=key,
            )
    stages: list[list[str]] = [list(stage) for stage in data.get("order") or []]
    codes = [code for stage in stages for code in stage]
    if not codes or any(not stage for stage in stages):
        raise InvalidInput(
            f"一件事“{name}”须按办理顺序列出事项，每个阶段至少一个事项。", field="order"
        )
    if known is None:
        known = set(Item.objects.filter(code__in=codes).values_list("code", flat=True))
    missing = sorted(set(codes) - known)
    if missing:
        raise InvalidInput(
            f"一件事“{name}”引用了不存在的事项：{'、'.join(missing)}。", field="order"
        )
    if len(codes) != len(set(codes)):
        raise InvalidInput(f"一件事“{name}”中有事项重复出现。", field="order")
    return {
        "code": code,
        "name": name,
        "description": str(data.get("description") or "").strip(),
        "target": target,
        "promised_limit": limit,
        "order": stages,
        **entries,
        "life_events": list(data.get("life_events") or []),
        "business_stages": list(data.get("business_stages") or []),
    }


def bundle_save(
    *,
    data: dict[str, Any],
    actor: Any,
    new: bool = False,
    expected_updated: Any = None,
) -> Bundle:
    """Create or replace a bundle: its items in stages (same stage: in parallel).

    `new`: the code must not be taken yet (the page's 新建). `expected_updated`: the bundle's
    `updated_at` when the editor loaded it; a bundle changed since is refused, not overwritten."""
    if actor is not None and not has_permission(actor, "catalogue.bundle"):
        raise NotAllowed("只有系统管理员可以编辑一件事。")
    clean = bundle_check(data)
    with transaction.atomic():
        existing = (
            Bundle.objects.select_for_update()
            .prefetch_related("steps__item")
            .filter(code=clean["code"])
            .first()
        )
        if new and existing is not None:
            raise InvalidInput(
                f"编码 {clean['code']} 已被一件事“{existing.name}”使用，请换一个。", field="code"
            )
        if expected_updated is not None and (
            existing is None or existing.updated_at != expected_updated
        ):
            raise InvalidTransition(
                f"一件事“{clean['name']}”刚刚已被他人修改，请刷新后再改。",
                code="revision_conflict",
            )
        before = bundle_as_data(existing) if existing is not None else None
        fields = {k: v for k, v in clean.items() if k not in ("code", "order")}
        if new:
            # no row to lock yet: two administrators creating the same code at once meet at the
            # unique index, and the second is told, not turned into an edit of the first's
            try:
                with transaction.atomic():
                    bundle = Bundle.objects.create(code=clean["code"], **fields)
            except IntegrityError:
                raise InvalidInput(
                    f"编码 {clean['code']} 刚刚已被另一件事使用，请换一个。", field="code"
                ) from None
        else:
            bundle, _ = Bundle.objects.update_or_create(code=clean["code"], defaults=fields)
        bundle.steps.all().delete()
        items = {
            i.code: i for i in Item.objects.filter(code__in=[c for s in clean["order"] for c in s])
        }
        BundleItem.objects.bulk_create(
            BundleItem(bundle=bundle, item=items[code], stage=n)
            for n, stage in enumerate(clean["order"], start=1)
            for code in stage
        )
        audit_record(
            action="catalogue.bundle.save",
            actor=actor,
            role=admin_role(actor),
            obj=bundle,
            summary=f"{'新建' if before is None else '修改'}一件事：{bundle.name}",
            before=before,
            after=clean,
        )
    return bundle


def bundle_set_active(
    *, code: str, active: bool, reason: str = "", actor: Any, restate: bool = False
) -> Bundle:
    """停止办理 (with a reason) or 恢复办理 a bundle. A stopped bundle leaves the hall and the
    search and takes no new application; those already submitted go on. `restate` (the workbook
    import): a stopped bundle stopped again with another reason takes the new reason; otherwise
    that is refused as a repeat, like any stop of a stopped bundle."""
    if actor is not None and not has_permission(actor, "catalogue.bundle"):
        raise NotAllowed("只有系统管理员可以停止或恢复办理一件事。")
    reason = reason.strip()
    if not active and not reason:
        raise InvalidInput("请填写停止办理的原因。", field="reason")
    if len(reason) > 200:
        raise InvalidInput("停止办理原因不超过 200 字。", field="reason")
    with transaction.atomic():
        bundle = Bundle.objects.select_for_update().filter(code=code).first()
        if bundle is None:
            raise InvalidInput(f"没有编码为 {code} 的一件事。", field="code")
        if bundle.active == active and (active or not restate or bundle.retire_reason == reason):
            raise InvalidTransition(
                f"一件事“{bundle.name}”{'已在办理' if active else '已停止办理'}，无需重复操作。"
            )
        before = {"active": bundle.active, "retire_reason": bundle.retire_reason}
        bundle.active = active
        bundle.retire_reason = "" if active else reason
        bundle.save(update_fields=["active", "retire_reason", "updated_at"])
        audit_record(
            action="catalogue.bundle.restore" if active else "catalogue.bundle.retire",
            actor=actor,
            role=admin_role(actor),
            obj=bundle,
            summary=f"{'恢复办理' if active else '停止办理'}一件事：{bundle.name}",
            before=before,
            after={"active": bundle.active, "retire_reason": bundle.retire_reason},
        )
    return bundle


# --- who may do what ------------------------------------------------------------------------

_separation_waived: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "catalogue_separation_waived", default=False
)


@contextlib.contextmanager
def bulk_import() -> Iterator[None]:
    """An Excel import by a `catalogue.import` holder drafts, reviews and publishes in one go under
    one name (as the command does); inside this block the four-eyes rule of `version_review` and
    `version_publish` is waived. The audit log still names the importer on every step."""
    token = _separation_waived.set(True)
    try:
        yield
    finally:
        _separation_waived.reset(token)


def _check_edit(actor: Any, item: Item) -> None:
    """A person may draft an item if a post of theirs that carries `catalogue.edit` covers the
    item's region and department (a department head: their own department's items)."""
    from .selectors import may_edit

    if actor is not None and not may_edit(actor, item):
        raise NotAllowed(
            f"您无权修改{item.department}的事项（{item.code}），只能修改本部门的事项。"
        )


def _check_separation(version: ItemVersion, actor: Any, what: str) -> None:
    """Four eyes: review and publication need `catalogue.publish` and someone other than the person
    who drafted or last edited the version."""
    if actor is None:
        return
    from onewindow.accounts.selectors import has_permission

    if not has_permission(actor, "catalogue.publish"):
        raise NotAllowed(f"您的岗位无权{what}事项版本。")
    if _separation_waived.get():
        return
    if actor.pk in (version.created_by_id, version.updated_by_id):
        raise NotAllowed(
            f"这一版本由您起草或修改，不能由您本人{what}。"
            f"请由另一位有{what}权限的工作人员{what}（审核与起草须分离）。",
            field="version",
        )


# --- editing a draft ------------------------------------------------------------------------

# the form field each rule's message belongs to (first match wins)
PROBLEM_FIELDS = (
    ("情形“", "situations"),  # a situation option's own rules (before the item's limit words)
    ("时限单位", "limit_unit"),
    ("基本编码", "code"),
    ("事项类型", "kind"),
    ("法定时限和承诺时限", "promised_limit"),
    ("承诺时限", "promised_limit"),
    ("办件类型", "handling"),
    ("可办理层级", "levels"),
    ("办理形式", "forms"),
    ("网办深度", "online_depth"),
    ("结果类型", "result_type"),
    ("办理流程", "flow"),
    ("情形", "situations"),
    ("材料", "materials"),
)


class VersionProblems(InvalidInput):
    """Every rule a draft breaks, each with the form field it is about."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        self.problems = problems
        super().__init__("；".join(m for _, m in problems), field=problems[0][0])


def _field_of(message: str) -> str | None:
    text = message.partition("：")[2] or message
    return next((field for word, field in PROBLEM_FIELDS if word in text), None)


def draft_problems(data: dict[str, Any]) -> list[tuple[str | None, str]]:
    """The guide rules plus what a form must have, as (field, message) pairs."""
    out: list[tuple[str | None, str]] = []
    for field, label in (("name", "事项名称"), ("result_name", "结果名称")):
        if not str(data.get(field) or "").strip():
            out.append((field, f"请填写{label}。"))
    for m in data.get("materials") or []:
        if not str(m.get("name") or "").strip():
            out.append(("materials", "申请材料的名称不能为空。"))
            break
    for message in _problems(data):
        out.append((_field_of(message), message.partition("：")[2] or message))
    return out


def version_update(*, version: ItemVersion, data: dict[str, Any], actor: Any) -> ItemVersion:
    """Replace a draft's content with `data` (the dict `version_as_data` gives, edited). Every
    rule is checked first; on any problem `VersionProblems` lists them all and nothing changes.
    Uploaded forms stay with their material key. Only a draft can be edited."""
    with transaction.atomic():
        version = (
            ItemVersion.objects.select_for_update()
            .select_related("item__department", "item__region")
            .get(pk=version.pk)
        )
        item = version.item
        _check_edit(actor, item)
        if version.status != VersionStatus.DRAFT:
            raise InvalidTransition(
                f"只有草稿可以修改，该版本当前为{version.get_status_display()}；"
                "如需修改已审核的版本，请放弃该修订稿后重新起草。"
            )
        before = version_as_data(version)
        data = dict(data, code=item.code, department=item.department.code)
        old_default = default_flow(
            handling=before["handling"],
            promised_limit=before["promised_limit"],
            department=before["department"],
            co_departments=before["co_departments"],
        )
        regenerate = not data.get("flow") or data.get("flow") == old_default
        if (
            regenerate
            and data.get("handling") in Handling.values
            and isinstance(data.get("promised_limit"), int)
        ):
            data["flow"] = default_flow(
                handling=data["handling"],
                promised_limit=data["promised_limit"],
                department=data["department"],
                co_departments=list(data.get("co_departments") or []),
            )
        problems = draft_problems(data)
        if problems:
            raise VersionProblems(problems)
        files = _material_files(version)
        Material.objects.filter(version=version).delete()
        Fee.objects.filter(version=version).delete()
        Faq.objects.filter(version=version).delete()
        Situation.objects.filter(version=version).delete()
        version.change_note = str(data.get("change_note") or version.change_note)[:200]
        version.updated_by = actor
        _fill_version(version, data, files)
        from .selectors import version_diff

        changed = [label for label, _, _ in version_diff(before, version_as_data(version))]
        audit_record(
            action="catalogue.version.update",
            actor=actor,
            role=audit_role(actor, "catalogue.edit", fallback=admin_role(actor)),
            obj=version,
            summary=f"修改草稿：{version.name} 第 {version.number} 版"
            + (f"（{'、'.join(dict.fromkeys(changed))}）" if changed else "（无变化）"),
        )
    return version


def version_discard(*, version: ItemVersion, actor: Any) -> Item | None:
    """放弃修订稿: delete an unpublished version (draft or reviewed). An item that was never
    published goes with its only draft; returns the item if it remains."""
    with transaction.atomic():
        version = ItemVersion.objects.select_for_update().select_related("item").get(pk=version.pk)
        item = version.item
        _check_edit(actor, item)
        if version.status not in (VersionStatus.DRAFT, VersionStatus.REVIEWED):
            raise InvalidTransition("已发布的版本不能删除。")
        audit_record(
            action="catalogue.version.discard",
            actor=actor,
            role=audit_role(actor, "catalogue.edit", fallback=admin_role(actor)),
            obj=version,
            summary=f"放弃修订稿：{version.name} 第 {version.number} 版",
            before={"item": item.code, "number": version.number, "status": version.status},
        )
        version.co_departments.clear()
        version.delete()
        if not item.versions.exists() and not item.bundles.exists():
            item.delete()
            return None
    return item


def material_attach(
    *, version: ItemVersion, material: Material, which: str, stored: Any, actor: Any
) -> Material:
    """Attach an uploaded file (`files.StoredFile`) to a draft's material as its blank form
    (`which="blank"`) or filled example (`which="example"`)."""
    with transaction.atomic():
        version = ItemVersion.objects.select_for_update().select_related("item").get(pk=version.pk)
        _check_edit(actor, version.item)
        if version.status != VersionStatus.DRAFT:
            raise InvalidTransition("只有草稿可以上传表格，请先新建修订稿。")
        if material.version_id != version.pk:
            raise InvalidInput("该材料不属于这一版本。", field="material")
        if which == "blank":
            material.blank_file = stored
            material.has_blank_form = stored is not None
            fields = ["blank_file", "has_blank_form"]
            label = "空白表格"
        elif which == "example":
            material.example_file = stored
            fields = ["example_file"]
            label = "填写样例"
        else:
            raise InvalidInput("只能上传空白表格或填写样例。", field="which")
        material.save(update_fields=fields)
        version.updated_by = actor
        version.save(update_fields=["updated_by", "updated_at"])
        audit_record(
            action="catalogue.material.file",
            actor=actor,
            role=audit_role(actor, "catalogue.edit", fallback=admin_role(actor)),
            obj=version,
            summary=f"{version.name} 第 {version.number} 版：材料“{material.name}”"
            + (f"上传{label}" if stored is not None else f"删除{label}"),
            after={"material": material.key, which: getattr(stored, "sha256", None)},
        )
    return material
