"""Devolution (下沉) of items to towns and villages, and window authorisations (窗口授权书).

A region's catalogue is what it may handle: at the county, every published item handled at county
level; in a town or village, the items devolved to it by a letter that has not been recalled (and
whose guide says that level may handle them). A window may accept an item only under an
authorisation that names the power.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from onewindow.accounts.permissions import admin_role
from onewindow.accounts.selectors import has_permission
from onewindow.audit.services import audit_record
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed
from onewindow.org.choices import RegionLevel
from onewindow.org.models import Region, Window

from .models import Devolution, Item, WindowAuthorisation
from .selectors import items_for_level, published_items

POWER_LABELS = dict(WindowAuthorisation.POWERS)


def _check(actor: Any) -> None:
    if actor is not None and not has_permission(actor, "catalogue.grant"):
        raise NotAllowed("只有系统管理员可以办理下沉授权和窗口授权。")


def _required(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"请填写{label}。", field=field)
    return value


def devolution_grant(
    *,
    actor: Any,
    item: Item,
    region: Region,
    letter_no: str,
    scope: str,
    seal: str,
    responsible: str,
    granted_on: dt.date | None = None,
) -> Devolution:
    _check(actor)
    if region.level not in (RegionLevel.TOWN, RegionLevel.VILLAGE):
        raise InvalidInput("事项只能下沉到乡镇（街道）或村（社区）。", field="region")
    if item.published is None:
        raise InvalidInput("该事项尚未发布，不能下沉。", field="item")
    if region.level not in item.published.levels:
        raise InvalidInput(
            f"“{item.published.name}”的办事指南未列明{region.get_level_display()}可以办理，"
            "请先修订指南的可办理层级。",
            field="region",
        )
    if not region.path.startswith(item.region.path):
        raise InvalidInput("承接区划不在该事项实施机关的辖区内。", field="region")
    letter_no = _required(letter_no, "letter_no", "授权书文号")
    with transaction.atomic():
        if Devolution.objects.filter(item=item, region=region, recalled_on__isnull=True).exists():
            raise InvalidInput(f"{region.name} 已经承接“{item.published.name}”。", field="region")
        grant = Devolution.objects.create(
            item=item,
            region=region,
            letter_no=letter_no,
            scope=_required(scope, "scope", "授权范围"),
            seal=_required(seal, "seal", "使用印章"),
            responsible=_required(responsible, "responsible", "责任人"),
            granted_on=granted_on or timezone.localdate(),
        )
        audit_record(
            action="catalogue.devolution.grant",
            actor=actor,
            role=admin_role(actor),
            obj=grant,
            summary=f"{item.published.name} 下沉至 {region.name}（{letter_no}）",
        )
    return grant


def devolution_recall(*, actor: Any, devolution: Devolution, reason: str) -> Devolution:
    _check(actor)
    reason = _required(reason, "reason", "收回原因")
    with transaction.atomic():
        devolution = Devolution.objects.select_for_update().get(pk=devolution.pk)
        if devolution.recalled_on is not None:
            raise InvalidTransition("该授权已经收回。")
        devolution.recalled_on = timezone.localdate()
        devolution.recall_reason = reason
        devolution.save(update_fields=["recalled_on", "recall_reason", "updated_at"])
        audit_record(
            action="catalogue.devolution.recall",
            actor=actor,
            role=admin_role(actor),
            obj=devolution,
            summary=f"收回下沉事项：{devolution}（{reason}）",
        )
    return devolution


def region_catalogue(region: Region) -> QuerySet[Item]:
    """The published items this region's service point may handle."""
    if region.level in (RegionLevel.TOWN, RegionLevel.VILLAGE):
        return published_items().filter(
            devolutions__region=region, devolutions__recalled_on__isnull=True
        )
    return items_for_level(region.level)


def window_authorise(
    *,
    actor: Any,
    window: Window,
    item: Item,
    powers: list[str],
    letter_no: str,
    seal: str,
    responsible: str,
    granted_on: dt.date | None = None,
) -> WindowAuthorisation:
    _check(actor)
    if not powers or not set(powers) <= set(POWER_LABELS):
        raise InvalidInput("请至少选择一项权限：受理、审批或出件。", field="powers")
    region = window.service_point.region
    if not region_catalogue(region).filter(pk=item.pk).exists():
        raise InvalidInput(
            f"{region.name} 的事项清单中没有该事项，不能授权给它的窗口。", field="item"
        )
    if (
        window.department_id
        and window.department_id != item.department_id
        and not (
            item.published
            and item.published.co_departments.filter(pk=window.department_id).exists()
        )
    ):
        raise InvalidInput("部门专窗只能受理本部门（或协办）的事项。", field="window")
    with transaction.atomic():
        if WindowAuthorisation.objects.filter(
            window=window, item=item, revoked_on__isnull=True
        ).exists():
            raise InvalidInput("该窗口已有此事项的有效授权，如需变更请先撤销。", field="item")
        grant = WindowAuthorisation.objects.create(
            window=window,
            item=item,
            powers=sorted(set(powers)),
            letter_no=_required(letter_no, "letter_no", "授权书文号"),
            seal=_required(seal, "seal", "使用印章"),
            responsible=_required(responsible, "responsible", "责任人"),
            granted_on=granted_on or timezone.localdate(),
        )
        audit_record(
            action="catalogue.window.authorise",
            actor=actor,
            role=admin_role(actor),
            obj=grant,
            summary=f"授权 {window} 办理 {item}：{'、'.join(POWER_LABELS[p] for p in grant.powers)}",
        )
    return grant


def window_revoke(
    *, actor: Any, authorisation: WindowAuthorisation, reason: str
) -> WindowAuthorisation:
    """Revoke a window's authorisation from today (kept in the list as revoked)."""
    _check(actor)
    reason = _required(reason, "reason", "撤销原因")
    with transaction.atomic():
        authorisation = WindowAuthorisation.objects.select_for_update().get(pk=authorisation.pk)
        if authorisation.revoked_on is not None:
            raise InvalidTransition("该窗口授权已经撤销。")
        authorisation.revoked_on = timezone.localdate()
        authorisation.save(update_fields=["revoked_on", "updated_at"])
        audit_record(
            action="catalogue.window.revoke",
            actor=actor,
            role=admin_role(actor),
            obj=authorisation,
            summary=f"撤销窗口授权：{authorisation}（{reason}）",
        )
    return authorisation


def window_may(window: Window, item: Item, power: str) -> bool:
    """Whether the window holds a live authorisation for `power` on the item (the counter and
    supervision ask this)."""
    return any(
        power in a.powers
        for a in WindowAuthorisation.objects.filter(
            window=window, item=item, revoked_on__isnull=True
        )
    )
