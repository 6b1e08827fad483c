"""`onewindow demo`: load the demo county (idempotent). `--logins` prints the demo sign-ins."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from onewindow.audit.chain import seal_pending
from onewindow.core.demo_county import DEMO_PASSWORD, DemoBuilder


class Command(BaseCommand):
    help = "载入演示县（青溪县）的组织、人员、岗位和申请人；重复运行不会改变任何数据。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--logins", action="store_true", help="只打印演示账号")
        parser.add_argument(
            "--no-history", action="store_true", help="不生成一年的办件记录（只建组织、人员和事项）"
        )

    def handle(
        self, *args: Any, logins: bool = False, no_history: bool = False, **options: Any
    ) -> None:
        builder = DemoBuilder(history=not no_history)
        steps = list(builder.steps())
        if logins:
            builder.collect_logins()
        else:
            bar = tqdm(steps, desc="演示数据", unit="步", disable=options["verbosity"] == 0)
            # the demo's hundreds of outbox SMS would bury the progress bar; they are in the
            # outbox page (/workbench/messages/) all the same
            outbox = logging.getLogger("onewindow.notifications")
            level = outbox.level
            outbox.setLevel(logging.WARNING)
            try:
                for label, step in bar:
                    bar.set_postfix_str(label)
                    step()
            finally:
                outbox.setLevel(level)
            seal_pending()  # a command ends before the after-commit follow-up timer would fire
            self.stdout.write(
                f"演示县已就绪：本次新建 {builder.created} 项"
                if builder.created
                else "演示县已就绪：数据已存在，未做任何改动"
            )
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for login in builder.logins:
            self.stdout.write(f"  {login.username:<18} {login.name:<6} {login.what}")
        self.stdout.write("  管理员首次登录时按页面提示绑定身份验证器（TOTP）。")
        self.stdout.write(
            "  工作人员登录：/accounts/login/    群众登录：/accounts/applicant/login/"
        )
