"""notify(): after commit only, once; failures retried with backoff, then dead."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.audit.models import AuditEntry
from onewindow.core.errors import InvalidInput
from onewindow.notifications import selectors, services
from onewindow.notifications.channels import DeliveryError, HttpSMSGateway
from onewindow.notifications.choices import MessageStatus
from onewindow.notifications.models import Message

pytestmark = pytest.mark.django_db

BACKENDS = {
    "sms": "onewindow.notifications.channels.OutboxSMS",
    "email": "onewindow.notifications.channels.DjangoEmail",
    "inbox": "onewindow.notifications.channels.Inbox",
}
FAILING = {**BACKENDS, "sms": "onewindow.notifications.tests.test_notify.FailingSMS"}


class FailingSMS:
    calls = 0

    def send(self, message: Message) -> None:
        FailingSMS.calls += 1
        raise ConnectionError("短信网关无响应")


@pytest.fixture
def applicant() -> User:
    return User.objects.get(kind="applicant", phone="13900000001")


def _delivers(callback: Any) -> bool:
    return getattr(callback, "func", None) is services.deliver_ids


def _notify(**kwargs: Any) -> list[Message]:
    defaults: dict[str, Any] = {
        "topic": "case.accepted",
        "subject": "您的申请已受理",
        "body": "您申请的食品经营许可已受理，受理编号 QX2026000001。",
        "link": "/me/",
    }
    return services.notify(**{**defaults, **kwargs})


def test_a_rolled_back_transaction_sends_nothing(
    applicant, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _notify(recipient=applicant, email="li@example.cn", channels=["inbox", "sms", "email"])
        raise RuntimeError("the caller's write failed")
    assert [c for c in callbacks if _delivers(c)] == []
    assert not Message.objects.exists()
    assert mail.outbox == []


def test_a_commit_delivers_each_channel_once(applicant, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = _notify(
            recipient=applicant, email="li@example.cn", channels=["inbox", "sms", "email"]
        )
        # nothing leaves before the commit
        assert {m.status for m in Message.objects.all()} == {MessageStatus.PENDING}
        assert mail.outbox == []
    assert len([c for c in callbacks if _delivers(c)]) == 1
    assert [m.channel for m in created] == ["inbox", "sms", "email"]
    assert {m.status for m in Message.objects.all()} == {MessageStatus.SENT}
    sms = Message.objects.get(channel="sms")
    assert sms.phone == applicant.phone and sms.attempts == 1 and sms.sent_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li@example.cn"]
    assert "/me/" in mail.outbox[0].body
    # delivering again (a second hook, the retry command) sends nothing more
    for m in created:
        services.deliver(m)
    assert services.retry_due(timezone.now() + timedelta(days=1)) == 0
    assert len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="notify.queue").count() == 1


def test_channels_without_an_address_are_skipped(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert _notify(channels=["inbox", "sms", "email"]) == []
        only_sms = _notify(phone="13900000009", channels=["inbox", "sms", "email"])
    assert [m.channel for m in only_sms] == ["sms"]
    assert len([c for c in callbacks if _delivers(c)]) == 1


@override_settings(ONEWINDOW_NOTIFY_CHANNELS=["inbox"])
def test_default_channels_come_from_settings(applicant) -> None:  # type: ignore[no-untyped-def]
    assert [m.channel for m in _notify(recipient=applicant)] == ["inbox"]


def test_bad_input_is_refused(applicant) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput):
        _notify(recipient=applicant, channels=["fax"])
    with pytest.raises(InvalidInput):
        _notify(recipient=applicant, link="javascript:alert(1)")
    with pytest.raises(InvalidInput):
        _notify(recipient=applicant, link="//evil.example/")


@override_settings(ONEWINDOW_NOTIFY_BACKENDS=FAILING, ONEWINDOW_NOTIFY_RETRY_SECONDS=60)
def test_a_failure_is_kept_retried_after_backoff_and_delivered(
    applicant, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        (sms,) = _notify(recipient=applicant, channels=["sms"])  # does not raise
    sms.refresh_from_db()
    assert sms.status == MessageStatus.FAILED and sms.attempts == 1
    assert "短信网关无响应" in sms.last_error
    assert sms.next_attempt_at is not None
    wait = sms.next_attempt_at - timezone.now()
    assert timedelta(seconds=55) < wait <= timedelta(seconds=60)
    # not yet due: nothing happens
    assert services.retry_due(timezone.now()) == 0
    # still failing when due: the wait doubles
    assert services.retry_due(timezone.now() + timedelta(seconds=61)) == 0
    sms.refresh_from_db()
    assert sms.attempts == 2 and sms.status == MessageStatus.FAILED
    assert sms.next_attempt_at - timezone.now() > timedelta(seconds=110)
    # the gateway is back
    with override_settings(ONEWINDOW_NOTIFY_BACKENDS=BACKENDS):
        assert services.retry_due(timezone.now() + timedelta(seconds=121)) == 1
    sms.refresh_from_db()
    assert sms.status == MessageStatus.SENT and sms.attempts == 3 and sms.next_attempt_at is None


@override_settings(ONEWINDOW_NOTIFY_BACKENDS=FAILING, ONEWINDOW_NOTIFY_MAX_ATTEMPTS=5)
def test_after_max_attempts_the_message_is_dead(
    applicant, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    FailingSMS.calls = 0
    with django_capture_on_commit_callbacks(execute=True):
        (sms,) = _notify(recipient=applicant, channels=["sms"])
    later = timezone.now()
    for _ in range(10):
        later += timedelta(days=1)
        services.retry_due(later)
    sms.refresh_from_db()
    assert sms.status == MessageStatus.DEAD and sms.attempts == 5 and FailingSMS.calls == 5
    assert sms.next_attempt_at is None and "短信网关无响应" in sms.last_error
    assert AuditEntry.objects.filter(action="notify.dead", object_id=str(sms.pk)).exists()


def test_a_pending_message_left_behind_is_picked_up(applicant) -> None:  # type: ignore[no-untyped-def]
    (sms,) = _notify(recipient=applicant, channels=["sms"])  # the on_commit hook never runs here
    assert services.retry_due(timezone.now()) == 0  # too fresh: its hook may still be coming
    assert services.retry_due(timezone.now() + timedelta(minutes=6)) == 1
    sms.refresh_from_db()
    assert sms.status == MessageStatus.SENT


class _Answer:
    def __init__(self, status: int) -> None:
        self.status = status

    def read(self, n: int) -> bytes:
        return b'{"ok": true}'

    def __enter__(self) -> _Answer:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@override_settings(
    ONEWINDOW_SMS_GATEWAY_URL="https://sms.example.cn/send",
    ONEWINDOW_SMS_GATEWAY_TOKEN="t0ken",
    ONEWINDOW_SMS_GATEWAY_TIMEOUT=3,
)
def test_http_gateway_posts_json_with_a_timeout(applicant) -> None:  # type: ignore[no-untyped-def]
    (sms,) = _notify(recipient=applicant, channels=["sms"])
    with mock.patch(
        "onewindow.notifications.channels.urlopen", return_value=_Answer(200)
    ) as urlopen:
        HttpSMSGateway().send(sms)
    request = urlopen.call_args.args[0]
    assert urlopen.call_args.kwargs["timeout"] == 3
    assert request.full_url == "https://sms.example.cn/send"
    assert request.get_header("Authorization") == "Bearer t0ken"
    payload = json.loads(request.data)
    assert payload["phone"] == applicant.phone and "QX2026000001" in payload["text"]
    with (
        mock.patch("onewindow.notifications.channels.urlopen", return_value=_Answer(503)),
        pytest.raises(DeliveryError),
    ):
        HttpSMSGateway().send(sms)


@override_settings(ONEWINDOW_SMS_GATEWAY_URL="")
def test_http_gateway_without_a_url_fails_cleanly(applicant) -> None:  # type: ignore[no-untyped-def]
    (sms,) = _notify(recipient=applicant, channels=["sms"])
    with (
        override_settings(
            ONEWINDOW_NOTIFY_BACKENDS={
                **BACKENDS,
                "sms": "onewindow.notifications.channels.HttpSMSGateway",
            }
        ),
        mock.patch("onewindow.notifications.channels.urlopen") as urlopen,
    ):
        services.deliver(sms)
    urlopen.assert_not_called()
    sms.refresh_from_db()
    assert sms.status == MessageStatus.FAILED and "ONEWINDOW_SMS_GATEWAY_URL" in sms.last_error


def test_outbox_puts_failed_and_dead_first(applicant) -> None:  # type: ignore[no-untyped-def]
    a, b, c = (_notify(recipient=applicant, channels=["inbox"])[0] for _ in range(3))
    Message.objects.filter(pk=a.pk).update(status=MessageStatus.DEAD)
    Message.objects.filter(pk=b.pk).update(status=MessageStatus.SENT)
    Message.objects.filter(pk=c.pk).update(status=MessageStatus.FAILED)
    assert [m.pk for m in selectors.outbox()][:3] == [a.pk, c.pk, b.pk]
    assert [m.pk for m in selectors.outbox(status="sent")] == [b.pk]


def test_console_commands(applicant, capsys) -> None:  # type: ignore[no-untyped-def]
    _notify(recipient=applicant, channels=["sms"])
    call_command("notify", "outbox", "--limit", "5")
    out = capsys.readouterr().out
    assert "139****0001" in out and "13900000001" not in out
    call_command("notify", "retry")
    assert "重试完成" in capsys.readouterr().out
