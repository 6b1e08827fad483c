"""`onewindow audit seal | verify | export`, the selectors and the read-only admin."""

from __future__ import annotations

import csv
import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.audit.admin import AuditEntryAdmin
from onewindow.audit.chain import seal_pending
from onewindow.audit.models import AuditEntry
from onewindow.audit.selectors import audit_export_rows, audit_search
from onewindow.core.errors import InvalidInput

from .conftest import guard_off, record, sql

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("audit", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_seal_prints_the_count(db: None) -> None:
    seal_pending()
    record(3)
    assert "已封存 3 条审计记录" in run("seal")
    assert "已封存 0 条审计记录" in run("seal")


def test_verify_a_sound_chain(db: None) -> None:
    record(2)
    seal_pending()
    out = run("verify")
    assert f"审计日志完整：共 {AuditEntry.objects.filter(seq__isnull=False).count()} 条" in out


def test_verify_seals_nothing_and_fails_with_status_1(db: None) -> None:
    record(3)
    seal_pending()
    victim = AuditEntry.objects.filter(action="test.chain").order_by("seq")[1]
    pending = record(1, action="test.pending")[0]
    with guard_off():
        sql("UPDATE audit_auditentry SET summary = 'x' WHERE id = %s", [victim.pk])
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", stdout=out)
    assert exc.value.returncode == 1
    assert f"第 {victim.seq} 条（id={victim.pk}）内容被修改" in out.getvalue()
    assert AuditEntry.objects.get(pk=pending.pk).seq is None


def test_verify_checks_anchors(db: None) -> None:
    record(1)
    seal_pending()
    last = AuditEntry.objects.filter(seq__isnull=False).order_by("-seq").first()
    assert last is not None
    assert "审计日志完整" in run("verify", "--anchor", f"{last.seq}:{last.entry_hash}")
    with pytest.raises(CommandError):
        run("verify", "--anchor", f"{last.seq}:{'0' * 64}")
    with pytest.raises(CommandError, match="锚点格式"):
        run("verify", "--anchor", "nonsense")


def _mark(days_ago: int, n: int, action: str) -> None:
    """Entries at a given day (the only way to back-date is at insert time)."""
    when = timezone.localtime() - dt.timedelta(days=days_ago)
    for i in range(n):
        AuditEntry.objects.create(
            occurred_at=when, action=action, object_id=str(i), summary=f"=SUM(A1) {days_ago} 天前"
        )


def test_export_csv_has_the_right_rows(db: None, tmp_path: Path) -> None:
    _mark(40, 2, "test.export.old")
    _mark(3, 3, "test.export.recent")
    _mark(0, 1, "test.export.today")
    seal_pending()
    since = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    until = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    target = tmp_path / "audit.csv"
    out = run(
        "export",
        "--since",
        since,
        "--until",
        until,
        "--action",
        "test.export",
        "--output",
        str(target),
    )
    assert "已导出 3 条" in out
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese right
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:3] == ["链序号", "编号", "时间"]
    body = rows[1:]
    assert len(body) == 3
    assert {r[7] for r in body} == {"test.export.recent"}
    assert all(r[0] and len(r[13]) == 64 for r in body)  # sealed: seq and hash present
    assert all(r[10].startswith("'=") for r in body)  # no formula injection
    assert [int(r[1]) for r in body] == sorted(int(r[1]) for r in body)
    # the export itself is on record
    assert AuditEntry.objects.filter(action="audit.export", summary__contains="3 条").exists()


def test_export_jsonl(db: None, tmp_path: Path) -> None:
    _mark(1, 2, "test.export.jsonl")
    target = tmp_path / "audit.jsonl"
    run("export", "--format", "jsonl", "--action", "test.export.jsonl", "--output", str(target))
    lines = target.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 2 and records[0]["action"] == "test.export.jsonl"
    assert records[0]["seq"] is None  # not sealed yet, exported as it is


def test_export_rejects_a_bad_date(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="起始时间格式不对"):
        run("export", "--since", "昨天", "--output", str(tmp_path / "x.csv"))


def test_search_filters(db: None) -> None:
    record(2, action="test.search.a", role="dept_head")
    record(1, action="test.search.b")
    assert audit_search(action="test.search").count() == 3
    assert audit_search(action="test.search.a").count() == 2
    assert audit_search(action="test.search", object_id="1").count() == 1
    assert audit_search(action="test.search", actor_name="系统").count() == 3
    today = timezone.localdate()
    assert audit_search(action="test.search", since=today, until=today).count() == 3
    assert audit_search(action="test.search", until=today - dt.timedelta(days=1)).count() == 0
    assert audit_search(action="test.search", since=today.isoformat()).count() == 3
    qs = audit_search(action="test.search")
    assert list(qs.values_list("id", flat=True)) == sorted(
        qs.values_list("id", flat=True), reverse=True
    )
    with pytest.raises(InvalidInput) as exc:
        audit_search(until="2026-13-40")
    assert exc.value.field == "until"


def test_export_rows_stream_a_heading_then_strings(db: None) -> None:
    record(2, action="test.rows")
    rows = list(audit_export_rows(audit_search(action="test.rows")))
    assert rows[0][0] == "链序号" and len(rows) == 3
    assert all(isinstance(cell, str) for row in rows for cell in row)
    assert json.loads(rows[1][11]) == {"after": {"n": 1, "状态": "新"}, "before": {"状态": "旧"}}


def test_admin_is_read_only_for_everyone(db: None) -> None:
    model_admin = admin_site._registry[AuditEntry]
    assert isinstance(model_admin, AuditEntryAdmin)
    request = RequestFactory().get("/admin/audit/auditentry/")
    for username in ("xitong", "shenji"):
        request.user = User.objects.get(username=username)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
    request.user = User.objects.create_superuser("root-audit-test", password="x" * 12)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}
