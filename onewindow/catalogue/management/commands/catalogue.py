"""`onewindow catalogue export | import`: the catalogue as an Excel workbook (see catalogue/exchange.py).

  onewindow catalogue export 事项清单.xlsx
  onewindow catalogue import 事项清单.xlsx [--draft]

Import checks the whole workbook first; on any problem it prints every one (sheet, row, column)
and exits with status 1 without importing anything.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from onewindow.catalogue import exchange

PROGRESS_FROM = 50  # items; smaller imports show no progress bar


class Command(BaseCommand):
    help = "事项清单 Excel 导出（export）与导入（import）。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{export,import}")
        export = sub.add_parser("export", help="导出全部已发布事项和一件事")
        export.add_argument("file", help="输出的 .xlsx 文件")
        imp = sub.add_parser("import", help="导入事项清单；有任何问题则不导入")
        imp.add_argument("file", help="要导入的 .xlsx 文件")
        imp.add_argument("--draft", action="store_true", help="只生成草稿，不审核发布")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "export":
            count = exchange.export_catalogue(options["file"])
            self.stdout.write(f"已导出 {count} 个事项到 {options['file']}")
            return
        self._import(options["file"], draft=options["draft"])

    def _import(self, path: str, *, draft: bool) -> None:
        try:
            items, bundles = exchange.read_catalogue(path)
        except exchange.ImportProblems as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"共 {len(error.problems)} 处问题，未导入任何内容。") from error
        bar = tqdm(
            total=len(items), unit="项", disable=len(items) <= PROGRESS_FROM, file=sys.stderr
        )
        try:
            result = exchange.write_catalogue(
                items,
                bundles,
                actor=None,
                publish=not draft,
                progress=lambda done: bar.update(done - bar.n),
            )
        finally:
            bar.close()
        self.stdout.write(
            f"新建 {result.created} 个事项，更新 {result.updated} 个，未变 {result.unchanged} 个；"
            f"一件事保存 {result.bundles} 个，未变 {result.bundles_unchanged} 个"
            + ("（仅生成草稿，未发布）" if draft else "")
        )
