"""What the PostgreSQL benchmarks share: their database made and given the demo county, and a
line describing the machine they ran on. Imported as `bench._db` after `django.setup()` (each
benchmark takes its own folder off sys.path, where calendar.py would shadow the standard
library's); `make bench` runs the scripts, not this module."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import subprocess
from pathlib import Path

import psycopg
from django.db import connection


def ensure_database(url: str) -> None:
    """Create the database `url` names when it does not exist yet (UTF-8, C collation)."""
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(
                f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0 "
                "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            )
            print(f"created database {name}")


def prepare_database() -> None:
    """Migrate, and load the demo county once."""
    from django.core.management import call_command

    from onewindow.core.demo_county import COUNTY_CODE
    from onewindow.org.models import Region

    call_command("migrate", verbosity=0, skip_checks=True)
    if not Region.objects.filter(code=COUNTY_CODE).exists():
        from onewindow.conftest import load_demo_county

        print("loading the demo county (about 20 s, once)")
        load_demo_county()


def machine() -> str:
    """CPUs, kernel, Python, the server's version and JIT setting, the load, the time."""
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0].split()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    return (
        f"{nproc or os.cpu_count()} CPU ({cpu}), Linux {platform.release()}, "
        f"Python {platform.python_version()}, PostgreSQL {server} (jit {jit}), "
        f"load average {os.getloadavg()[0]:.1f}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
