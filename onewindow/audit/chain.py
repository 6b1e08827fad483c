"""Sealing and verifying the audit chain. See docs/adr/0002-audit-chain.md.

Writers insert unsealed rows and take no shared lock. The sealer, alone, holds the one-row
`AuditChainHead` lock for a short transaction, reads the *committed* unsealed rows, gives them the
next consecutive `seq`, links each to the hash of the one before, and moves the head.

Why the chain follows `seq` (the order rows were sealed), not `id` (the order rows were inserted):
ids are handed out when a row is inserted, but transactions commit in any order. If T1 inserts
id 100, T2 inserts id 101 and T2 commits first, a sealer running in between sees 101 and not 100.
Chaining by id would then have to either wait for 100 (and a rolled-back transaction leaves a gap
in ids for ever, so it could wait for ever) or later splice 100 in before 101, rewriting a part
of the chain that is already sealed. Chaining by seq only ever appends: each row joins the chain
once, after it is committed and visible, behind everything sealed before it. Every row is sealed
exactly once because only the head-lock holder seals, it marks rows in the same transaction that
moves the head, and the next holder's fresh snapshot (READ COMMITTED: every statement sees every
commit that finished before it) shows them as sealed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import GENESIS_HASH, AuditChainHead, AuditEntry

HEAD_PK = 1
# Every column the hash covers (seq and prev_hash are added by the sealer). sealed_at is not in
# the hash (it says when, not what); the PostgreSQL trigger keeps it from changing once set.
CONTENT_FIELDS = (
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
)
HASHED_FIELDS = (*CONTENT_FIELDS, "seq", "prev_hash")
CHUNK = 2000
# When called after a commit (wait=False) the sealer does a bounded amount of work per request.
_NO_WAIT_PASSES = 5


# -- the hash ----------------------------------------------------------------------------------


def _utc_iso(value: datetime) -> str:
    if timezone.is_naive(value):  # USE_TZ is on; a naive value would be a bug, fail loudly
        raise ValueError("occurred_at must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(row: Mapping[str, Any]) -> bytes:
    """The exact bytes that are hashed: sorted-key compact JSON of every hashed field, UTF-8.

    `row` holds the values as read back from the database (not as the writer passed them), so the
    sealer and the verifier see the same thing whatever the backend normalises (jsonb key order,
    inet text).
    """
    data = {name: row[name] for name in HASHED_FIELDS}
    data["occurred_at"] = _utc_iso(row["occurred_at"])
    data["ip"] = None if row["ip"] is None else str(row["ip"])
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_digest(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(row)).hexdigest()


# -- sealing -----------------------------------------------------------------------------------


def _create_head() -> None:
    # Two first sealers may race here; the loser's insert is a no-op.
    AuditChainHead.objects.bulk_create([AuditChainHead(pk=HEAD_PK)], ignore_conflicts=True)


def _lock_head(*, wait: bool) -> AuditChainHead | None:
    """Lock the head row (creating it the first time), or return None when another sealer holds
    it and wait is False. Called inside the sealer's transaction."""
    qs = AuditChainHead.objects.filter(pk=HEAD_PK)
    features = connection.features
    if features.has_select_for_update:
        if not wait and features.has_select_for_update_skip_locked:
            head = qs.select_for_update(skip_locked=True).first()
            if head is None and not qs.exists():  # missing, not busy
                _create_head()
                head = qs.select_for_update(skip_locked=True).first()
            return head
        head = qs.select_for_update().first()
        if head is None:
            _create_head()
            head = qs.select_for_update().get()
        return head
    # SQLite: no row locks, one writer at a time. Write first so that the transaction takes the
    # write lock before it reads anything (a read-then-write transaction can fail with "database
    # is locked" instead of waiting); the busy timeout makes it queue behind another sealer.
    if not qs.update(updated_at=timezone.now()):
        _create_head()
    return qs.get()


def _unsealed() -> QuerySet[AuditEntry]:
    """Rows waiting for the sealer. A row that already carries a hash or sealed_at without a seq
    was not written by the application: it is left for verify to report, never adopted."""
    return AuditEntry.objects.filter(
        seq__isnull=True, prev_hash="", entry_hash="", sealed_at__isnull=True
    )


def _write_seals(seals: list[tuple[int, int, str, str]], sealed_at: datetime) -> int:
    """Fill the sealing columns, and only those, of rows that are still unsealed.

    The sealer's own raw path (the model's QuerySet refuses every update): one statement per row
    by primary key, sent with executemany (pipelined on PostgreSQL). A single UPDATE ... FROM
    (VALUES ...) is no faster here and can get a disastrous plan when the statistics still say
    the table has almost no unsealed rows, right after a large backlog arrives.
    """
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    when = connection.ops.adapt_datetimefield_value(sealed_at)
    statement = (
        f"UPDATE {table} SET seq = %s, prev_hash = %s, entry_hash = %s, sealed_at = %s"  # noqa: S608 - no user input
        " WHERE id = %s AND seq IS NULL AND entry_hash = '' AND sealed_at IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            statement, [(seq, prev, digest, when, pk) for pk, seq, prev, digest in seals]
        )
        return int(cursor.rowcount)


def _seal_batch(*, wait: bool, batch: int) -> int | None:
    """Seal up to `batch` committed rows. None when the lock was busy (wait=False)."""
    with transaction.atomic():
        head = _lock_head(wait=wait)
        if head is None:
            return None
        rows = list(_unsealed().order_by("id").values(*CONTENT_FIELDS)[:batch])
        if not rows:
            return 0
        seq, prev = head.last_seq, head.last_hash
        seals = []
        for row in rows:
            seq += 1
            digest = entry_digest({**row, "seq": seq, "prev_hash": prev})
            seals.append((row["id"], seq, prev, digest))
            prev = digest
        now = timezone.now()
        updated = _write_seals(seals, now)
        if updated != len(seals):  # only possible if something sealed behind the lock's back
            raise RuntimeError(f"审计封存异常：应封存 {len(seals)} 条，实际 {updated} 条")
        AuditChainHead.objects.filter(pk=HEAD_PK).update(
            last_seq=seq, last_hash=prev, updated_at=now
        )
        return len(seals)


def seal_pending(*, wait: bool = True, batch: int = 1000) -> int:
    """Chain every committed unsealed entry; return how many were sealed.

    wait=True (the `audit seal` command, the periodic task): queue for the sealer lock and loop
    until nothing is left. wait=False (after each audited commit): if another sealer holds the
    lock, return at once (SKIP LOCKED), since that sealer or the next one will pick these rows
    up; otherwise seal one batch, or a few when there is a backlog, so that a request never
    carries much. A row committed while a no-wait sealer held the lock waits for the next commit
    or the periodic `audit seal`: that is the window in which the newest rows are unsealed.

    Call it outside a transaction. Inside one it still works, but the head stays locked until the
    outer transaction ends, and it also seals that transaction's own uncommitted rows.
    """
    total, passes = 0, 0
    while True:
        sealed = _seal_batch(wait=wait, batch=batch)
        if not sealed:  # nothing left, or (wait=False) another sealer is at work
            return total
        total += sealed
        passes += 1
        if not wait and (sealed < batch or passes >= _NO_WAIT_PASSES):
            return total


# -- verifying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    kind: str  # modified, deleted, inserted, broken_link, unsealed_hash, head, anchor, stale
    message: str
    seq: int | None = None
    entry_id: int | None = None


@dataclass
class VerifyReport:
    ok: bool = True
    checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    omitted: int = 0  # problems found beyond max_problems (counted, not listed)
    pending: int = 0  # unsealed rows (not a problem; see warnings for stale ones)

    def add(self, problem: Problem, limit: int) -> None:
        self.ok = False
        if len(self.problems) < limit:
            self.problems.append(problem)
        else:
            self.omitted += 1


def _at(seq: int | None, entry_id: int | None) -> str:
    return f"第 {seq} 条（id={entry_id}）"


def _missing(first: int, last: int) -> Problem:
    if first == last:
        return Problem("deleted", f"第 {first} 条缺失（被删除）", seq=first)
    return Problem(
        "deleted", f"第 {first} 至 {last} 条缺失（被删除，共 {last - first + 1} 条）", first
    )


def _sealed_rows() -> Iterator[dict[str, Any]]:
    qs = (
        AuditEntry.objects.filter(seq__isnull=False)
        .order_by("seq")
        .values(*HASHED_FIELDS, "entry_hash")
    )
    return qs.iterator(chunk_size=CHUNK)


def verify_chain(
    *,
    stale_after: timedelta = timedelta(minutes=10),
    anchors: Mapping[int, str] | None = None,
    max_problems: int = 1000,
) -> VerifyReport:
    """Walk the sealed rows in seq order, recompute every hash, and report what does not fit.

    Reads in chunks (constant memory) inside one snapshot, so a sealer running meanwhile cannot
    make the head and the rows disagree. Seals nothing. `anchors` maps seq to an entry_hash
    recorded outside the database earlier (see the ADR): a chain rebuilt by someone who can also
    recompute hashes still fails there.
    """
    report = VerifyReport()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
        _walk(report, head, dict(anchors or {}), max_problems)
        _check_unsealed(report, stale_after, max_problems)
    return report


def _walk(
    report: VerifyReport, head: AuditChainHead | None, anchors: dict[int, str], limit: int
) -> None:
    expected, prev_hash = 1, GENESIS_HASH
    last_seq: int | None = None
    last_id: int | None = None
    head_seq = head.last_seq if head else 0
    for row in _sealed_rows():
        seq, entry_id, stored = row["seq"], row["id"], row["entry_hash"]
        report.checked += 1
        where = _at(seq, entry_id)
        if seq < expected:
            # Equal seq twice (only if the unique index was dropped) or a seq below 1.
            report.add(
                Problem("inserted", f"{where}不在链上：序号重复或无效（插入）", seq, entry_id),
                limit,
            )
            continue
        if head is not None and seq > head_seq:
            report.add(
                Problem(
                    "inserted",
                    f"{where}在链头（第 {head_seq} 条）之后：不是封存程序写入的（插入）",
                    seq,
                    entry_id,
                ),
                limit,
            )
        gap = seq > expected
        if gap:
            report.add(_missing(expected, seq - 1), limit)
        content_ok = entry_digest(row) == stored
        if not content_ok:
            report.add(Problem("modified", f"{where}内容被修改", seq, entry_id), limit)
        if not gap and row["prev_hash"] != prev_hash:
            report.add(
                Problem(
                    "broken_link",
                    f"{where}与前一条不衔接：前一条被替换、顺序被调换或本条是插入的",
                    seq,
                    entry_id,
                ),
                limit,
            )
        if seq in anchors and anchors.pop(seq) != stored:
            report.add(
                Problem("anchor", f"{where}与外部留存的锚点哈希不符（链被重建）", seq, entry_id),
                limit,
            )
        expected, prev_hash, last_seq, last_id = seq + 1, stored, seq, entry_id

    report.head_seq = head_seq
    report.head_hash = head.last_hash if head else GENESIS_HASH
    if head is None:
        if last_seq is not None:
            report.add(Problem("head", "审计链头记录缺失"), limit)
    elif (last_seq or 0) < head_seq:
        report.add(_missing(expected, head_seq), limit)
    elif last_seq == head_seq and prev_hash != head.last_hash:
        report.add(
            Problem(
                "head", f"{_at(last_seq, last_id)}与链头记录的哈希不符（被替换）", last_seq, last_id
            ),
            limit,
        )
    for seq in sorted(anchors):  # anchors not met on the walk
        if seq > head_seq:  # (a missing row at or below the head is reported above already)
            report.add(
                Problem("anchor", f"锚点第 {seq} 条超出链头（第 {head_seq} 条）：链被截短"), limit
            )


def _check_unsealed(report: VerifyReport, stale_after: timedelta, limit: int) -> None:
    unsealed = AuditEntry.objects.filter(seq__isnull=True)
    forged = unsealed.exclude(prev_hash="", entry_hash="", sealed_at__isnull=True)
    for entry_id in forged.order_by("id").values_list("id", flat=True).iterator(chunk_size=CHUNK):
        report.add(
            Problem(
                "unsealed_hash",
                f"id={entry_id} 有哈希或封存时间却没有链序号（伪造或被篡改）",
                None,
                entry_id,
            ),
            limit,
        )
    report.pending = _unsealed().count()
    stale = unsealed.filter(occurred_at__lt=timezone.now() - stale_after).order_by("id")
    count = stale.count()
    if count:
        first = stale.values("id", "occurred_at")[0]
        when = timezone.localtime(first["occurred_at"]).strftime("%Y-%m-%d %H:%M:%S")
        minutes = int(stale_after.total_seconds() // 60)
        report.warnings.append(
            Problem(
                "stale",
                f"有 {count} 条审计记录超过 {minutes} 分钟仍未封存（最早 id={first['id']}，{when}）："
                "请运行 onewindow audit seal，并检查定时封存任务",
                None,
                first["id"],
            )
        )
