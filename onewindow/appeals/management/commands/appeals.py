"""`onewindow appeals sweep`: the automatic escalation of overdue appeals (催办 → 督办 → 提级).

  onewindow appeals sweep                   as of today
  onewindow appeals sweep --day 2026-03-06  as of another day (the clock is simulated)
  onewindow appeals sweep --chunk 1000      rows per chunk

Idempotent: a second run on the same day records nothing new; a run after downtime catches up.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.appeals import services
from onewindow.cases import clock


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--day “{value}”不是有效日期：请按 年-月-日 填写。") from None


class Command(BaseCommand):
    help = "民情直通车：超期诉求自动催办、督办、提级。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sweep"])
        parser.add_argument("--day", type=_day, help="按哪一天巡查（默认今天）")
        parser.add_argument("--chunk", type=int, default=services.CHUNK, help="每批处理的行数")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["chunk"] < 1:
            raise CommandError("--chunk 须是正整数。")
        day = options["day"] or clock.today()
        with clock.simulate(day):
            steps = services.sweep(on=day, chunk=options["chunk"])
        self.stdout.write(f"{day}：新增超期处置 {steps} 项。")
