"""`onewindow supervise`: one electronic-supervision sweep.

  onewindow supervise                  sweep as of today
  onewindow supervise --day 2026-11-30 sweep as of another day (the clock is simulated)
  onewindow supervise --chunk 1000     rows per chunk (each chunk is one transaction)

Run it from cron or a systemd timer a few times each working day. A second run on the same day
records and sends nothing new; a run after downtime catches up (it works from due dates and
today, not from the last run).
"""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.cases import clock
from onewindow.supervision import services


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--day “{value}”不是有效日期：请按 年-月-日 填写，例如 2026-11-30。"
        ) from None


class Command(BaseCommand):
    help = "电子监察巡查：记录时限预警和超期，按预警升级规则通知承办人、部门负责人和中心监察。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", type=_day, help="按哪一天巡查（默认今天），格式 2026-11-30")
        parser.add_argument("--chunk", type=int, default=services.CHUNK, help="每批处理的行数")
        parser.add_argument("--quiet", action="store_true", help="不显示进度")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["chunk"] < 1:
            raise CommandError("--chunk 应是正整数，例如 500。")
        day = options["day"] or clock.today()
        try:
            run_by = f"console:{getpass.getuser()}"
        except (KeyError, OSError):
            run_by = "console"
        bar: Any = None
        if not options["quiet"]:
            try:
                from tqdm import tqdm

                bar = tqdm(desc="电子监察巡查", unit="行", file=self.stderr._out)
            except ImportError:
                bar = None
        counted = 0

        def progress(n: int) -> None:
            nonlocal counted
            counted += n
            if bar is not None:
                bar.update(n)
            elif not options["quiet"]:
                self.stderr.write(f"\r已处理 {counted} 行", ending="")

        with clock.simulate(day):
            result = services.supervise(
                day=day, chunk_size=options["chunk"], run_by=run_by, progress=progress
            )
        if bar is not None:
            bar.close()
        self.stdout.write(
            f"巡查 {day} 完成：预警/超期时限 {result.clocks} 个，新记录 {result.alerts} 条，"
            f"新发升级通知 {result.notices} 条。"
        )
