"""`onewindow files orphans | missing`: keep the file storage and its rows in step.

  onewindow files orphans [--hours 24] [--delete]   files no row names (a rolled-back upload)
  onewindow files missing                           rows whose file is gone from storage

A file is written to storage before its transaction commits; when the transaction then rolls
back (the application was refused for another reason), the file stays without a row. Run
`files orphans --delete` daily (cron, systemd timer); `--hours` keeps files younger than that,
whose transaction may still be running.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from onewindow.files import selectors, services


class Command(BaseCommand):
    help = "文件存储：清理无记录的孤立文件（orphans），列出存储中缺失的文件（missing）。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{orphans,missing}")
        orphans = sub.add_parser("orphans", help="列出（或删除）没有文件记录的孤立文件")
        orphans.add_argument(
            "--hours", type=float, default=24, help="只处理超过这么多小时未改动的文件（默认 24）"
        )
        orphans.add_argument("--delete", action="store_true", help="删除找到的孤立文件")
        sub.add_parser("missing", help="列出存储中已找不到文件的记录")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "missing":
            lost = list(selectors.missing_files())
            for row in lost:
                self.stdout.write(f"{row.pk:>8}  {row.file.name}  {row.original_name}")
            self.stdout.write(f"共 {len(lost)} 个文件记录在存储中找不到文件。")
            if lost:
                raise CommandError("存储中缺少文件，请从备份恢复。")
            return
        if options["hours"] < 0:
            raise CommandError("--hours 不能为负数。")
        found = []
        listing = selectors.orphan_files(older_than=dt.timedelta(hours=options["hours"]))
        for path in tqdm(listing, desc="检查文件存储", unit="个", disable=None, file=self.stderr):
            found.append(path)
        if not options["delete"]:
            for path in found:
                self.stdout.write(str(path))
            self.stdout.write(f"找到 {len(found)} 个孤立文件；加 --delete 删除。")
            return
        with transaction.atomic():
            count = services.delete_orphans(paths=found)
        self.stdout.write(f"已删除 {count} 个孤立文件。")
