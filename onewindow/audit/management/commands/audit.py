"""`onewindow audit seal | verify | export`: the audit chain from the console.

  onewindow audit seal                       chain every committed entry still unsealed
  onewindow audit verify [--anchor SEQ:HASH] check the chain; exit status 1 on any corruption
  onewindow audit export --since 2026-01-01 --until 2026-01-31 --format csv --output log.csv

Run `audit seal` every minute or so (cron, systemd timer): sealing after each commit is best
effort, this is the backstop. Record the head that `audit verify` prints somewhere outside the
database (the daily report, a ticket); `--anchor` checks the chain against it later.
"""

from __future__ import annotations

import csv
import getpass
import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from onewindow.audit.chain import seal_pending, verify_chain
from onewindow.audit.selectors import audit_export_records, audit_export_rows, audit_search
from onewindow.audit.services import record_export
from onewindow.core.errors import DomainError

PROGRESS_FROM = 5000  # rows; smaller exports show no progress bar


def _anchor(text: str) -> tuple[int, str]:
    seq, sep, digest = text.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise CommandError(f"锚点格式应为 链序号:64位哈希，收到 {text!r}")
    return int(seq), digest.lower()


class Command(BaseCommand):
    help = "审计日志：封存（seal）、校验（verify）、导出（export）。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{seal,verify,export}"
        )
        seal = sub.add_parser("seal", help="把已提交、尚未封存的记录接入哈希链")
        seal.add_argument("--batch", type=int, default=1000, help="每个事务封存的条数")
        verify = sub.add_parser("verify", help="校验哈希链（不封存任何记录）；发现篡改时退出码为 1")
        verify.add_argument(
            "--stale-minutes", type=int, default=10, help="超过多少分钟仍未封存即提示（默认 10）"
        )
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="此前在库外留存的链头（可多次给出）",
        )
        export = sub.add_parser("export", help="导出审计日志（流式，适合大量数据）")
        export.add_argument("--since", help="起始日期或时间，如 2026-01-01")
        export.add_argument("--until", help="截止日期（含当天）或时间")
        export.add_argument("--format", dest="fmt", choices=["csv", "jsonl"], default="csv")
        export.add_argument("--output", required=True, help="输出文件路径")
        for name in ("actor_name", "action", "object_type", "object_id", "ip"):
            export.add_argument(f"--{name.replace('_', '-')}", dest=name)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['subcommand']}")(**options)

    def _seal(self, *, batch: int, **options: Any) -> None:
        count = seal_pending(wait=True, batch=batch)
        self.stdout.write(f"已封存 {count} 条审计记录")

    def _verify(self, *, stale_minutes: int, anchor: list[str], **options: Any) -> None:
        anchors = dict(_anchor(a) for a in anchor)
        report = verify_chain(stale_after=timedelta(minutes=stale_minutes), anchors=anchors)
        for problem in report.problems:
            self.stdout.write(self.style.ERROR(problem.message))
        if report.omitted:
            self.stdout.write(self.style.ERROR(f"……另有 {report.omitted} 处问题未列出"))
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(warning.message))
        if not report.ok:
            total = len(report.problems) + report.omitted
            raise CommandError(f"审计日志校验未通过：发现 {total} 处问题", returncode=1)
        pending = f"（另有 {report.pending} 条待封存）" if report.pending else ""
        self.stdout.write(self.style.SUCCESS(f"审计日志完整：共 {report.checked} 条{pending}"))
        self.stdout.write(f"链头：第 {report.head_seq} 条 {report.head_hash}")

    def _export(self, *, output: str, fmt: str, verbosity: int, **options: Any) -> None:
        filters = {
            k: options[k]
            for k in ("actor_name", "action", "object_type", "object_id", "ip", "since", "until")
            if options.get(k)
        }
        try:
            qs = audit_search(**filters).order_by("id")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        total = qs.count()
        bar = tqdm(
            total=total,
            desc="导出审计日志",
            unit="条",
            disable=verbosity == 0 or total < PROGRESS_FROM,
        )
        written = 0
        with bar:
            if fmt == "csv":
                # utf-8-sig writes the byte-order mark Excel needs to read Chinese.
                with open(output, "w", encoding="utf-8-sig", newline="") as fh:
                    writer = csv.writer(fh)
                    rows = audit_export_rows(qs)
                    writer.writerow(next(rows))
                    for row in rows:
                        writer.writerow(row)
                        written += 1
                        bar.update()
            else:
                with open(output, "w", encoding="utf-8") as fh:
                    for record in audit_export_records(qs):
                        fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
                        written += 1
                        bar.update()
        record_export(
            actor_name=f"命令行：{_os_user()}",
            role="console",
            summary=f"命令行导出审计日志 {written} 条（{fmt}）",
            filters=filters,
        )
        self.stdout.write(f"已导出 {written} 条审计记录到 {output}")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "未知"
