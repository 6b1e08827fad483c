"""Reads for the handling pages: the co-handling fan-out of an appeal, the outcome a merged
appeal shares with its master, and the timeline with the steps added for merging and
co-handling (the first slice's `selectors.PUBLIC_ACTIONS` plus these)."""

from __future__ import annotations

from django.db.models import QuerySet

from . import selectors
from .choices import DispatchState
from .models import Appeal, AppealEvent, Dispatch

ACTIONS = {
    **selectors.PUBLIC_ACTIONS,
    "merge": "与同一问题的诉求合并办理",
    "merge_in": "同一问题的诉求并入本件合并办理",
    "assist_add": "增加协办单位",
    "assist_reply": "协办单位已反馈",
    "assist_bounce": "协办单位退回",
}


def master_of(appeal: Appeal) -> Appeal:
    """The appeal whose outcome `appeal` shares: its master when merged, else itself."""
    if appeal.merged_into_id is None:
        return appeal
    return Appeal.objects.select_related("region").get(pk=appeal.merged_into_id)


def outcome_reply(appeal: Appeal) -> Dispatch | None:
    """The reply the citizen sees: the lead unit's last one, the master's for a merged appeal."""
    return (
        Dispatch.objects.filter(appeal=master_of(appeal), state=DispatchState.REPLIED, lead=True)
        .select_related("region", "department")
        .order_by("-closed_on", "-pk")
        .first()
    )


def timeline(appeal: Appeal) -> list[tuple[object, str]]:
    """What the citizen sees: dates and steps, never staff names or internal notes."""
    events = AppealEvent.objects.filter(appeal=appeal).order_by("pk")
    return [(e.on, ACTIONS.get(e.action, e.action)) for e in events]


def staff_timeline(appeal: Appeal) -> QuerySet[AppealEvent]:
    """The handling units' view: every step with its note and who did it."""
    return AppealEvent.objects.filter(appeal=appeal).select_related("actor").order_by("pk")


def fan_out(appeal: Appeal) -> list[Dispatch]:
    """Every unit's turn with the appeal, lead first then assisting, oldest first."""
    return list(appeal.dispatches.select_related("region", "department").order_by("-lead", "pk"))


def outstanding(appeal: Appeal) -> list[Dispatch]:
    """Assisting units that have not yet answered."""
    return [
        d
        for d in fan_out(appeal)
        if not d.lead and d.state in (DispatchState.WAITING, DispatchState.SIGNED)
    ]


def merged_into_this(appeal: Appeal) -> QuerySet[Appeal]:
    return Appeal.objects.filter(merged_into=appeal).order_by("pk")


def open_turn(appeal: Appeal) -> Dispatch | None:
    """An open dispatch of `appeal` (the lead's first), for a link to its handling page."""
    return (
        appeal.dispatches.filter(state__in=[DispatchState.WAITING, DispatchState.SIGNED])
        .order_by("-lead", "pk")
        .first()
    )
