"""Channel backends: how a message leaves the building. Chosen per channel by dotted path in
settings.ONEWINDOW_NOTIFY_BACKENDS; each is a class whose `send(message)` returns on success and
raises on failure (the caller records the error and retries later)."""

from __future__ import annotations

import json
import logging
from functools import cache
from typing import Protocol
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from onewindow.core.personal import mask_phone

from .models import Message

log = logging.getLogger(__name__)


class ChannelBackend(Protocol):
    def send(self, message: Message) -> None: ...


class DeliveryError(Exception):
    """The channel refused the message (the text is kept as the message's last error)."""


def message_text(message: Message) -> str:
    """The text of an SMS or an e-mail: the body, then the link if there is one."""
    return f"{message.body}\n{message.link}" if message.link else message.body


class OutboxSMS:
    """The demo's gateway: the SMS is recorded as sent in the outbox (the Message row) and
    logged with the number masked. A real deployment configures `HttpSMSGateway`."""

    def send(self, message: Message) -> None:
        if not message.phone:
            raise DeliveryError("没有手机号码。")
        log.info("短信（发件箱）→ %s：%s", mask_phone(message.phone), message.subject)


class HttpSMSGateway:
    """Posts the SMS as JSON to settings.ONEWINDOW_SMS_GATEWAY_URL:

        {"id": 17, "phone": "13900000001", "sign": "青溪县政务服务中心",
         "text": "…", "topic": "case.accepted"}

    with `Authorization: Bearer <ONEWINDOW_SMS_GATEWAY_TOKEN>` when a token is set, and waits at
    most ONEWINDOW_SMS_GATEWAY_TIMEOUT seconds. Any 2xx answer is success; anything else (or no
    answer) raises and the message is retried."""

    def send(self, message: Message) -> None:
        url = settings.ONEWINDOW_SMS_GATEWAY_URL
        if urlsplit(url).scheme not in ("http", "https"):
            raise DeliveryError(
                "短信网关地址未配置或不是 http(s) 地址（ONEWINDOW_SMS_GATEWAY_URL）。"
            )
        if not message.phone:
            raise DeliveryError("没有手机号码。")
        payload = {
            "id": message.pk,
            "phone": message.phone,
            "sign": settings.ONEWINDOW_CENTRE_NAME,
            "text": message_text(message),
            "topic": message.topic,
        }
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if settings.ONEWINDOW_SMS_GATEWAY_TOKEN:
            headers["Authorization"] = f"Bearer {settings.ONEWINDOW_SMS_GATEWAY_TOKEN}"
        request = Request(  # noqa: S310 (the scheme is checked above)
            url, data=json.dumps(payload, ensure_ascii=False).encode(), headers=headers
        )
        with urlopen(request, timeout=settings.ONEWINDOW_SMS_GATEWAY_TIMEOUT) as response:  # noqa: S310
            status = response.status
            answer = response.read(500).decode("utf-8", "replace")
        if not 200 <= status < 300:
            raise DeliveryError(f"短信网关返回 HTTP {status}：{answer}")


class DjangoEmail:
    """Sends through Django's mail (settings.EMAIL_BACKEND: console in development, SMTP in
    production, locmem in tests)."""

    def send(self, message: Message) -> None:
        if not message.email:
            raise DeliveryError("没有电子邮箱。")
        send_mail(
            subject=message.subject,
            message=message_text(message),
            from_email=None,  # settings.DEFAULT_FROM_EMAIL
            recipient_list=[message.email],
            fail_silently=False,
        )


class Inbox:
    """The in-site inbox reads Message rows: delivering one is marking it sent."""

    def send(self, message: Message) -> None:
        if message.recipient_id is None:
            raise DeliveryError("站内消息没有接收人。")


@cache
def _backend_class(path: str) -> type[ChannelBackend]:
    return import_string(path)


def backend_for(channel: str) -> ChannelBackend:
    path = settings.ONEWINDOW_NOTIFY_BACKENDS.get(channel)
    if not path:
        raise DeliveryError(f"渠道 {channel} 没有配置发送方式（ONEWINDOW_NOTIFY_BACKENDS）。")
    return _backend_class(path)()
