"""Many writers, no shared lock, one sealer: every entry sealed exactly once in a valid chain.

PostgreSQL only (SQLite has a single writer, so nothing runs concurrently there). These tests
commit for real (transaction=True); Django flushes the database afterwards (see
onewindow/audit/management/commands/flush.py for how that gets past the audit triggers).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection, connections, transaction

from onewindow.audit import services
from onewindow.audit.chain import seal_pending, verify_chain
from onewindow.audit.models import AuditChainHead, AuditEntry
from onewindow.audit.services import audit_record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS = 8
PER_WRITER = 30


def in_thread(target: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run)


def test_concurrent_writers_and_sealers(require_postgres: None) -> None:
    seal_pending()
    before = AuditEntry.objects.count()
    errors: list[BaseException] = []
    done = threading.Event()
    start = threading.Barrier(WRITERS + 1)

    def writer(n: int) -> Callable[[], None]:
        def write() -> None:
            close_old_connections()
            start.wait()
            for i in range(PER_WRITER):
                with transaction.atomic():  # on commit: seal_pending(wait=False)
                    audit_record(action="test.concurrent", object_id=f"{n}-{i}", summary="并发")
                    if i % 3 == 0:
                        time.sleep(
                            0.001
                        )  # hold the transaction open a moment: out-of-order commits

        return write

    def sealer() -> None:
        start.wait()
        while not done.is_set():
            seal_pending(wait=True, batch=50)

    threads = [in_thread(writer(n), errors) for n in range(WRITERS)]
    threads.append(in_thread(sealer, errors))
    for t in threads:
        t.start()
    for t in threads[:-1]:
        t.join(timeout=120)
    done.set()
    threads[-1].join(timeout=120)
    assert not errors, errors
    seal_pending()

    total = AuditEntry.objects.count()
    assert total == before + WRITERS * PER_WRITER
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 0
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))  # consecutive, each once (seq is also unique)
    assert AuditChainHead.objects.get().last_seq == total
    report = verify_chain()
    assert report.ok, report.problems[:5]
    assert report.checked == total


def test_commit_order_not_id_order(require_postgres: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lower id that commits later is chained later: the chain never waits or splices."""
    monkeypatch.setattr(services, "SEAL_INTERVAL", 0)
    seal_pending()
    errors: list[BaseException] = []
    inserted, release = threading.Event(), threading.Event()
    slow_id: list[int] = []

    def slow() -> None:
        with transaction.atomic():
            slow_id.append(audit_record(action="test.order", summary="先写后提交").pk)
            inserted.set()
            release.wait(timeout=30)

    t = in_thread(slow, errors)
    t.start()
    assert inserted.wait(timeout=30)
    with transaction.atomic():
        fast = audit_record(action="test.order", summary="后写先提交")
    # on_commit already sealed `fast`; the uncommitted slow row is invisible to the sealer
    fast.refresh_from_db()
    assert fast.seq is not None and fast.pk > slow_id[0]
    release.set()
    t.join(timeout=30)
    assert not errors, errors
    seal_pending()
    slow_entry = AuditEntry.objects.get(pk=slow_id[0])
    assert slow_entry.seq == fast.seq + 1
    assert slow_entry.prev_hash == fast.entry_hash
    assert verify_chain().ok


def test_a_busy_sealer_makes_others_skip(
    require_postgres: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "SEAL_INTERVAL", 0)
    seal_pending()
    audit_entries: list[int] = []
    errors: list[BaseException] = []
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with transaction.atomic():
            AuditChainHead.objects.select_for_update().get()
            locked.set()
            release.wait(timeout=30)

    t = in_thread(hold_lock, errors)
    t.start()
    assert locked.wait(timeout=30)
    started = time.monotonic()
    with transaction.atomic():
        audit_entries.append(audit_record(action="test.skip").pk)  # its on_commit seal skips
    assert seal_pending(wait=False) == 0
    assert time.monotonic() - started < 5  # nobody queued behind the lock
    assert AuditEntry.objects.get(pk=audit_entries[0]).seq is None
    release.set()
    t.join(timeout=30)
    assert not errors, errors
    assert seal_pending() == 1
    assert connection.vendor == "postgresql"


def test_the_tail_of_a_burst_is_sealed_without_a_further_write(
    require_postgres: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "SEAL_FOLLOWUP", True)
    monkeypatch.setattr(services, "SEAL_INTERVAL", 0.2)
    monkeypatch.setattr(services, "_last_seal", float("-inf"))
    for i in range(20):  # within one interval: all but the first pass are throttled
        with transaction.atomic():
            audit_record(action="test.burst", object_id=str(i), summary="突发")
    deadline = time.monotonic() + 5
    while AuditEntry.objects.filter(seq__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    assert verify_chain().ok
    timer = services._followup
    if timer is not None:
        timer.join(5)
