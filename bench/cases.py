"""Case lifecycles: the case engine's service layer against the same work written by hand in
psycopg, in the same run, on PostgreSQL.

One lifecycle is the demo item 食品经营许可 (002001005000) through the default flow: the
applicant 13900000012 submits online with four small PDFs and the answers
{"apply_type": "new", "agent": "self"}; zc01 accepts under 容缺 (the rules are promised for a
later day); scjg_sp2 (B post of the absent scjg_sp1) acts "pass" on the review; scjg_fzr acts
"approve" on the decision, which finishes the case. The flow has two back-office states (审查
then 审批决定) between acceptance and the end.

The reference makes the same inserts and updates (case, materials, stored files with their bytes
on disk, events, steps, audit entries, the day's case sequence as one upsert, message rows and
their delivery after the commit (a notification's messages together), the throttled audit
sealing), one transaction per
stage, with one hand-written query per fact it needs (item and materials, the actor's post, the
locked case and step). Before anything is timed, one lifecycle of each is compared row by row.

Prints the rates (lifecycles/s) and this process's CPU time per lifecycle of the service layer,
of the hand-written reference (psycopg's defaults: server-side binding, statements prepared after
five uses, as the project's PostgreSQL settings also run Django) and, for context, of the same
reference without prepared statements (ONEWINDOW_DB_PREPARE=false); the ratio service ÷ hand-written (goal >= 0.40); and the database queries
per transition through the service layer (Django's CaptureQueriesContext) beside the reference's.
`--profile N` then runs N service lifecycles under cProfile and prints where the time goes.

    python bench/cases.py [--n 300] [--rounds 3] [--profile 100] [--strict]

Needs PostgreSQL: DATABASE_URL, default postgres://postgres@127.0.0.1:5432/onewindow_bench (the
database is created, migrated and given the demo county if missing). On SQLite, or when the
server cannot be reached, it says so and exits 0 (so `make bench` stays green); `--strict`
exits 1 then, and when the ratio misses the goal. Uploaded files go to a temporary MEDIA_ROOT
that is removed at the end. About 2 minutes with the defaults on 2 CPUs.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import cProfile
import datetime as dt
import hashlib
import io
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script, this folder would come first on sys.path and its calendar.py would shadow the
# standard library's `calendar` (which fontTools, under weasyprint, imports).
_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/onewindow_bench"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.test")
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("ONEWINDOW_LOG_LEVEL", "WARNING")  # the outbox SMS logs every message
MEDIA_ROOT = tempfile.mkdtemp(prefix="onewindow-bench-cases-")
os.environ["ONEWINDOW_MEDIA_ROOT"] = MEDIA_ROOT

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from psycopg.rows import dict_row  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench._db import ensure_database, machine, prepare_database  # noqa: E402
from onewindow.accounts.models import User  # noqa: E402
from onewindow.audit.chain import entry_digest, seal_pending  # noqa: E402
from onewindow.audit.services import SEAL_INTERVAL  # noqa: E402
from onewindow.cases import clock, services  # noqa: E402
from onewindow.cases.choices import CaseStatus  # noqa: E402
from onewindow.core.personal import mask_phone  # noqa: E402
from onewindow.evaluation.tokens import rating_path  # noqa: E402

GOAL = 0.40
FOOD = "002001005000"  # 食品经营许可
ANSWERS = {"apply_type": "new", "agent": "self"}
UPLOADS = ("app_form", "licence", "id_card", "layout")  # the fifth, "rules", is deferred (容缺)
DAY = dt.date(2026, 3, 2)  # a Monday: the simulated service-centre day, the same for both sides
DEFERRED = {"rules": dt.date(2026, 3, 9)}  # 容缺: the material the applicant promises by a date
# A small but well-formed PDF (the one the case engine's tests upload).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)
TRANSITIONS = ("submit", "accept", "pass", "approve")


# -- the database --------------------------------------------------------------------------------


def database_url() -> str:
    return os.environ["DATABASE_URL"]


# -- the service layer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Actors:
    applicant: User
    acceptor: User
    reviewer: User
    head: User


def load_actors() -> Actors:
    return Actors(
        applicant=User.objects.get(kind="applicant", phone="13900000012"),
        acceptor=User.objects.get(username="zc01"),
        reviewer=User.objects.get(username="scjg_sp2"),
        head=User.objects.get(username="scjg_fzr"),
    )


def fresh(user: User) -> User:
    """The user as a new request would have it: loaded, but nothing cached on it yet (acting
    posts, the applicant profile), so every transition pays what a request pays."""
    clone = copy.copy(user)
    clone.__dict__.pop("_acting_posts", None)
    clone._state.fields_cache = {}
    return clone


def uploads() -> dict[str, SimpleUploadedFile]:
    return {k: SimpleUploadedFile(f"{k}.pdf", PDF, content_type="application/pdf") for k in UPLOADS}


def service_stages(actors: Actors) -> Iterator[tuple[str, Callable[[Any], Any]]]:
    yield (
        "submit",
        lambda _: services.case_submit(
            actor=fresh(actors.applicant), item_code=FOOD, answers=ANSWERS, uploads=uploads()
        ),
    )
    yield (
        "accept",
        lambda case: services.case_accept(
            case=case,
            actor=fresh(actors.acceptor),
            deferred=DEFERRED,
            expected_revision=case.revision,
        ),
    )
    yield (
        "pass",
        lambda case: services.case_act(
            case=case, actor=fresh(actors.reviewer), action="pass", expected_revision=case.revision
        ),
    )
    yield (
        "approve",
        lambda case: services.case_act(
            case=case, actor=fresh(actors.head), action="approve", expected_revision=case.revision
        ),
    )


def service_lifecycle(actors: Actors) -> int:
    case = None
    for _name, stage in service_stages(actors):
        case = stage(case)
    assert case is not None and case.status == CaseStatus.APPROVED, case
    return int(case.pk)


# -- the same work, written by hand --------------------------------------------------------------

ITEM_SQL = """
SELECT i.id AS item_id, i.region_id, i.department_id, d.name AS department_name,
       r.code AS region_code, r.level AS region_level, r.path AS region_path,
       i.published_id AS version_id
  FROM catalogue_item i
  JOIN org_department d ON d.id = i.department_id
  JOIN org_region r ON r.id = i.region_id
 WHERE i.code = %s AND i.published_id IS NOT NULL
"""
# A published version never changes, so both sides keep what they read of one in memory (the
# services: catalogue.selectors.frozen_version and the questions behind materials_for).
VERSION_SQL = """
SELECT v.name, v.name AS version_name, v.result_name, v.flow, v.handling, v.limit_unit,
       v.promised_limit, v.statutory_limit
  FROM catalogue_itemversion v
 WHERE v.id = %s
"""
# The version's materials for the applicant's answers: base materials, plus what the chosen
# options add, minus what they remove; `unanswered` counts the questions without a valid answer.
MATERIALS_SQL = """
WITH chosen AS (
    SELECT o.id, o.situation_id
      FROM catalogue_situation s
      JOIN catalogue_situationoption o ON o.situation_id = s.id
     WHERE s.version_id = %(version)s AND o.key = %(answers)s::jsonb ->> s.key
)
SELECT m.key, m.name, m.required, m.deficiency_ok,
       (SELECT count(*) FROM catalogue_situation s
         WHERE s.version_id = %(version)s
           AND NOT EXISTS (SELECT 1 FROM chosen c WHERE c.situation_id = s.id)) AS unanswered
  FROM catalogue_material m
 WHERE m.version_id = %(version)s
   AND (NOT m.situational OR EXISTS (
        SELECT 1 FROM catalogue_situationoption_adds a
         WHERE a.material_id = m.id AND a.situationoption_id IN (SELECT id FROM chosen)))
   AND NOT EXISTS (
        SELECT 1 FROM catalogue_situationoption_removes x
         WHERE x.material_id = m.id AND x.situationoption_id IN (SELECT id FROM chosen))
 ORDER BY m."order", m.id
"""
APPLICANT_SQL = """
SELECT id, kind, name, id_number, credit_code FROM accounts_applicant WHERE user_id = %s
"""
# The post the user acts in for (roles, region, department[, post]): their own A post unless
# they are absent, or a B post whose A holder is absent.
POST_SQL = """
SELECT p.id, p.role, p.window_id
  FROM accounts_post p
 WHERE p.active AND p.role = ANY(%(roles)s) AND p.region_id = %(region)s
   AND (%(department)s::bigint IS NULL OR p.department_id IS NULL
        OR p.department_id = %(department)s)
   AND (%(post)s::bigint IS NULL OR p.id = %(post)s)
   AND NOT EXISTS (SELECT 1 FROM accounts_absence a
                    WHERE a.user_id = %(user)s AND a.ended_at IS NULL)
   AND (p.holder_a_id = %(user)s
        OR (p.holder_b_id = %(user)s AND EXISTS (
            SELECT 1 FROM accounts_absence a
             WHERE a.user_id = p.holder_a_id AND a.ended_at IS NULL)))
 ORDER BY p.id
 LIMIT 1
"""
SEQUENCE_NEXT_SQL = """
INSERT INTO cases_casesequence (prefix, day, last) VALUES (%s, %s, 1)
ON CONFLICT (prefix, day) DO UPDATE SET last = cases_casesequence.last + 1 RETURNING last
"""
FILE_INSERT_SQL = """
INSERT INTO files_storedfile
       (file, original_name, content_type, kind, size, sha256, uploaded_by_id, created_at)
VALUES (%(file)s, %(original_name)s, 'application/pdf', 'pdf', %(size)s, %(sha256)s,
        %(user)s, %(created_at)s)
RETURNING id
"""
CASE_INSERT_SQL = """
INSERT INTO cases_case (
    created_at, updated_at, number, item_id, version_id, bundle_application_id, bundle_order,
    applicant_id, applicant_kind, applicant_name, applicant_id_number, applicant_credit_code,
    applicant_phone, applicant_address, submitted_by_id, submission_key, channel, region_id,
    region_path, department_id, window_id, accepted_by_id, answers, form_data, status,
    state_key, revision, immediate, joint, reported, returned, supplemented, submitted_at,
    accepted_at, accepted_on, limit_unit, promised_limit, statutory_limit, paused_days,
    paused_since, promised_due, statutory_due, completed_at, completed_on, decision_reason,
    legal_basis, result_held, delivery, delivery_address, pickup_code, courier,
    tracking_number, delivered_at)
VALUES (
    %(at)s, %(at)s, %(number)s, %(item)s, %(version)s, NULL, 0,
    %(applicant)s, %(kind)s, %(name)s, %(id_number)s, %(credit_code)s,
    %(phone)s, '', %(user)s, '', 'online', %(region)s,
    %(region_path)s, %(department)s, NULL, NULL, %(answers)s, '{}', 'submitted',
    %(state)s, 0, %(immediate)s, false, false, false, false, %(submitted_at)s,
    NULL, NULL, %(limit_unit)s, %(promised_limit)s, %(statutory_limit)s, 0,
    NULL, NULL, NULL, NULL, NULL, '',
    '', false, 'pickup', '', '', '',
    '', NULL)
RETURNING id
"""
MATERIAL_INSERT_SQL = """
INSERT INTO cases_casematerial (case_id, key, name, required, "deferrable", status, file_id,
                                licence_id, checked, promised_by, supplied_at, "order")
VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, false, NULL, NULL, %s)
"""
EVENT_INSERT_SQL = """
INSERT INTO cases_caseevent (case_id, at, action, label, state_name, department_name, actor_id,
                             role, note, public)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', true)
"""
AUDIT_INSERT_SQL = """
INSERT INTO audit_auditentry (occurred_at, actor_id, actor_name, role, ip, action, object_type,
                              object_id, summary, changes, seq, prev_hash, entry_hash, sealed_at)
VALUES (%s, %s, %s, %s, NULL, %s, %s, %s, %s, %s, NULL, '', '', NULL)
"""
MESSAGE_INSERT_SQL = """
INSERT INTO notifications_message (recipient_id, phone, email, channel, topic, subject, body,
                                   link, content_type_id, object_id, status, attempts,
                                   last_error, next_attempt_at, sent_at, read_at, created_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'pending', 0, '', NULL, NULL, NULL, %s)
RETURNING id
"""
INVITE = "evaluation.invite"
INVITE_EXISTS_SQL = """
SELECT 1 FROM notifications_message WHERE content_type_id = %s AND object_id = %s AND topic = %s
"""
MESSAGE_LOCK_SQL = """
SELECT id, channel FROM notifications_message
 WHERE id = ANY(%s) AND status IN ('pending', 'failed') ORDER BY id FOR UPDATE
"""
MESSAGE_SENT_SQL = """
UPDATE notifications_message
   SET status = 'sent', attempts = attempts + 1, last_error = '', next_attempt_at = NULL,
       sent_at = %s
 WHERE id = ANY(%s)
"""
CASE_LOCK_SQL = """
SELECT c.id, c.number, c.status, c.state_key, c.revision, c.region_id, c.department_id,
       c.window_id, c.applicant_id, c.applicant_name, c.applicant_phone, c.submitted_by_id,
       c.limit_unit, c.promised_limit, c.statutory_limit, c.result_held, c.returned, c.joint,
       c.delivery, c.promised_due, i.region_id AS item_region_id,
       i.department_id AS item_department_id, d.name AS department_name, c.version_id,
       u.email AS recipient_email
  FROM cases_case c
  JOIN catalogue_item i ON i.id = c.item_id
  JOIN org_department d ON d.id = c.department_id
  LEFT JOIN accounts_user u ON u.id = c.submitted_by_id
 WHERE c.id = %s
   FOR UPDATE OF c
"""
WAITING_SQL = """
SELECT 1 FROM cases_case_waits_for w JOIN cases_case c ON c.id = w.to_case_id
 WHERE w.from_case_id = %s AND c.status <> 'approved'
 LIMIT 1
"""
MATERIALS_LOCK_SQL = """
SELECT id, key, status, required, "deferrable" FROM cases_casematerial
 WHERE case_id = %s ORDER BY "order", id FOR UPDATE
"""
MATERIAL_DEFER_SQL = """
UPDATE cases_casematerial SET status = 'deferred', promised_by = %s WHERE id = %s
"""
STEP_INSERT_SQL = """
INSERT INTO cases_step (case_id, state_key, state_name, kind, lead, roles, region_id,
                        department_id, post_id, opened_at, started_on, "limit", paused_days,
                        due, closed_at, closed_by_id, outcome, opinion, note)
VALUES (%s, %s, %s, 'task', false, %s, %s, %s, NULL, %s, %s, %s, 0, %s, NULL, NULL, '', '', '')
"""
ACCEPT_UPDATE_SQL = """
UPDATE cases_case
   SET updated_at = %(at)s, status = 'in_progress', state_key = %(state)s,
       revision = revision + 1, window_id = %(window)s, accepted_by_id = %(user)s,
       accepted_at = %(now)s, accepted_on = %(day)s, promised_due = %(promised_due)s,
       statutory_due = %(statutory_due)s, result_held = %(result_held)s, immediate = false,
       joint = false, completed_at = NULL, completed_on = NULL, decision_reason = '',
       pickup_code = ''
 WHERE id = %(case)s
"""
STEPS_LOCK_SQL = """
SELECT s.id, s.kind, s.lead, s.roles, s.region_id, s.department_id, s.post_id,
       d.name AS department_name
  FROM cases_step s
  LEFT JOIN org_department d ON d.id = s.department_id
 WHERE s.case_id = %s AND s.state_key = %s AND s.closed_at IS NULL
 ORDER BY s.opened_at, s.id
   FOR UPDATE OF s
"""
STEP_CLOSE_SQL = """
UPDATE cases_step SET closed_at = %s, closed_by_id = %s, outcome = %s, note = '' WHERE id = %s
"""
STEPS_CLOSE_OPEN_SQL = """
UPDATE cases_step SET closed_at = %s, closed_by_id = %s, outcome = %s
 WHERE case_id = %s AND closed_at IS NULL
"""
LICENCE_INSERT_SQL = """
INSERT INTO cases_licence (created_at, updated_at, number, name, case_id, holder_id, holder_name,
                           issued_on, valid_until, file_id, token, revoked_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, NULL, NULL, %s, NULL)
"""
ACT_UPDATE_SQL = """
UPDATE cases_case
   SET updated_at = %(at)s, status = %(status)s, state_key = %(state)s, revision = revision + 1,
       returned = %(returned)s, joint = %(joint)s, completed_at = %(completed_at)s,
       completed_on = %(completed_on)s, decision_reason = '', pickup_code = %(pickup_code)s
 WHERE id = %(case)s
"""
SEAL_HEAD_SQL = """
SELECT last_seq, last_hash FROM audit_auditchainhead WHERE id = 1 FOR UPDATE SKIP LOCKED
"""
SEAL_ROWS_SQL = """
SELECT id, occurred_at, actor_id, actor_name, role, ip, action, object_type, object_id, summary,
       changes
  FROM audit_auditentry
 WHERE seq IS NULL AND prev_hash = '' AND entry_hash = '' AND sealed_at IS NULL
 ORDER BY id
 LIMIT 1000
"""
SEAL_ROW_SQL = """
UPDATE audit_auditentry SET seq = %s, prev_hash = %s, entry_hash = %s, sealed_at = %s
 WHERE id = %s AND seq IS NULL AND entry_hash = '' AND sealed_at IS NULL
"""
SEAL_HEAD_UPDATE_SQL = """
UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s, updated_at = %s WHERE id = 1
"""


@dataclass(frozen=True)
class Person:
    id: int
    name: str  # what the audit log records (str(user))
    phone: str
    email: str


def person(user: User) -> Person:
    return Person(user.pk, str(user), user.phone or "", user.email or "")


class HandWritten:
    """The lifecycle as parameterised SQL on one psycopg connection: one transaction per stage,
    messages delivered after the commit (one short transaction per notification), and the audit
    sealer run after a commit at most every SEAL_INTERVAL seconds, as the services do.

    psycopg's defaults: parameters bound on the server, and a statement prepared once it has run
    five times on the connection, as the project's settings run Django on PostgreSQL.
    `prepare=False` turns preparing off, as Django runs with ONEWINDOW_DB_PREPARE=false."""

    def __init__(
        self, url: str, actors: Actors, content_type: int, track: str, *, prepare: bool = True
    ) -> None:
        self.conn = psycopg.connect(url, autocommit=True, row_factory=dict_row)
        if not prepare:
            self.conn.prepare_threshold = None
        self.applicant = person(actors.applicant)
        self.acceptor = person(actors.acceptor)
        self.reviewer = person(actors.reviewer)
        self.head = person(actors.head)
        self.content_type = content_type
        self.track = track
        self.statements = 0  # round trips: statements, BEGIN and COMMIT
        self.sealing = 0  # … of which the audit sealer's
        self.last_seal = float("-inf")
        self.dirs: set[Path] = set()
        self.versions: dict[int, dict[str, Any]] = {}  # published versions, as read once
        self.materials: dict[int, list[dict[str, Any]]] = {}  # … their materials for ANSWERS

    def version(self, row: dict[str, Any]) -> dict[str, Any]:
        """`row` with its published version's fields, read once per version."""
        known = self.versions.get(row["version_id"])
        if known is None:
            known = self.versions[row["version_id"]] = self.one(VERSION_SQL, (row["version_id"],))
        return {**row, **known}

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def tx(self) -> Iterator[None]:
        self.statements += 2  # BEGIN, COMMIT
        with self.conn.transaction():
            yield

    # statements, counted (an executemany counts once, as CaptureQueriesContext counts it)
    def run(self, sql: str, params: Any = None) -> psycopg.Cursor[Any]:
        self.statements += 1
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: Any = None) -> Any:
        return self.run(sql, params).fetchone()

    def many(self, sql: str, rows: list[Any], *, returning: bool = False) -> list[Any]:
        self.statements += 1
        with self.conn.cursor() as cursor:
            cursor.executemany(sql, rows, returning=returning)
            if not returning:
                return []
            ids = []
            while True:
                ids.append(cursor.fetchone()["id"])
                if not cursor.nextset():
                    return ids

    def audit(
        self,
        actor: Person | None,
        role: str,
        action: str,
        obj: tuple[str, int],
        summary: str,
        after: dict[str, Any],
    ) -> tuple[Any, ...]:
        return (
            timezone.now(),
            actor.id if actor else None,
            actor.name if actor else "系统",
            role,
            action,
            obj[0],
            str(obj[1]),
            summary[:255],
            Jsonb({"after": after}),
        )

    def tell(
        self, case: dict[str, Any], topic: str, subject: str, body: str, link: str = ""
    ) -> list[int]:
        """The inbox and SMS messages about a case and their audit entry (inside the stage)."""
        recipient = case["submitted_by_id"] if case["applicant_id"] else None
        link = link or f"{self.track}?number={case['number']}"
        rows = [
            (
                recipient,
                case["applicant_phone"],
                case["recipient_email"] or "",
                channel,
                topic,
                subject,
                body,
                link,
                self.content_type,
                str(case["id"]),
                timezone.now(),
            )
            for channel in ("inbox", "sms")
            if (recipient if channel == "inbox" else case["applicant_phone"])
        ]
        ids = self.many(MESSAGE_INSERT_SQL, rows, returning=True)
        after = {
            "messages": ids,
            "channels": [r[3] for r in rows],
            "recipient": recipient,
            "phone": mask_phone(case["applicant_phone"]),
        }
        self.run(
            AUDIT_INSERT_SQL,
            self.audit(
                None,
                "system",
                "notify.queue",
                ("cases.case", case["id"]),
                f"消息 {topic}：{subject[:60]}",
                after,
            ),
        )
        return ids

    def after_commit(self, messages: list[int]) -> None:
        # a notification's messages together, as deliver_ids does
        with self.tx():
            rows = self.run(MESSAGE_LOCK_SQL, (messages,)).fetchall()
            if rows:
                self.run(MESSAGE_SENT_SQL, (timezone.now(), [r["id"] for r in rows]))
        now = time.monotonic()
        if now - self.last_seal >= SEAL_INTERVAL:
            self.last_seal = now
            self.seal()

    def seal(self) -> None:
        """Chain the committed unsealed audit entries behind the head (onewindow.audit.chain)."""
        before = self.statements
        try:
            self._seal()
        finally:
            self.sealing += self.statements - before

    def _seal(self) -> None:
        with self.tx():
            head = self.one(SEAL_HEAD_SQL)
            if head is None:
                return
            rows = self.run(SEAL_ROWS_SQL).fetchall()
            if not rows:
                return
            seq, prev, sealed_at, seals = head["last_seq"], head["last_hash"], timezone.now(), []
            for row in rows:
                seq += 1
                digest = entry_digest({**row, "seq": seq, "prev_hash": prev})
                seals.append((seq, prev, digest, sealed_at, row["id"]))
                prev = digest
            self.many(SEAL_ROW_SQL, seals)
            self.run(SEAL_HEAD_UPDATE_SQL, (seq, prev, sealed_at))

    def store(self, key: str, content: bytes) -> dict[str, Any]:
        """Check and hash one upload and write its bytes where FileSystemStorage puts them."""
        if not content.startswith(b"%PDF-"):
            raise ValueError(f"m_{key} is not a PDF")
        now = timezone.now()
        name = f"files/{now:%Y/%m}/{uuid.uuid4().hex}.pdf"
        path = Path(settings.MEDIA_ROOT) / name
        if path.parent not in self.dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.dirs.add(path.parent)
        with open(path, "xb") as out:
            out.write(content)
        return {
            "file": name,
            "original_name": f"{key}.pdf",
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "user": self.applicant.id,
            "created_at": now,
        }

    def next_number(self, region_code: str, level: str, day: dt.date) -> str:
        prefix = region_code[: {"town": 9, "village": 12}.get(level, 6)]
        last = self.one(SEQUENCE_NEXT_SQL, (prefix, day))["last"]
        return f"{prefix}-{day:%Y%m%d}-{last:04d}"

    def acting_post(
        self,
        user: Person,
        roles: list[str],
        region: int,
        department: int | None,
        post: int | None = None,
    ) -> dict[str, Any]:
        found = self.one(
            POST_SQL,
            {
                "roles": roles,
                "region": region,
                "department": department,
                "post": post,
                "user": user.id,
            },
        )
        if found is None:
            raise PermissionError(f"user {user.id} may not act here")
        return found

    # the four transitions ---------------------------------------------------------------------

    def submit(self) -> int:
        user = self.applicant
        with self.tx():
            item = self.version(self.one(ITEM_SQL, (FOOD,)))
            materials = self.materials.get(item["version_id"])
            if materials is None:
                materials = self.materials[item["version_id"]] = self.run(
                    MATERIALS_SQL, {"version": item["version_id"], "answers": Jsonb(ANSWERS)}
                ).fetchall()
            if materials and materials[0]["unanswered"]:
                raise ValueError("unanswered question")
            applicant = self.one(APPLICANT_SQL, (user.id,))
            for m in materials:
                if m["required"] and m["key"] not in UPLOADS and not m["deficiency_ok"]:
                    raise ValueError(f"m_{m['key']} missing")
            files = {m["key"]: self.store(m["key"], PDF) for m in materials if m["key"] in UPLOADS}
            file_ids = dict(
                zip(
                    files,
                    self.many(FILE_INSERT_SQL, list(files.values()), returning=True),
                    strict=True,
                )
            )
            self.many(
                AUDIT_INSERT_SQL,
                [
                    self.audit(
                        user,
                        "applicant",
                        "files.store",
                        ("files.storedfile", file_ids[key]),
                        f"上传文件：{f['original_name']}（PDF，{max(f['size'] // 1024, 1)} KB）",
                        {
                            "sha256": f["sha256"],
                            "size": f["size"],
                            "kind": "pdf",
                            "field": f"m_{key}",
                        },
                    )
                    for key, f in files.items()
                ],
            )
            flow = item["flow"]
            person_kind = applicant["kind"] == "person"
            now = clock.now()
            number = self.next_number(item["region_code"], item["region_level"], clock.today())
            case_id = self.one(
                CASE_INSERT_SQL,
                {
                    "at": timezone.now(),
                    "number": number,
                    "item": item["item_id"],
                    "version": item["version_id"],
                    "applicant": applicant["id"],
                    "kind": applicant["kind"],
                    "name": applicant["name"],
                    "id_number": (applicant["id_number"] or "") if person_kind else "",
                    "credit_code": "" if person_kind else (applicant["credit_code"] or ""),
                    "phone": user.phone,
                    "user": user.id,
                    "region": item["region_id"],
                    "region_path": item["region_path"],
                    "department": item["department_id"],
                    "answers": Jsonb(ANSWERS),
                    "state": next(s["key"] for s in flow["states"] if s["kind"] == "start"),
                    "immediate": item["handling"] == "immediate",
                    "submitted_at": now,
                    "limit_unit": item["limit_unit"],
                    "promised_limit": item["promised_limit"],
                    "statutory_limit": item["statutory_limit"],
                },
            )["id"]
            self.many(
                MATERIAL_INSERT_SQL,
                [
                    (
                        case_id,
                        m["key"],
                        m["name"],
                        m["required"],
                        m["deficiency_ok"],
                        "provided" if m["key"] in file_ids else "missing",
                        file_ids.get(m["key"]),
                        order,
                    )
                    for order, m in enumerate(materials)
                ],
            )
            self.run(
                EVENT_INSERT_SQL,
                (
                    case_id,
                    clock.now(),
                    "submit",
                    "提交申请",
                    "",
                    item["department_name"],
                    user.id,
                    "",
                ),
            )
            case_ref = ("cases.case", case_id)
            self.run(
                AUDIT_INSERT_SQL,
                self.audit(
                    user,
                    "applicant",
                    "case.submit",
                    case_ref,
                    f"{number} 提交申请",
                    {"status": "submitted", "state": "accept"},
                ),
            )
            case = {
                "id": case_id,
                "number": number,
                "applicant_id": applicant["id"],
                "submitted_by_id": user.id,
                "applicant_phone": user.phone,
                "recipient_email": user.email,
            }
            messages = self.tell(
                case,
                "case.submitted",
                "申请已提交",
                f"您申请的“{item['name']}”已提交，办件编号 {number}，请等待窗口受理。",
            )
        self.after_commit(messages)
        return case_id

    def accept(self, case_id: int) -> None:
        user, now, day = self.acceptor, clock.now(), clock.today()
        with self.tx():
            case = self.version(self.one(CASE_LOCK_SQL, (case_id,)))
            if case["status"] != "submitted":
                raise ValueError("not submitted")
            post = self.acting_post(user, ["acceptor"], case["region_id"], case["department_id"])
            if self.one(WAITING_SQL, (case_id,)):
                raise ValueError("waits for another case")
            held = False
            for m in self.run(MATERIALS_LOCK_SQL, (case_id,)).fetchall():
                if m["status"] != "missing":
                    continue
                if m["key"] in DEFERRED and m["deferrable"]:
                    self.run(MATERIAL_DEFER_SQL, (DEFERRED[m["key"]], m["id"]))
                    held = True
                elif m["required"]:
                    raise ValueError(f"m_{m['key']} missing")
            flow = case["flow"]
            states = {s["key"]: s for s in flow["states"]}
            start = next(s for s in flow["states"] if s["kind"] == "start")
            action = next(
                a
                for a in flow["actions"]
                if a["from"] == start["key"] and states[a["to"]]["kind"] != "end"
            )
            promised_due = clock.due_date(day, case["promised_limit"], case["limit_unit"])
            statutory_due = clock.due_date(day, case["statutory_limit"], case["limit_unit"])
            label = "容缺受理" if held else "受理"
            self.run(
                EVENT_INSERT_SQL,
                (
                    case_id,
                    clock.now(),
                    "accept",
                    label,
                    "",
                    case["department_name"],
                    user.id,
                    post["role"],
                ),
            )
            target = states[action["to"]]
            self.open_step(case, target, now, day)
            self.run(
                ACCEPT_UPDATE_SQL,
                {
                    "at": timezone.now(),
                    "state": target["key"],
                    "window": case["window_id"] or post["window_id"],
                    "user": user.id,
                    "now": now,
                    "day": day,
                    "promised_due": promised_due,
                    "statutory_due": statutory_due,
                    "result_held": held,
                    "case": case_id,
                },
            )
            self.run(
                AUDIT_INSERT_SQL,
                self.audit(
                    user,
                    post["role"],
                    "case.accept",
                    ("cases.case", case_id),
                    f"{case['number']} {label}",
                    {"status": "in_progress", "state": target["key"], "due": str(promised_due)},
                ),
            )
            due = f"，承诺办结日期 {promised_due:%Y年%m月%d日}" if promised_due else ""
            messages = self.tell(
                case,
                "case.accepted",
                "申请已受理",
                f"您的“{case['version_name']}”（{case['number']}）已{label}{due}。",
            )
        self.after_commit(messages)

    def open_step(
        self, case: dict[str, Any], state: dict[str, Any], now: dt.datetime, day: dt.date
    ) -> None:
        if case["region_id"] != case["item_region_id"]:
            raise NotImplementedError("devolved items (县镇同权) are not part of this benchmark")
        limit = int(state.get("limit", 0))
        self.run(
            STEP_INSERT_SQL,
            (
                case["id"],
                state["key"],
                state["name"],
                ",".join(["", *state["roles"], ""]),
                case["item_region_id"],
                case["item_department_id"],
                now,
                day,
                limit,
                clock.due_date(day, limit, clock.WORKING_DAYS),
            ),
        )

    def act(self, case_id: int, user: Person, action: str) -> None:
        now, day = clock.now(), clock.today()
        messages: list[int] = []
        invitation: list[int] = []
        with self.tx():
            case = self.version(self.one(CASE_LOCK_SQL, (case_id,)))
            if case["status"] != "in_progress":
                raise ValueError("not in progress")
            flow = case["flow"]
            states = {s["key"]: s for s in flow["states"]}
            spec = next(
                a for a in flow["actions"] if a["from"] == case["state_key"] and a["key"] == action
            )
            state, target = states[case["state_key"]], states[spec["to"]]
            step = post = None
            for candidate in self.run(STEPS_LOCK_SQL, (case_id, case["state_key"])).fetchall():
                roles = [r for r in candidate["roles"].split(",") if r in spec["roles"]]
                with contextlib.suppress(PermissionError):
                    post = self.acting_post(
                        user,
                        roles,
                        candidate["region_id"],
                        candidate["department_id"],
                        candidate["post_id"],
                    )
                    step = candidate
                    break
            if step is None or post is None:
                raise PermissionError("no open step for this actor")
            self.run(STEP_CLOSE_SQL, (now, user.id, action, step["id"]))
            self.run(STEPS_CLOSE_OPEN_SQL, (now, user.id, action, case_id))
            self.run(
                EVENT_INSERT_SQL,
                (
                    case_id,
                    clock.now(),
                    action,
                    spec["name"],
                    state["name"],
                    step["department_name"] or case["department_name"],
                    user.id,
                    post["role"],
                ),
            )
            finished = target["kind"] == "end"
            pickup_code = ""
            if finished:
                pickup_code = f"{secrets.randbelow(10**6):06d}"
                self.run(STEPS_CLOSE_OPEN_SQL, (now, user.id, "finished", case_id))
                self.run(
                    EVENT_INSERT_SQL,
                    (
                        case_id,
                        clock.now(),
                        "finish",
                        "办结：准予",
                        "",
                        case["department_name"],
                        user.id,
                        post["role"],
                    ),
                )
                self.run(
                    LICENCE_INSERT_SQL,
                    (
                        timezone.now(),
                        timezone.now(),
                        f"{case['number']}-Z",
                        case["result_name"] or case["version_name"],
                        case_id,
                        case["applicant_id"],
                        case["applicant_name"],
                        day,
                        secrets.token_urlsafe(18),
                    ),
                )
            else:
                self.open_step(case, target, now, day)
            status = "approved" if finished else "in_progress"
            self.run(
                ACT_UPDATE_SQL,
                {
                    "at": timezone.now(),
                    "status": status,
                    "state": target["key"],
                    "returned": case["returned"],
                    "joint": case["joint"],
                    "completed_at": now if finished else None,
                    "completed_on": day if finished else None,
                    "pickup_code": pickup_code,
                    "case": case_id,
                },
            )
            self.run(
                AUDIT_INSERT_SQL,
                self.audit(
                    user,
                    post["role"],
                    f"case.act.{action}",
                    ("cases.case", case_id),
                    f"{case['number']} {spec['name']}",
                    {"status": status, "state": target["key"]},
                ),
            )
            if finished:
                name, number = case["version_name"], case["number"]
                if case["result_held"]:
                    messages = self.tell(
                        case,
                        "case.finished_held",
                        "办件已办结，待补齐容缺材料",
                        f"您的“{name}”（{number}）已办结。请按承诺补齐容缺材料，补齐后即可领取结果。",
                    )
                else:
                    messages = self.tell(
                        case,
                        "case.result_ready",
                        "办理结果可以领取",
                        f"您的“{name}”（{number}）已办结，请凭取件码 {pickup_code} "
                        "和本人证件到统一出件窗口领取；电子证照可在网上下载。",
                    )
                # the invitation to rate (好差评), once per case
                if not self.one(INVITE_EXISTS_SQL, (self.content_type, str(case_id), INVITE)):
                    invitation = self.tell(
                        case,
                        INVITE,
                        "请为本次办事服务评价",
                        f"您的“{name}”（{number}）已办结。请对本次服务作出评价"
                        "（非常满意、满意、基本满意、不满意、非常不满意），"
                        "您的评价对被评价工作人员匿名。",
                        link=rating_path(case_id),
                    )
        self.after_commit(messages)
        if invitation:
            self.after_commit(invitation)

    def stages(self) -> Iterator[tuple[str, Callable[[int], int]]]:
        yield "submit", lambda _: self.submit()
        yield "accept", lambda case_id: self.accept(case_id) or case_id
        yield "pass", lambda case_id: self.act(case_id, self.reviewer, "pass") or case_id
        yield "approve", lambda case_id: self.act(case_id, self.head, "approve") or case_id

    def lifecycle(self) -> int:
        case_id = 0
        for _name, stage in self.stages():
            case_id = stage(case_id)
        return case_id

    def count_statements(self) -> dict[str, int]:
        """Round trips per transition of one lifecycle, the audit sealer's aside."""
        result, case_id = {}, 0
        for name, stage in self.stages():
            before = self.statements - self.sealing
            case_id = stage(case_id)
            result[name] = self.statements - self.sealing - before
        return result


# -- checking that both do the same ----------------------------------------------------------------

FINGERPRINT_SQL = {
    "case": """
        SELECT status, state_key, revision, applicant_kind, applicant_name, applicant_phone,
               region_path, answers, immediate, joint, returned, accepted_on, promised_due,
               statutory_due, completed_on, result_held, window_id, accepted_by_id,
               submitted_by_id, applicant_id, length(pickup_code) AS pickup_code
          FROM cases_case WHERE id = %(case)s""",
    "materials": """
        SELECT m.key, m.name, m.required, m."deferrable", m.status, m.promised_by, m."order",
               f.original_name, f.size, f.sha256, f.kind, f.content_type, f.uploaded_by_id
          FROM cases_casematerial m LEFT JOIN files_storedfile f ON f.id = m.file_id
         WHERE m.case_id = %(case)s ORDER BY m."order"
    """,
    "events": """
        SELECT action, label, state_name, department_name, actor_id, role, note, public
          FROM cases_caseevent WHERE case_id = %(case)s ORDER BY id""",
    "steps": """
        SELECT state_key, state_name, kind, roles, region_id, department_id, started_on, "limit",
               due, closed_by_id, outcome, note
          FROM cases_step WHERE case_id = %(case)s ORDER BY id""",
    "licence": """
        SELECT replace(number, %(number)s, 'N') AS number, name, holder_id, holder_name, issued_on
          FROM cases_licence WHERE case_id = %(case)s""",
    "messages": """
        SELECT recipient_id, phone, email, channel, topic, subject,
               replace(body, %(number)s, 'N') AS body,
               regexp_replace(replace(link, %(number)s, 'N'), '/rate/[^/]+/', '/rate/T/') AS link,
               status, attempts
          FROM notifications_message
         WHERE content_type_id = %(content_type)s AND object_id = %(case)s::text ORDER BY id""",
    "audit": """
        SELECT actor_id, actor_name, role, action, object_type,
               replace(summary, %(number)s, 'N') AS summary,
               changes, seq IS NOT NULL AS sealed
          FROM audit_auditentry
         WHERE (object_type = 'cases.case' AND object_id = %(case)s::text)
            OR (object_type = 'files.storedfile' AND object_id IN (
                SELECT file_id::text FROM cases_casematerial WHERE case_id = %(case)s))
         ORDER BY id""",
}


def fingerprint(conn: psycopg.Connection[Any], case_id: int, content_type: int) -> dict[str, Any]:
    number = conn.execute("SELECT number FROM cases_case WHERE id = %s", (case_id,)).fetchone()
    params = {"case": case_id, "number": number["number"], "content_type": content_type}
    result = {name: conn.execute(sql, params).fetchall() for name, sql in FINGERPRINT_SQL.items()}
    for row in result["audit"]:  # the audit "after" of messages lists their (different) ids
        row["changes"].get("after", {}).pop("messages", None)
    return result


def check_same(reference: HandWritten, actors: Actors, content_type: int) -> None:
    """One lifecycle each; every row they wrote must match, field by field (ids and the case
    number aside), and the hand-written sealer must have chained the audit log correctly."""
    service_case = service_lifecycle(actors)
    reference_case = reference.lifecycle()
    seal_pending()
    reference.seal()
    ours = fingerprint(reference.conn, service_case, content_type)
    theirs = fingerprint(reference.conn, reference_case, content_type)
    for part in ours:
        if ours[part] != theirs[part]:
            raise AssertionError(
                f"service and hand-written lifecycles differ in {part}:\n"
                f"  service:      {ours[part]}\n  hand-written: {theirs[part]}"
            )
    counts = {part: len(rows) for part, rows in ours.items()}
    print(
        "  check: one lifecycle each wrote the same rows "
        + ", ".join(f"{part} {n}" for part, n in counts.items())
    )


# -- queries per transition ------------------------------------------------------------------------

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def is_seal(sql: str) -> bool:
    return (
        "audit_auditchainhead" in sql
        or "SET seq = " in sql
        or ('"audit_auditentry"."seq" IS NULL' in sql and sql.startswith("SELECT"))
    )


def count_queries(actors: Actors) -> dict[str, dict[str, int]]:
    """Queries per transition of one lifecycle, sorted into: reads before the transaction,
    statements inside it, transaction control (BEGIN, COMMIT, SAVEPOINT …), message delivery
    after the commit, and the audit sealer's pass (when its throttle lets it run)."""
    result = {}
    case = None
    for name, stage in service_stages(actors):
        with CaptureQueriesContext(connection) as captured:
            case = stage(case)
        queries = [q["sql"] for q in captured.captured_queries]
        sealing: set[int] = set()  # the sealer's transactions, BEGIN and COMMIT included
        began = 0
        for i, sql in enumerate(queries):
            if sql == "BEGIN":
                began = i
            elif sql == "COMMIT" and any(is_seal(q) for q in queries[began:i]):
                sealing.update(range(began, i + 1))
        kinds = dict.fromkeys(("before", "inside", "control", "delivery", "seal"), 0)
        phase = "before"
        for i, sql in enumerate(queries):
            if i in sealing:
                kinds["seal"] += 1
            elif sql.startswith(CONTROL):
                kinds["control"] += 1
                if sql == "BEGIN" and phase == "before":
                    phase = "inside"
                elif sql == "COMMIT" and phase == "inside":
                    phase = "delivery"
            else:
                kinds[phase] += 1
        kinds["total"] = len(captured.captured_queries)
        result[name] = kinds
    return result


# -- measuring -------------------------------------------------------------------------------------


def measure(
    args: argparse.Namespace, sides: dict[str, Callable[[], int]]
) -> dict[str, tuple[float, float]]:
    """N lifecycles of each side, in alternating rounds (service, hand-written, …, service, …)
    so that all see the same machine; the audit log is sealed (untimed) between rounds so that
    no side seals another's entries. Returns lifecycles per second and this process's CPU time
    per lifecycle (the Python side: the database server runs in its own processes)."""
    per_round = [args.n // args.rounds + (i < args.n % args.rounds) for i in range(args.rounds)]
    elapsed = dict.fromkeys(sides, 0.0)
    cpu = dict.fromkeys(sides, 0.0)
    with tqdm(total=len(sides) * args.n, unit="lifecycle", file=sys.stderr, leave=False) as bar:
        for count in per_round:
            for side, lifecycle in sides.items():
                bar.set_description(side)
                seal_pending()
                began, began_cpu = time.perf_counter(), time.process_time()
                for _ in range(count):
                    lifecycle()
                    bar.update()
                elapsed[side] += time.perf_counter() - began
                cpu[side] += time.process_time() - began_cpu
    seal_pending()
    return {side: (args.n / elapsed[side], cpu[side] / args.n) for side in sides}


def where(filename: str, function: str) -> str:
    """The part of the stack a profiled function belongs to, for the breakdown."""
    if "site-packages/" in filename:
        parts = filename.split("site-packages/", 1)[1].split("/")
        if parts[0] == "psycopg" and function == "wait":
            return "psycopg: waiting for the server (queries, commits, fsync)"
        if parts[0] == "django":
            return "django/" + "/".join(parts[1:3]).removesuffix(".py")
        return parts[0]
    if "/onewindow/" in filename:
        return "onewindow/" + filename.split("/onewindow/", 1)[1].split("/", 1)[0]
    return "standard library, builtins"


def profile(n: int, actors: Actors, top: int = 20, dump: str = "") -> str:
    """cProfile of n service lifecycles: own time by part of the stack, then the functions
    (and the raw statistics written to `dump` for pstats, when given)."""
    profiler = cProfile.Profile()
    seal_pending()
    began = time.perf_counter()
    profiler.enable()
    for _ in range(n):
        service_lifecycle(actors)
    profiler.disable()
    seconds = time.perf_counter() - began
    seal_pending()
    if dump:
        profiler.dump_stats(dump)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    parts: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        key = where(filename, function)
        parts[key] = parts.get(key, 0.0) + own
    total = sum(parts.values())
    print(f"\nprofile of {n} service lifecycles ({n / seconds:.1f}/s under cProfile)", file=out)
    print("  own time by part of the stack:", file=out)
    for key, own in sorted(parts.items(), key=lambda kv: -kv[1])[:10]:
        print(f"    {own / total:6.1%}  {1000 * own / n:6.1f} ms/lifecycle  {key}", file=out)
    stats.sort_stats("cumulative").print_stats(r"/onewindow/", 2 * top)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    return out.getvalue()


def skip(message: str, strict: bool) -> int:
    print(f"SKIPPED: {message}")
    return 1 if strict else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="lifecycles per side (300)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per side (3)")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="then cProfile N service lifecycles"
    )
    parser.add_argument(
        "--profile-out", default="", metavar="FILE", help="write the raw cProfile data to FILE"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when skipped or below the goal"
    )
    args = parser.parse_args()
    args.rounds = max(1, min(args.rounds, args.n))
    url = database_url()
    if connection.vendor != "postgresql" or not url.startswith(("postgres://", "postgresql://")):
        return skip(
            f"bench/cases.py measures PostgreSQL only; DATABASE_URL is {url.split(':', 1)[0]}:… "
            f"(unset it to use {DEFAULT_URL})",
            args.strict,
        )
    try:
        ensure_database(url)
    except psycopg.OperationalError as exc:
        return skip(f"cannot reach PostgreSQL at {url}: {str(exc).strip()}", args.strict)
    prepare_database()

    from django.contrib.contenttypes.models import ContentType

    from onewindow.cases.models import Case

    actors = load_actors()
    content_type = ContentType.objects.get_for_model(Case).pk
    track = reverse("cases:track")
    reference = HandWritten(url, actors, content_type, track)
    unprepared = HandWritten(url, actors, content_type, track, prepare=False)
    sides: dict[str, Callable[[], int]] = {
        "service": lambda: service_lifecycle(actors),
        "hand-written": reference.lifecycle,
        "hand-written, unprepared": unprepared.lifecycle,
    }
    try:
        with clock.simulate(DAY):
            print(
                f"case lifecycles: {FOOD} 食品经营许可, submit (4 PDFs) → accept (容缺) → "
                "审查 pass → 审批决定 approve → 办结; "
                "the flow has two back-office states (审查, 审批决定)"
            )
            print(f"  {machine()}; MEDIA_ROOT {MEDIA_ROOT} (temporary)")
            for _ in range(3):  # warm up: imports, caches, the calendar, prepared statements
                for lifecycle in sides.values():
                    lifecycle()
            check_same(reference, actors, content_type)
            queries = count_queries(actors)
            statements = reference.count_statements()
            rates = measure(args, sides)
            profiled = profile(args.profile, actors, dump=args.profile_out) if args.profile else ""
    finally:
        reference.close()
        unprepared.close()

    service, hand = rates["service"][0], rates["hand-written"][0]
    ratio = service / hand
    print(
        f"  {args.n} lifecycles per side in {args.rounds} alternating rounds "
        "(CPU: this process, i.e. Python; the rest of the time is spent waiting for PostgreSQL):"
    )
    for side, (rate, cpu) in rates.items():
        print(
            f"    {side:<26} {rate:7.1f} lifecycles/s  ({1000 / rate:5.1f} ms each, "
            f"CPU {1000 * cpu:5.1f} ms)   service / this: {service / rate:.2f}"
        )
    print(
        f"    ratio service / hand-written: {ratio:.2f} (goal >= {GOAL:.2f}): "
        f"{'met' if ratio >= GOAL else 'NOT met'}"
    )
    print("  queries per transition, service layer (CaptureQueriesContext) and hand-written:")
    print(
        f"    {'':<10} {'service':>7}  {'before tx':>9} {'in tx':>5} {'BEGIN/COMMIT/SP':>15}"
        f" {'delivery':>8} {'audit seal':>10}   {'hand-written':>12}"
    )
    for name in [*TRANSITIONS, "lifecycle"]:
        q = (
            queries[name]
            if name in queries
            else {k: sum(q[k] for q in queries.values()) for k in queries["submit"]}
        )
        hand_count = statements.get(name, sum(statements.values()))
        print(
            f"    {name:<10} {q['total']:>7}  {q['before']:>9} {q['inside']:>5} {q['control']:>15}"
            f" {q['delivery']:>8} {q['seal']:>10}   {hand_count:>12}"
        )
    print(
        f"    (the audit sealer runs after a commit at most every {SEAL_INTERVAL:g} s per process,"
        " so it shows in some transitions only; the hand-written count leaves it out and counts"
        " BEGIN and COMMIT, an executemany once)"
    )
    print(profiled, end="")
    if args.strict and ratio < GOAL:
        print(f"FAIL: ratio {ratio:.2f} below the goal {GOAL:.2f}")
        return 1
    return 0


if __name__ == "__main__":
    try:
        status = main()
    finally:
        shutil.rmtree(MEDIA_ROOT, ignore_errors=True)
    sys.exit(status)
