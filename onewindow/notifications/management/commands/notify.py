"""`onewindow notify retry | outbox`: messages from the console.

  onewindow notify retry                 send again the failed messages whose time has come
  onewindow notify outbox [--limit 20] [--status failed]   the most recent messages

Run `notify retry` every minute or so (cron, systemd timer): failed messages wait longer after
each failure (ONEWINDOW_NOTIFY_RETRY_SECONDS doubled each time) and stop after
ONEWINDOW_NOTIFY_MAX_ATTEMPTS attempts.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from onewindow.notifications import selectors, services
from onewindow.notifications.choices import MessageStatus
from onewindow.notifications.presentation import masked_address


class Command(BaseCommand):
    help = "消息通知：重试发送失败的消息（retry），查看最近的消息（outbox）。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{retry,outbox}")
        retry = sub.add_parser("retry", help="重试到期的发送失败消息")
        retry.add_argument("--batch", type=int, default=500, help="本次最多处理多少条")
        outbox = sub.add_parser("outbox", help="列出最近的消息（号码已脱敏）")
        outbox.add_argument("--limit", type=int, default=20)
        outbox.add_argument("--status", choices=MessageStatus.values)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "retry":
            sent = services.retry_due(batch=options["batch"])
            self.stdout.write(f"重试完成：本次发送成功 {sent} 条。")
            return
        rows = selectors.outbox(status=options.get("status") or "").order_by("-created_at", "-id")
        for m in rows[: options["limit"]]:
            self.stdout.write(
                f"{m.pk:>6}  {m.created_at:%Y-%m-%d %H:%M}  {m.channel:<5}  {m.status:<7}  "
                f"{m.attempts}次  {m.topic}  {masked_address(m.phone, m.email) or m.recipient or ''}"
                f"  {m.subject}" + (f"  错误：{m.last_error[:80]}" if m.last_error else "")
            )
