from django.db import models


class Channel(models.TextChoices):
    SMS = "sms", "短信"
    EMAIL = "email", "电子邮件"
    INBOX = "inbox", "站内消息"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败，等待重试"
    DEAD = "dead", "多次失败，已停止重试"


# A message in one of these is still owed a delivery attempt.
DELIVERABLE = frozenset({MessageStatus.PENDING, MessageStatus.FAILED})
# Staff may send one of these again by hand (重发).
RESENDABLE = frozenset({MessageStatus.FAILED, MessageStatus.DEAD})
