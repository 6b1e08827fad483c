"""Writes to the catalogue: draft → reviewed → published versions, bundles.

Every function is keyword-only, runs in one transaction and writes its audit entry there. A
published version is never edited: `version_new_draft` copies it into a new draft.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.accounts.permissions import admin_role
from onewindow.audit.services import audit_record
from onewindow.core.errors import InvalidInput, InvalidTransition
from onewindow.org.models import Department, Region

from .choices import (
    FORMS,
    LEVELS,
    Handling,
    ItemKind,
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
    statutory, promised = data.get("statutory_limit"), data.get("promised_limit")
    if (
        not isinstance(statutory, int)
        or not isinstance(promised, int)
        or statutory < 0
        or promised < 0
    ):
        bad("法定时限和承诺时限应为不小于 0 的整数（工作日）。")
    elif promised > statutory:
        bad(
            f"承诺时限 {promised} 个工作日超过了法定时限 {statutory} 个工作日，承诺时限不得长于法定时限。"
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
    if data.get("flow") and not out:
        departments = set(Department.objects.values_list("code", flat=True))
        for problem in flow_problems(
            data["flow"], promised_limit=promised or 0, departments=departments
        ):
            bad(f"办理流程：{problem}")
    return out


def _raise_if(problems: list[str], field: str | None = None) -> None:
    if problems:
        raise InvalidInput("；".join(problems), field=field)


def _fill_version(version: ItemVersion, data: dict[str, Any]) -> None:
    """Create the version's children from `data` (the version is a fresh draft)."""
    for field in SCALAR_FIELDS:
        setattr(version, field, data.get(field, getattr(version, field)))
    version.save()
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
        _fill_version(version, data)
        audit_record(
            action="catalogue.version.draft",
            actor=actor,
            role=admin_role(actor),
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
        _raise_if(_problems(version_as_data(version)))
        version.status = VersionStatus.REVIEWED
        version.save(update_fields=["status", "updated_at"])
        audit_record(
            action="catalogue.version.review",
            actor=actor,
            role=admin_role(actor),
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
            role=admin_role(actor),
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
                }
                for o in s.options.all()
            ],
        }
        for s in version.situations.prefetch_related("options__adds", "options__removes")
    ]
    return data


def bundle_save(*, data: dict[str, Any], actor: Any) -> Bundle:
    """Create or replace a bundle: its items in stages (same stage: in parallel)."""
    stages: list[list[str]] = data.get("order") or []
    codes = [code for stage in stages for code in stage]
    missing = sorted(
        set(codes) - set(Item.objects.filter(code__in=codes).values_list("code", flat=True))
    )
    if missing:
        raise InvalidInput(
            f"一件事“{data.get('name')}”引用了不存在的事项：{'、'.join(missing)}。", field="items"
        )
    if len(codes) != len(set(codes)):
        raise InvalidInput(f"一件事“{data.get('name')}”中有事项重复出现。", field="items")
    with transaction.atomic():
        bundle, _ = Bundle.objects.update_or_create(
            code=data["code"],
            defaults={
                "name": data["name"],
                "description": data.get("description", ""),
                "target": data.get("target", "person"),
                "promised_limit": data["promised_limit"],
                "shared_materials": data.get("shared_materials", []),
                "keywords": data.get("keywords", []),
                "life_events": data.get("life_events", []),
                "business_stages": data.get("business_stages", []),
            },
        )
        bundle.steps.all().delete()
        items = {i.code: i for i in Item.objects.filter(code__in=codes)}
        BundleItem.objects.bulk_create(
            BundleItem(bundle=bundle, item=items[code], stage=n)
            for n, stage in enumerate(stages, start=1)
            for code in stage
        )
        audit_record(
            action="catalogue.bundle.save",
            actor=actor,
            role=admin_role(actor),
            obj=bundle,
            summary=f"一件事：{bundle.name}",
            after={"stages": stages},
        )
    return bundle
