"""Sealing builds a valid chain; verify finds every kind of tampering and says where."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.utils import timezone

from onewindow.audit import chain as chain_module
from onewindow.audit.chain import (
    canonical_bytes,
    entry_digest,
    seal_pending,
    verify_chain,
)
from onewindow.audit.models import GENESIS_HASH, AuditChainHead, AuditEntry

from .conftest import guard_off, record, sealed, sql

pytestmark = pytest.mark.django_db


def kinds(report: chain_module.VerifyReport) -> list[str]:
    return [p.kind for p in report.problems]


def test_record_and_seal_make_a_valid_chain(chain: list[AuditEntry]) -> None:
    seqs = [e.seq for e in chain]
    assert seqs == list(range(seqs[0], seqs[0] + 5))  # type: ignore[operator]
    for before, entry in itertools.pairwise(chain):
        assert entry.prev_hash == before.entry_hash
    first = AuditEntry.objects.get(seq=1)
    assert first.prev_hash == GENESIS_HASH
    assert all(e.sealed_at is not None and len(e.entry_hash) == 64 for e in chain)
    head = AuditChainHead.objects.get()
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None and (head.last_seq, head.last_hash) == (last.seq, last.entry_hash)
    report = verify_chain()
    assert report.ok, report.problems
    assert report.checked == AuditEntry.objects.filter(seq__isnull=False).count()
    assert (report.head_seq, report.head_hash) == (head.last_seq, head.last_hash)


def test_hash_is_sha256_over_sorted_json_of_every_content_field(chain: list[AuditEntry]) -> None:
    import hashlib
    import json

    entry = chain[2]
    row = AuditEntry.objects.filter(pk=entry.pk).values(*chain_module.HASHED_FIELDS).get()
    data = json.loads(canonical_bytes(row))
    assert list(data) == sorted(data)
    assert set(data) == {
        "id",
        "occurred_at",
        "actor_id",
        "actor_name",
        "role",
        "ip",
        "action",
        "object_type",
        "object_id",
        "summary",
        "changes",
        "seq",
        "prev_hash",
    }
    assert data["occurred_at"].endswith("Z") and data["seq"] == entry.seq
    assert data["changes"] == {"after": {"n": 2, "状态": "新"}, "before": {"状态": "旧"}}
    assert entry.entry_hash == hashlib.sha256(canonical_bytes(row)).hexdigest()
    assert entry.entry_hash == entry_digest(row)


def test_sealing_twice_changes_nothing(chain: list[AuditEntry]) -> None:
    def snapshot() -> list[tuple[object, ...]]:
        return list(
            AuditEntry.objects.order_by("id").values_list(
                "id", "seq", "prev_hash", "entry_hash", "sealed_at"
            )
        )

    head = AuditChainHead.objects.values_list("last_seq", "last_hash").get()
    before = snapshot()
    assert seal_pending() == 0
    assert seal_pending(wait=False) == 0
    assert snapshot() == before
    assert AuditChainHead.objects.values_list("last_seq", "last_hash").get() == head


def test_seal_in_small_batches_continues_the_chain(db: None) -> None:
    seal_pending()
    record(7, action="test.batch")
    assert seal_pending(batch=3) == 7
    entries = sealed("test.batch")
    assert [e.id for e in entries] == sorted(e.id for e in entries)
    assert len({e.sealed_at for e in entries}) >= 1
    assert verify_chain().ok


def test_an_edited_row_is_named(chain: list[AuditEntry]) -> None:
    victim = chain[2]
    with guard_off():
        assert (
            sql("UPDATE audit_auditentry SET summary = %s WHERE id = %s", ["改过的摘要", victim.pk])
            == 1
        )
    report = verify_chain()
    assert not report.ok
    assert kinds(report) == ["modified"]
    problem = report.problems[0]
    assert (problem.seq, problem.entry_id) == (victim.seq, victim.pk)
    assert problem.message == f"第 {victim.seq} 条（id={victim.pk}）内容被修改"


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(chain: list[AuditEntry]) -> None:
    victim, after = chain[1], chain[2]
    with guard_off():
        sql("UPDATE audit_auditentry SET summary = %s WHERE id = %s", ["改过的摘要", victim.pk])
        row = AuditEntry.objects.filter(pk=victim.pk).values(*chain_module.HASHED_FIELDS).get()
        sql(
            "UPDATE audit_auditentry SET entry_hash = %s WHERE id = %s",
            [entry_digest(row), victim.pk],
        )
    report = verify_chain()
    assert kinds(report) == ["broken_link"]
    assert (report.problems[0].seq, report.problems[0].entry_id) == (after.seq, after.pk)


def test_a_deleted_row_in_the_middle(chain: list[AuditEntry]) -> None:
    victim = chain[2]
    with guard_off():
        assert sql("DELETE FROM audit_auditentry WHERE id = %s", [victim.pk]) == 1
    report = verify_chain()
    assert kinds(report) == ["deleted"]
    assert report.problems[0].seq == victim.seq
    assert report.problems[0].message == f"第 {victim.seq} 条缺失（被删除）"


def test_several_deleted_rows_are_one_problem(chain: list[AuditEntry]) -> None:
    with guard_off():
        sql("DELETE FROM audit_auditentry WHERE id IN (%s, %s)", [chain[1].pk, chain[2].pk])
    report = verify_chain()
    assert kinds(report) == ["deleted"]
    assert report.problems[0].message.startswith(f"第 {chain[1].seq} 至 {chain[2].seq} 条缺失")


def test_a_deleted_last_row(chain: list[AuditEntry]) -> None:
    victim = chain[-1]
    assert AuditChainHead.objects.get().last_seq == victim.seq
    with guard_off():
        sql("DELETE FROM audit_auditentry WHERE id = %s", [victim.pk])
    report = verify_chain()
    assert kinds(report) == ["deleted"]
    assert report.problems[0].message == f"第 {victim.seq} 条缺失（被删除）"


def test_a_replaced_last_row(chain: list[AuditEntry]) -> None:
    victim = chain[-1]
    with guard_off():
        sql("UPDATE audit_auditentry SET summary = %s WHERE id = %s", ["换掉", victim.pk])
        row = AuditEntry.objects.filter(pk=victim.pk).values(*chain_module.HASHED_FIELDS).get()
        sql(
            "UPDATE audit_auditentry SET entry_hash = %s WHERE id = %s",
            [entry_digest(row), victim.pk],
        )
    report = verify_chain()
    assert kinds(report) == ["head"]
    assert report.problems[0].entry_id == victim.pk


FORGE_SQL = (
    "INSERT INTO audit_auditentry (id, occurred_at, actor_id, actor_name, role, ip, action,"
    " object_type, object_id, summary, changes, seq, prev_hash, entry_hash, sealed_at)"
    " VALUES (%s, %s, NULL, %s, %s, NULL, %s, %s, %s, %s, CHANGES, %s, %s, %s, %s)"
)


def _forge(*, seq: int | None, prev_hash: str, pk: int, entry_hash: str | None = None) -> str:
    when = timezone.now().replace(microsecond=0)
    row = {
        "id": pk,
        "occurred_at": when,
        "actor_id": None,
        "actor_name": "伪造者",
        "role": "sysadmin",
        "ip": None,
        "action": "test.forged",
        "object_type": "test.thing",
        "object_id": "99",
        "summary": "伪造的记录",
        "changes": {},
        "seq": seq,
        "prev_hash": prev_hash,
    }
    digest = entry_hash if entry_hash is not None else entry_digest(row)
    statement = FORGE_SQL.replace(
        "CHANGES", "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    )
    with guard_off():
        sql(
            statement,
            [
                pk,
                connection.ops.adapt_datetimefield_value(when),
                row["actor_name"],
                row["role"],
                row["action"],
                row["object_type"],
                row["object_id"],
                row["summary"],
                "{}",
                seq,
                prev_hash,
                digest,
                connection.ops.adapt_datetimefield_value(when) if seq is not None else None,
            ],
        )
    return digest


def _free_pk() -> int:
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return last + 1000


def test_a_forged_row_with_a_plausible_hash_after_the_head(chain: list[AuditEntry]) -> None:
    last = chain[-1]
    pk = _free_pk()
    _forge(seq=last.seq + 1, prev_hash=last.entry_hash, pk=pk)  # type: ignore[operator]
    report = verify_chain()
    assert kinds(report) == ["inserted"]  # the hash itself is fine: only the head betrays it
    assert (report.problems[0].seq, report.problems[0].entry_id) == (last.seq + 1, pk)  # type: ignore[operator]
    assert "插入" in report.problems[0].message


def test_a_forged_row_below_the_chain(chain: list[AuditEntry]) -> None:
    _forge(seq=0, prev_hash=GENESIS_HASH, pk=_free_pk())
    report = verify_chain()
    assert kinds(report) == ["inserted"]


def test_a_row_with_a_hash_but_no_seq(chain: list[AuditEntry]) -> None:
    pk = _free_pk()
    _forge(seq=None, prev_hash=chain[-1].entry_hash, pk=pk, entry_hash="ab" * 32)
    report = verify_chain()
    assert kinds(report) == ["unsealed_hash"]
    assert report.problems[0].entry_id == pk
    # the sealer does not adopt it either
    assert seal_pending() == 0
    assert AuditEntry.objects.get(pk=pk).seq is None


def test_a_forged_row_spliced_into_the_middle(chain: list[AuditEntry]) -> None:
    """Make room by shifting the later rows up one, as a forger must (seq is unique)."""
    at = chain[2]
    with guard_off():
        for entry in reversed(chain[2:]):
            sql("UPDATE audit_auditentry SET seq = seq + 1 WHERE id = %s", [entry.pk])
        sql("UPDATE audit_auditchainhead SET last_seq = last_seq + 1")
    _forge(seq=at.seq, prev_hash=chain[1].entry_hash, pk=_free_pk())
    report = verify_chain()
    assert not report.ok
    # every shifted row's own hash no longer fits (seq is hashed), and the link after the forgery
    assert {"modified", "broken_link"} <= set(kinds(report))
    assert {p.entry_id for p in report.problems if p.kind == "modified"} == {
        e.pk for e in chain[2:]
    }


def test_a_swapped_order_is_found(chain: list[AuditEntry]) -> None:
    a, b = chain[1], chain[2]
    with guard_off():
        sql("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [-1, a.pk])
        sql("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [a.seq, b.pk])
        sql("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [b.seq, a.pk])
    report = verify_chain()
    assert not report.ok
    assert {(p.seq, p.entry_id) for p in report.problems if p.kind == "modified"} == {
        (a.seq, b.pk),
        (b.seq, a.pk),
    }
    assert "broken_link" in kinds(report)


def test_a_missing_head_is_reported(chain: list[AuditEntry]) -> None:
    with guard_off():
        sql("DELETE FROM audit_auditchainhead")
    report = verify_chain()
    assert kinds(report) == ["head"]


def test_stale_unsealed_rows_are_a_warning_not_corruption(chain: list[AuditEntry]) -> None:
    old = AuditEntry.objects.create(
        occurred_at=timezone.now() - dt.timedelta(hours=2), action="test.stale", summary="滞留"
    )
    AuditEntry.objects.create(occurred_at=timezone.now(), action="test.fresh")
    report = verify_chain(stale_after=dt.timedelta(minutes=10))
    assert report.ok
    assert len(report.warnings) == 1
    assert report.warnings[0].entry_id == old.pk
    assert "1 条审计记录超过 10 分钟仍未封存" in report.warnings[0].message
    assert AuditEntry.objects.get(pk=old.pk).seq is None  # verify seals nothing
    assert report.pending == 2


def test_anchors_catch_a_rebuilt_chain(chain: list[AuditEntry]) -> None:
    entry = chain[3]
    assert verify_chain(anchors={entry.seq: entry.entry_hash}).ok  # type: ignore[dict-item]
    report = verify_chain(anchors={entry.seq: "0" * 64})  # type: ignore[dict-item]
    assert kinds(report) == ["anchor"]
    report = verify_chain(anchors={entry.seq + 10_000: "0" * 64})  # type: ignore[operator]
    assert kinds(report) == ["anchor"]


def test_verify_reads_in_chunks(chain: list[AuditEntry], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chain_module, "CHUNK", 3)
    with guard_off():
        sql("UPDATE audit_auditentry SET summary = %s WHERE id = %s", ["x", chain[4].pk])
    report = verify_chain()
    assert kinds(report) == ["modified"]
    assert report.checked == AuditEntry.objects.filter(seq__isnull=False).count()


def test_problems_beyond_the_limit_are_counted(chain: list[AuditEntry]) -> None:
    with guard_off():
        sql("UPDATE audit_auditentry SET summary = 'x' WHERE action = 'test.chain'")
    report = verify_chain(max_problems=2)
    assert len(report.problems) == 2 and report.omitted == 3 and not report.ok


def test_each_commit_seals_its_entry(
    db: None, django_capture_on_commit_callbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    from onewindow.audit import services

    monkeypatch.setattr(services, "SEAL_INTERVAL", 0)
    seal_pending()
    with django_capture_on_commit_callbacks(execute=True):
        entry = record(1, action="test.on_commit")[0]
    entry.refresh_from_db()
    assert entry.seq is not None and verify_chain().ok


def test_sealing_after_commit_is_throttled_and_never_fails_the_writer(
    db: None,
    django_capture_on_commit_callbacks,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from onewindow.audit import services

    seal_pending()
    monkeypatch.setattr(services, "SEAL_INTERVAL", 3600)
    monkeypatch.setattr(services, "_last_seal", float("-inf"))
    with django_capture_on_commit_callbacks(execute=True):
        first = record(1, action="test.throttle")[0]
    with django_capture_on_commit_callbacks(execute=True):
        second = record(1, action="test.throttle")[0]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.seq is not None  # the first commit sealed
    assert second.seq is None  # the second came within the interval: left for later
    assert seal_pending() == 1

    def broken(**kwargs: object) -> int:
        raise RuntimeError("数据库不可用")

    monkeypatch.setattr(services, "SEAL_INTERVAL", 0)
    monkeypatch.setattr(chain_module, "seal_pending", broken)
    with django_capture_on_commit_callbacks(execute=True):
        entry = record(1, action="test.broken")[0]  # no exception reaches the writer
    assert AuditEntry.objects.get(pk=entry.pk).seq is None
    assert "sealing after commit failed" in caplog.text


def test_deleting_the_whole_log_is_found(chain: list[AuditEntry]) -> None:
    head = AuditChainHead.objects.get()
    with guard_off():
        sql("DELETE FROM audit_auditentry")
    report = verify_chain()
    assert kinds(report) == ["deleted"]
    assert (
        report.problems[0].message
        == f"第 1 至 {head.last_seq} 条缺失（被删除，共 {head.last_seq} 条）"
    )
