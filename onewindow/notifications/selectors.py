"""Reads: one person's inbox, and the staff outbox."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from onewindow.accounts.models import User

from .choices import Channel, MessageStatus
from .models import Message


def inbox_for(user: User) -> QuerySet[Message]:
    """The user's own in-site messages, newest first."""
    return Message.objects.filter(recipient=user, channel=Channel.INBOX).order_by(
        "-created_at", "-id"
    )


def unread_count(user: User) -> int:
    return inbox_for(user).filter(read_at__isnull=True).count()


def outbox(*, status: str = "", topic: str = "", channel: str = "") -> QuerySet[Message]:
    """Every channel's messages for staff: failed and dead first (they need someone), then the
    newest. Unknown filter values match nothing rather than everything."""
    qs = Message.objects.select_related("recipient")
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if topic:
        qs = qs.filter(topic__startswith=topic)
    return qs.annotate(
        urgency=Case(
            When(status=MessageStatus.DEAD, then=Value(0)),
            When(status=MessageStatus.FAILED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("urgency", "-created_at", "-id")


def topics() -> list[str]:
    return list(Message.objects.order_by("topic").values_list("topic", flat=True).distinct())
