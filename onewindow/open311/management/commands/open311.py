"""`onewindow open311 newkey NAME | list | disable NAME | enable NAME`: the Open311 API clients.

onewindow open311 newkey "青溪通 App"   a new client; its api_key is printed once, never again
onewindow open311 list                 clients, key prefixes, on or off
onewindow open311 disable "青溪通 App"  the key stops working at once
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.core.errors import DomainError
from onewindow.open311 import services
from onewindow.open311.models import Client


def _console() -> str:
    try:
        return f"控制台 {getpass.getuser()}"
    except (KeyError, OSError):
        return "控制台"


class Command(BaseCommand):
    help = "Open311 接口客户端：生成密钥（只显示一次）、列出、停用、启用。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{newkey,list,disable,enable}"
        )
        sub.add_parser("newkey", help="新建客户端并生成 api_key").add_argument("name")
        sub.add_parser("list", help="列出客户端")
        sub.add_parser("disable", help="停用客户端").add_argument("name")
        sub.add_parser("enable", help="启用客户端").add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["subcommand"]
        if action == "list":
            for row in Client.objects.order_by("name"):
                state = "启用" if row.active else "停用"
                self.stdout.write(f"{row.key_prefix}…  {state}  {row.name}")
            return
        name = options["name"]
        try:
            if action == "newkey":
                _client, key = services.client_create(name=name, actor_name=_console())
                self.stdout.write(f"客户端“{name}”的 api_key（只显示这一次，请妥善转交）：")
                self.stdout.write(key)
                return
            found = Client.objects.filter(name=name).first()
            if found is None:
                raise CommandError(f"没有名为“{name}”的客户端。")
            services.client_set_active(
                client_id=found.pk, active=action == "enable", actor_name=_console()
            )
            self.stdout.write(f"客户端“{name}”已{'启用' if action == 'enable' else '停用'}。")
        except DomainError as error:
            raise CommandError(error.message) from None
