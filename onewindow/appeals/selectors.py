"""Reads about appeals: form choices, public tracking, a unit's queue."""

from __future__ import annotations

from django.db.models import QuerySet

from onewindow.accounts.models import User
from onewindow.accounts.selectors import jurisdiction
from onewindow.org.choices import RegionLevel
from onewindow.org.models import Department, Region

from .choices import DispatchState
from .models import Appeal, AppealEvent, Category, Dispatch

PUBLIC_ACTIONS = {
    "file": "已受理并派单",
    "sign": "承办单位已签收",
    "bounce": "承办单位退回指挥中心重新派单",
    "transfer": "已转办",
    "escalate": "已上报上一级",
    "remind": "超期催办",
    "supervise": "超期督办",
    "reply": "承办单位已答复",
    "reopen": "群众不满意，重新交办",
    "close": "已办结",
    "extension_request": "承办单位申请延期",
    "extension_decide": "指挥中心审批延期",
    "revisit": "指挥中心已回访",
}


def leaf_categories() -> list[tuple[str, list[Category]]]:
    groups: dict[int, tuple[str, list[Category]]] = {}
    for top in Category.objects.filter(parent__isnull=True):
        groups[top.pk] = (top.name, [])
    for leaf in Category.objects.filter(parent__isnull=False).order_by("code"):
        if leaf.parent_id in groups:
            groups[leaf.parent_id][1].append(leaf)
    return [g for g in groups.values() if g[1]]


def filing_regions() -> QuerySet[Region]:
    return (
        Region.objects.filter(level__in=[RegionLevel.TOWN, RegionLevel.VILLAGE])
        .select_related("parent")
        .order_by("path")
    )


def county_departments() -> QuerySet[Department]:
    return Department.objects.filter(region__level=RegionLevel.COUNTY).order_by("code")


def track(number: str, tail: str) -> Appeal | None:
    appeal = Appeal.objects.filter(number=number.strip()).first()
    if appeal is None or not appeal.callback_phone or appeal.callback_phone[-4:] != tail.strip():
        return None
    return appeal


def public_timeline(appeal: Appeal) -> list[tuple[object, str]]:
    """What the citizen sees: dates and steps, never staff names or internal notes."""
    events = AppealEvent.objects.filter(appeal=appeal).order_by("pk")
    return [(e.on, PUBLIC_ACTIONS.get(e.action, e.action)) for e in events]


def last_reply(appeal: Appeal) -> Dispatch | None:
    return (
        appeal.dispatches.filter(state=DispatchState.REPLIED)
        .select_related("region", "department")
        .order_by("-pk")
        .first()
    )


def unit_queue(actor: User) -> QuerySet[Dispatch]:
    """Open dispatches of the units the actor works in (the command centre: all)."""
    qs = Dispatch.objects.filter(state__in=[DispatchState.WAITING, DispatchState.SIGNED])
    centre = jurisdiction(actor, permission="appeal.dispatch")
    if not centre.scopes:
        own = jurisdiction(actor, permission="appeal.handle")
        paths = {(p, d) for p, d in own.scopes}
        from django.db.models import Q

        q = Q(pk__in=[])
        for path, department_id in paths:
            q |= Q(region__path=path, department_id=department_id)
        qs = qs.filter(q)
    return qs.select_related("appeal", "region", "department", "appeal__category").order_by(
        "sign_due", "pk"
    )


# ---------------------------------------------------------------- publication (public page)


def publishable() -> QuerySet[Appeal]:
    """Appeals the public page may show: the citizen agreed to publication, and the appeal is
    not a report (举报: it names a third party and the informant must stay protected, so it is
    never published, whatever the consent; anonymous appeals are reports too) nor a duplicate
    merged into another (并案: the master is the one answered, and listed when its citizen
    agreed)."""
    from .choices import Kind

    return Appeal.objects.filter(
        publish_consent=True, anonymous=False, merged_into__isnull=True
    ).exclude(kind=Kind.REPORT)


def published(
    *, category: str = "", kind: str = "", region: str = "", status: str = ""
) -> QuerySet[Appeal]:
    """The public list, newest first, filtered by top-level category code, kind, town (or
    village) division code and status; unknown filter values simply match nothing."""
    from django.db.models import Q

    qs = publishable().select_related("category__parent", "region__parent")
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        place = Region.objects.filter(code=region).values_list("path", flat=True).first()
        qs = qs.filter(region__path__startswith=place) if place else qs.none()
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-filed_on", "-pk")


def published_one(number: str) -> Appeal | None:
    return (
        publishable()
        .select_related("category__parent", "region__parent")
        .filter(number=(number or "").strip())
        .first()
    )


def top_categories() -> QuerySet[Category]:
    return Category.objects.filter(parent__isnull=True).order_by("code")


def towns() -> QuerySet[Region]:
    return Region.objects.filter(level=RegionLevel.TOWN).order_by("code")


# ---------------------------------------------------------------- the units' API


def unit_dispatches(actor: User) -> QuerySet[Dispatch]:
    """Every dispatch (open or closed) of the units the actor works in; the command centre's
    posts reach every dispatch inside their jurisdiction. `unit_queue` is the open part."""
    from django.db.models import Q

    centre = jurisdiction(actor, permission="appeal.dispatch")
    q = centre.q("region__path", "department_id")
    for path, department_id in jurisdiction(actor, permission="appeal.handle").scopes:
        q |= Q(region__path=path, department_id=department_id)
    return Dispatch.objects.filter(q).select_related(
        "appeal__category__parent", "appeal__region__parent", "region", "department"
    )


def final_reply(appeal: Appeal) -> Dispatch | None:
    """The lead unit's latest reply (the one the citizen was given; an assisting unit's part
    is internal)."""
    return (
        appeal.dispatches.filter(state=DispatchState.REPLIED, lead=True)
        .select_related("region", "department")
        .order_by("-pk")
        .first()
    )
