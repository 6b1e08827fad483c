"""`onewindow report --period month --on 2026-10-31`: generate a periodic assessment report
(日督查 day, 周回访 week, 月评议 month, 季考核 quarter) as PDF and Excel, kept and listed.

Without --on the period is the last complete one before today (yesterday, last week, last month,
last quarter), which is what the nightly cron line in docs/operations.md wants."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onewindow.audit.chain import seal_pending
from onewindow.cases import clock
from onewindow.core.errors import DomainError
from onewindow.org.models import Department, Region
from onewindow.stats.choices import REPORT_PERIODS
from onewindow.stats.periods import parse_period, period_of
from onewindow.stats.services import report_generate


class Command(BaseCommand):
    help = (
        "生成考核报告（日督查、周回访、月评议、季考核）：PDF 和 Excel，同一周期重复生成不会重复。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--period",
            required=True,
            choices=list(REPORT_PERIODS),
            help="day（日督查）、week（周回访）、month（月评议）、quarter（季考核）",
        )
        parser.add_argument("--on", help="周期内任一日（YYYY-MM-DD）；不填则为上一个完整周期")
        parser.add_argument("--region", help="区划代码（12 位）；不填则为区划树的根")
        parser.add_argument("--department", help="部门编码；不填则为全部部门")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["period"]
        today = clock.today()
        try:
            if options.get("on"):
                period = parse_period(kind=kind, on=options["on"], today=today)
            else:
                period = period_of(kind, period_of(kind, today).start - dt.timedelta(days=1))
        except DomainError as error:
            raise CommandError(error.message) from None
        if options.get("region"):
            regions = list(Region.objects.filter(code=options["region"]))
            if not regions:
                raise CommandError(f"区划代码（--region）“{options['region']}”不存在，请检查。")
        else:
            regions = list(Region.objects.filter(parent__isnull=True).order_by("code"))
            if not regions:
                raise CommandError("还没有任何区划，请先建立组织（onewindow demo 或系统管理）。")
        department = None
        if options.get("department"):
            department = Department.objects.filter(code=options["department"]).first()
            if department is None:
                raise CommandError(
                    f"部门编码（--department）“{options['department']}”不存在，请检查。"
                )
        for region in regions:
            try:
                report = report_generate(
                    period=period, region=region, department=department, actor=None
                )
            except DomainError as error:
                raise CommandError(error.message) from None
            if options["verbosity"] > 0:
                self.stdout.write(
                    f"已生成：{report.title}（{period.start} 至 {period.end}，第 {report.revision} 次）"
                )
        seal_pending()
