"""Persistent database connections: requests per second of a page that touches PostgreSQL, served
by gunicorn with production settings, with CONN_MAX_AGE=0 (a new connection per request, the
reference) and CONN_MAX_AGE=600 (production), in the same run.

    python bench/connections.py [--seconds 5] [--workers 2]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/onewindow_bench;
the database is created if missing). Uses `wrk` when installed (apt-get install wrk), otherwise a
Python keep-alive client, which is slower and says so.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/onewindow_bench")


def ensure_database() -> None:
    name = URL.rsplit("/", 1)[1]
    with psycopg.connect(URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(conn_max_age: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="onewindow.settings.production",
        DATABASE_URL=URL,
        ONEWINDOW_SECRET_KEY="bench-only-secret-key-not-used-anywhere-else-0123456789",
        ONEWINDOW_CONN_MAX_AGE=str(conn_max_age),
        ONEWINDOW_SECURE_COOKIES="false",
        ONEWINDOW_LOG_LEVEL="WARNING",
    )
    return env


def wait_ready(port: int) -> None:
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not become ready")


def python_load(port: int, seconds: float, clients: int) -> float:
    count = [0] * clients
    stop = time.perf_counter() + seconds

    def run(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        while time.perf_counter() < stop:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            count[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(count) / seconds


def wrk_load(port: int, seconds: float, clients: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", f"http://127.0.0.1:{port}/healthz"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match or "Non-2xx" in out:
        raise RuntimeError(out)
    return float(match.group(1))


def measure(conn_max_age: int, seconds: float, workers: int) -> float:
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "onewindow.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env_for(conn_max_age),
    )
    try:
        wait_ready(port)
        load = wrk_load if shutil.which("wrk") else python_load
        load(port, 1, 8)  # warm up
        return load(port, seconds, 8)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    ensure_database()
    subprocess.run([str(BIN / "onewindow"), "migrate", "-v0"], cwd=ROOT, env=env_for(0), check=True)
    client = "wrk" if shutil.which("wrk") else "python client (install wrk for higher figures)"
    fresh = measure(0, args.seconds, args.workers)
    kept = measure(600, args.seconds, args.workers)
    print(f"GET /healthz (SELECT 1), gunicorn {args.workers} workers, 8 connections, {client}")
    print(f"  new connection per request (CONN_MAX_AGE=0):  {fresh:8.0f} req/s")
    print(f"  persistent connections (CONN_MAX_AGE=600):    {kept:8.0f} req/s")
    print(f"  ratio persistent / new: {kept / fresh:.1f}x")


if __name__ == "__main__":
    main()
