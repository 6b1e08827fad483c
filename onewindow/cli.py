"""The `onewindow` console command: Django's management commands under one name.

onewindow migrate | onewindow demo | onewindow createsuperuser | onewindow audit verify …
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.dev")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["onewindow", *argv])
    args[0] = "onewindow"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
