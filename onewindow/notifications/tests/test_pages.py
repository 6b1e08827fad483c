"""The applicant's inbox and the staff outbox: who sees what."""

from __future__ import annotations

import pytest
from django.test import Client

from onewindow.accounts.choices import UserKind
from onewindow.accounts.models import User
from onewindow.conftest import login_client
from onewindow.notifications import services
from onewindow.notifications.choices import MessageStatus
from onewindow.notifications.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_inboxes() -> tuple[Message, Message]:
    mine = User.objects.get(kind="applicant", phone="13900000001")
    other = User.objects.filter(kind=UserKind.APPLICANT).exclude(pk=mine.pk).first()
    assert other is not None
    (a,) = services.notify(
        topic="case.accepted",
        subject="给我的消息",
        body="您的申请已受理。",
        recipient=mine,
        channels=["inbox"],
    )
    (b,) = services.notify(
        topic="case.accepted",
        subject="给别人的消息",
        body="别人的申请已受理。",
        recipient=other,
        channels=["inbox"],
    )
    return a, b


def test_inbox_shows_only_ones_own_messages(two_inboxes) -> None:  # type: ignore[no-untyped-def]
    client = login_client("13900000001")
    page = client.get("/me/messages/").content.decode()
    assert "给我的消息" in page and "给别人的消息" not in page
    assert "1 条未读" in client.get("/me/").content.decode()


def test_inbox_mark_read_only_ones_own(two_inboxes) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = two_inboxes
    client = login_client("13900000001")
    response = client.post(f"/me/messages/{theirs.pk}/read/")
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(f"/me/messages/{mine.pk}/read/")
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert "没有未读消息" in client.get("/me/messages/").content.decode()


def test_inbox_needs_an_applicant_sign_in() -> None:
    response = Client().get("/me/messages/")
    assert response.status_code == 302 and "/accounts/applicant/login/" in response["Location"]
    assert login_client("zc01").get("/me/messages/").status_code == 302


@pytest.mark.parametrize(
    ("username", "status"),
    [("zc01", 403), ("shenji", 403), ("13900000001", 403), ("jiancha", 200), ("xitong", 200)],
)
def test_outbox_permissions(username: str, status: int) -> None:
    client = login_client(username)
    assert client.get("/workbench/messages/").status_code == status


def test_outbox_needs_a_sign_in() -> None:
    response = Client().get("/workbench/messages/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_outbox_masks_numbers_and_offers_resend_to_the_sysadmin(two_inboxes) -> None:  # type: ignore[no-untyped-def]
    (sms,) = services.notify(
        topic="case.rejected",
        subject="补正通知",
        body="请补正材料。",
        phone="13900000001",
        channels=["sms"],
    )
    Message.objects.filter(pk=sms.pk).update(status=MessageStatus.DEAD, last_error="网关拒绝")
    supervisor = login_client("jiancha").get("/workbench/messages/").content.decode()
    assert "139****0001" in supervisor and "13900000001" not in supervisor
    assert "网关拒绝" in supervisor and "重发" not in supervisor.split("<tbody>")[1]
    assert "消息发送" in supervisor  # the menu entry
    admin = login_client("xitong").get("/workbench/messages/?status=dead").content.decode()
    assert f"/workbench/messages/{sms.pk}/resend/" in admin
    assert "给我的消息" not in admin  # filtered to dead ones


def test_resend(two_inboxes, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    (sms,) = services.notify(
        topic="case.rejected",
        subject="补正通知",
        body="请补正材料。",
        phone="13900000001",
        channels=["sms"],
    )
    Message.objects.filter(pk=sms.pk).update(status=MessageStatus.DEAD, attempts=5)
    assert login_client("jiancha").post(f"/workbench/messages/{sms.pk}/resend/").status_code == 403
    client = login_client("xitong")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/workbench/messages/{sms.pk}/resend/", {"status": "dead"})
    assert (
        response.status_code == 302 and response["Location"] == "/workbench/messages/?status=dead"
    )
    sms.refresh_from_db()
    assert sms.status == MessageStatus.SENT and sms.attempts == 6
    # a sent message cannot be resent
    response = client.post(f"/workbench/messages/{sms.pk}/resend/", follow=True)
    assert "只有发送失败或已停止重试的消息可以重发" in response.content.decode()


def test_list_pages_take_a_fixed_number_of_queries(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    me = User.objects.get(kind=UserKind.APPLICANT, phone="13900000001")
    for i in range(30):
        services.notify(
            topic=f"case.t{i % 3}",
            subject=f"消息 {i}",
            body="正文",
            recipient=me,
            channels=["inbox", "sms"],
        )
    staff, applicant = login_client("xitong"), login_client("13900000001")
    with django_assert_max_num_queries(20):
        assert staff.get("/workbench/messages/").status_code == 200
    with django_assert_max_num_queries(12):
        assert applicant.get("/me/messages/").status_code == 200
