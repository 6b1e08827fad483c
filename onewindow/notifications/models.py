"""Messages to applicants and staff: one row per message per channel. The rows are the outbox
(what was sent, to whom, how it went) and, for the inbox channel, the in-site inbox itself."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from onewindow.core.personal import PersonalDataField

from .choices import Channel, MessageStatus


class Message(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        verbose_name="接收人",
    )
    phone = PersonalDataField("手机号码", kind="phone", blank=True)
    email = models.EmailField("电子邮箱", blank=True)
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices)
    topic = models.CharField("消息类别", max_length=64, help_text="如 case.accepted")
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    link = models.CharField("链接", max_length=500, blank=True)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_id = models.CharField("关联对象编号", max_length=64, blank=True)
    status = models.CharField(
        "状态", max_length=8, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    last_error = models.TextField("最近一次错误", blank=True)
    next_attempt_at = models.DateTimeField("下次重试时间", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_status_next"),
            models.Index(fields=["recipient", "channel", "-created_at"], name="notify_inbox"),
            # the messages about one object (a case's invitation is sent once: looked up here)
            models.Index(fields=["content_type", "object_id", "topic"], name="notify_object"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}：{self.subject}"
