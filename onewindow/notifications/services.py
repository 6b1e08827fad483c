"""Writes: queue messages inside the caller's transaction, deliver them after it commits,
retry the failed ones with exponential backoff, resend by hand, mark inbox messages read.

    notify(topic="case.accepted", subject="您的申请已受理", body="…", recipient=user,
           link="/me/cases/17/", obj=case)

Nothing is delivered before the caller's transaction commits, and nothing at all if it rolls
back. Delivery never raises into the request: a failure is recorded on the message
(status failed, last_error, next_attempt_at) and `onewindow notify retry` tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from onewindow.accounts.choices import UserKind
from onewindow.accounts.models import User
from onewindow.accounts.selectors import has_permission, held_roles
from onewindow.audit.services import audit_record
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from onewindow.core.personal import mask_phone

from .channels import backend_for
from .choices import DELIVERABLE, RESENDABLE, Channel, MessageStatus
from .models import Message

log = logging.getLogger(__name__)

# A pending message whose after-commit delivery never ran (the process died) is picked up by
# retry_due once it is this old.
PENDING_GRACE = timedelta(minutes=5)
# The longest wait between two attempts, however many have failed.
MAX_BACKOFF = timedelta(hours=6)


def notify(
    *,
    topic: str,
    subject: str,
    body: str,
    recipient: User | None = None,
    phone: str = "",
    email: str = "",
    link: str = "",
    obj: models.Model | None = None,
    channels: Iterable[str] | None = None,
) -> list[Message]:
    """Queue one message per channel and deliver them after the caller's transaction commits.

    `channels` defaults to settings.ONEWINDOW_NOTIFY_CHANNELS. `phone` and `email` default to
    the recipient's. A channel without an address is skipped: sms without a phone, email without
    an e-mail address, inbox without a recipient. Returns the messages created (maybe none)."""
    wanted = list(
        dict.fromkeys(settings.ONEWINDOW_NOTIFY_CHANNELS if channels is None else channels)
    )
    unknown = [c for c in wanted if c not in Channel.values]
    if unknown:
        raise InvalidInput(f"未知的消息渠道：{'、'.join(unknown)}。", field="channels")
    if not topic or not subject:
        raise InvalidInput("消息类别和标题不能为空。", field="subject")
    if link and (link.startswith("//") or not link.startswith(("/", "https://", "http://"))):
        raise InvalidInput("链接须是站内路径或 http(s) 地址。", field="link")
    if recipient is not None:
        phone = phone or recipient.phone or ""
        email = email or recipient.email or ""
    address = {Channel.SMS: phone, Channel.EMAIL: email, Channel.INBOX: recipient}
    content_type = ContentType.objects.get_for_model(obj) if obj is not None else None
    with transaction.atomic(savepoint=False):
        created = Message.objects.bulk_create(
            Message(
                recipient=recipient,
                phone=phone,
                email=email,
                channel=channel,
                topic=topic[:64],
                subject=subject[:200],
                body=body,
                link=link[:500],
                content_type=content_type,
                object_id=str(obj.pk) if obj is not None else "",
            )
            for channel in wanted
            if address[Channel(channel)]
        )
        if not created:
            return []
        audit_record(
            action="notify.queue",
            role="system",
            obj=obj,
            summary=f"消息 {topic}：{subject[:60]}",
            after={
                "messages": [m.pk for m in created],
                "channels": [m.channel for m in created],
                "recipient": recipient.pk if recipient is not None else None,
                "phone": mask_phone(phone),
            },
        )
        transaction.on_commit(partial(deliver_ids, [m.pk for m in created]), robust=True)
    return created


def deliver_ids(ids: list[int]) -> None:
    """After-commit hook: deliver the messages of one notification together, in one transaction
    (each still succeeds or fails on its own); never raises (a request has already answered).
    A message left pending by an error here is picked up by `retry_due`."""
    try:
        with transaction.atomic():
            locked = list(
                Message.objects.select_for_update()
                .filter(pk__in=ids, status__in=DELIVERABLE)
                .order_by("pk")
            )
            now = timezone.now()
            sent = []
            for message in locked:
                _attempt(message, now)
                if message.status == MessageStatus.SENT and message.attempts == 1:
                    sent.append(message.pk)
                else:
                    message.save(update_fields=_ATTEMPT_FIELDS)
            if sent:  # the usual case, in one statement
                Message.objects.filter(pk__in=sent).update(
                    attempts=1,
                    last_error="",
                    status=MessageStatus.SENT,
                    next_attempt_at=None,
                    sent_at=now,
                )
    except Exception:
        log.exception("消息 %s 发送过程出错，留待 onewindow notify retry 重试", ids)


def _backoff(attempts: int) -> timedelta:
    base = timedelta(seconds=settings.ONEWINDOW_NOTIFY_RETRY_SECONDS)
    return min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


_ATTEMPT_FIELDS = ["attempts", "last_error", "status", "next_attempt_at", "sent_at"]


def _attempt(message: Message, now: datetime) -> None:
    """One try through the channel's backend, recorded on the (locked) message, not saved."""
    try:
        backend_for(message.channel).send(message)
    except Exception as exc:
        message.attempts += 1
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= settings.ONEWINDOW_NOTIFY_MAX_ATTEMPTS:
            message.status = MessageStatus.DEAD
            message.next_attempt_at = None
            audit_record(
                action="notify.dead",
                role="system",
                obj=message,
                summary=f"消息 {message.topic}（{message.get_channel_display()}）"
                f"尝试 {message.attempts} 次均失败，已停止重试",
            )
            log.error("消息 %s 已停止重试：%s", message.pk, message.last_error)
        else:
            message.status = MessageStatus.FAILED
            message.next_attempt_at = now + _backoff(message.attempts)
            log.warning("消息 %s 发送失败（第 %s 次）：%s", message.pk, message.attempts, exc)
    else:
        message.attempts += 1
        message.status = MessageStatus.SENT
        message.sent_at = now
        message.next_attempt_at = None


def deliver(message: Message) -> Message:
    """Send one message through its channel's backend, once. A message already sent or dead is
    left alone. On failure: the error is kept, attempts += 1, the next attempt is scheduled
    (exponential backoff), and after ONEWINDOW_NOTIFY_MAX_ATTEMPTS the message is dead.

    The row is locked while it is sent, so the after-commit delivery, `notify retry` and a
    staff resend never send the same message twice. The backend's exceptions do not propagate."""
    with transaction.atomic():
        locked = Message.objects.select_for_update().filter(pk=message.pk).first()
        if locked is None or locked.status not in DELIVERABLE:
            return locked or message
        _attempt(locked, timezone.now())
        locked.save(update_fields=_ATTEMPT_FIELDS)
    return locked


def retry_due(now: datetime | None = None, *, batch: int = 500) -> int:
    """Deliver the failed messages whose next attempt is due (and pending ones left behind by a
    process that died before delivering). Returns how many were sent this time."""
    now = now or timezone.now()
    due = list(
        Message.objects.filter(
            Q(status=MessageStatus.FAILED, next_attempt_at__lte=now)
            | Q(status=MessageStatus.PENDING, created_at__lte=now - PENDING_GRACE)
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:batch]
    )
    sent = 0
    for pk in due:
        message = Message.objects.filter(pk=pk).first()
        if message is None:
            continue
        try:
            if deliver(message).status == MessageStatus.SENT:
                sent += 1
        except Exception:
            log.exception("重试消息 %s 出错", pk)
    return sent


def resend(*, message: Message, actor: User) -> Message:
    """A failed or dead message sent again by hand (重发): queued as pending and delivered after
    the commit, one more attempt however many came before."""
    if not has_permission(actor, "notify.retry"):
        raise NotAllowed("您的岗位无权重发消息。")
    with transaction.atomic():
        locked = Message.objects.select_for_update().filter(pk=message.pk).first()
        if locked is None:
            raise NotFound("没有这条消息。")
        if locked.status not in RESENDABLE:
            raise InvalidTransition(
                f"只有发送失败或已停止重试的消息可以重发，该消息{locked.get_status_display()}。"
            )
        before = locked.status
        locked.status = MessageStatus.PENDING
        locked.next_attempt_at = None
        locked.save(update_fields=["status", "next_attempt_at"])
        audit_record(
            action="notify.resend",
            actor=actor,
            role=",".join(sorted(held_roles(actor))),
            obj=locked,
            summary=f"重发消息 {locked.topic}（{locked.get_channel_display()}）",
            before={"status": before, "attempts": locked.attempts},
        )
        transaction.on_commit(partial(deliver_ids, [locked.pk]), robust=True)
    return locked


def mark_read(*, message_id: int, actor: User) -> Message:
    """The recipient marks one of their inbox messages read (again is a no-op)."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(pk=message_id, recipient=actor, channel=Channel.INBOX)
            .first()
        )
        if message is None:
            raise NotFound("没有这条消息。")
        if message.read_at is None:
            message.read_at = timezone.now()
            message.save(update_fields=["read_at"])
            audit_record(
                action="notify.read",
                actor=actor,
                role="applicant" if actor.kind == UserKind.APPLICANT else "",
                obj=message,
                summary=f"阅读站内消息：{message.subject[:60]}",
            )
    return message
