"""The case's documents as PDFs: the receipt (收件回执), the acceptance notice (受理通知书), the
refusal decision (不予受理决定书), the supplement notice (补正材料通知书), the denial (不予许可决定书)
and the result licence (电子证照).

Each is rendered once from the case as it stands, kept as a `StoredFile` (hashed, audited) and
served from storage afterwards, so the applicant always downloads the same document. A document
is made again only when what it reports has changed since (a new supplement request, a new
acceptance after the case was returned to the counter).

Chinese text needs the font "WenQuanYi Micro Hei" (Debian: fonts-wqy-microhei); QR codes are
inline SVG data URIs and weasyprint loads nothing else (see `catalogue.notice.OfflineFetcher`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno
import weasyprint
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from onewindow.accounts.choices import ApplicantKind
from onewindow.accounts.selectors import audit_role
from onewindow.audit.services import audit_record
from onewindow.catalogue.notice import OfflineFetcher
from onewindow.core.errors import InvalidTransition, NotFound
from onewindow.core.personal import mask_id_number, mask_phone
from onewindow.files.models import StoredFile

from . import clock
from .choices import CaseStatus
from .models import Case, Document, Licence

CSS_PATH = Path(__file__).parent / "templates" / "cases" / "pdf" / "document.css"
LABELS: dict[str, str] = dict(Document.KINDS)
SUFFIXES = {
    "receipt": "SJ",
    "acceptance": "SL",
    "refusal": "BSL",
    "supplement": "BZ",
    "denial": "BXK",
}
REMEDY_DAYS = "六十日"
REMEDY_MONTHS = "六个月"


# -- what applies ---------------------------------------------------------------------------------


def available_documents(case: Case) -> list[tuple[str, str]]:
    """The documents this case has in its present state, as (kind, label)."""
    kinds: list[tuple[str, str]] = [("receipt", LABELS["receipt"])]
    if case.accepted_at is not None:
        kinds.append(("acceptance", LABELS["acceptance"]))
    if case.supplements.exists():
        kinds.append(("supplement", LABELS["supplement"]))
    if case.status == CaseStatus.REFUSED:
        kinds.append(("refusal", LABELS["refusal"]))
    if case.status == CaseStatus.DENIED:
        kinds.append(("denial", LABELS["denial"]))
    if case.status == CaseStatus.APPROVED and not case.result_held:
        licence = Licence.objects.filter(case=case).only("name").first()
        if licence is not None:
            kinds.append(("result", licence.name))
    return kinds


def _refuse(case: Case, kind: str) -> None:
    if kind not in LABELS:
        raise NotFound(f"没有“{kind}”这种文书。", field="kind")
    if kind not in dict(available_documents(case)):
        if kind == "result" and case.status == CaseStatus.APPROVED and case.result_held:
            raise InvalidTransition("容缺材料尚未补齐，办理结果暂缓发放。", code="conflict")
        raise InvalidTransition(
            f"办件 {case.number} 当前为“{case.get_status_display()}”，没有{LABELS[kind]}。",
            field="kind",
            code="conflict",
        )


def _occasion(case: Case, kind: str) -> int:
    """Which issue of the document the case's present state calls for: a case accepted again
    after being returned to the counter gets a second acceptance notice, a second supplement
    request a second supplement notice. (Counted, not timed: case times follow the case clock,
    which the demo and the tests simulate.)"""
    if kind == "acceptance":
        return max(case.events.filter(action="accept").count(), 1)
    if kind == "supplement":
        return max(case.supplements.count(), 1)
    return 1


def _file_name(case: Case, kind: str) -> str:
    n = _occasion(case, kind)
    return f"{case.number}-{LABELS[kind]}" + (f"-{n}" if n > 1 else "") + ".pdf"


# -- rendering --------------------------------------------------------------------------------


def public_base(base_url: str | None = None) -> str:
    """The site's public address for the QR codes, baked into the kept PDF: the setting
    ONEWINDOW_PUBLIC_URL when set (so that a staff member on an internal host name does not bake
    that name into an applicant's licence), else the request's, else the first allowed host."""
    base = getattr(settings, "ONEWINDOW_PUBLIC_URL", "") or base_url or ""
    if not base:
        hosts = [h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")]
        base = f"https://{hosts[0] if hosts else 'localhost'}"
    return base.rstrip("/")


def _qr(url: str) -> str:
    return str(segno.make(url, error="m").svg_data_uri(scale=4))


def _local_date(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value else None


def _applicant(case: Case) -> dict[str, str]:
    if case.applicant_kind == ApplicantKind.PERSON:
        id_label, id_value = "身份证号码", mask_id_number(case.applicant_id_number)
    else:
        id_label, id_value = "统一社会信用代码", case.applicant_credit_code
    return {
        "name": case.applicant_name,
        "id_label": id_label,
        "id_value": id_value,
        "phone": mask_phone(case.applicant_phone),
    }


def _limit_text(case: Case, days: int) -> str:
    if case.immediate:
        return "当场办结"
    return f"{days} {case.version.get_limit_unit_display()}"


def _remedy(case: Case) -> str:
    government = f"{case.department.region.name}人民政府"
    return (
        f"申请人如对本决定不服，可以自收到本决定书之日起{REMEDY_DAYS}内向{government}申请行政复议，"
        f"也可以自收到本决定书之日起{REMEDY_MONTHS}内依法向人民法院提起行政诉讼。"
    )


def _legal_basis(case: Case) -> str:
    if case.legal_basis:
        return case.legal_basis
    return "；".join(case.version.legal_basis or [])


def _issue(case: Case, kind: str) -> str:
    n = _occasion(case, kind)
    return str(n) if n > 1 else ""


def document_context(case: Case, kind: str, *, base_url: str | None = None) -> dict[str, Any]:
    base = public_base(base_url)
    track_path = reverse("cases:track")
    context: dict[str, Any] = {
        "css": CSS_PATH.read_text(encoding="utf-8"),
        "kind": kind,
        "title": LABELS[kind],
        "case": case,
        "item_name": case.version.name,
        "item_code": case.item.code,
        "issuer": case.department.name,
        "centre_name": settings.ONEWINDOW_CENTRE_NAME,
        "doc_number": f"{case.number}-{SUFFIXES.get(kind, 'JG')}{_issue(case, kind)}",
        "applicant": _applicant(case),
        "track_url": f"{base}{track_path}",
        "qr": _qr(f"{base}{track_path}?number={case.number}"),
    }
    if kind == "receipt":
        context["doc_date"] = _local_date(case.submitted_at)
        context["submitted_at"] = timezone.localtime(case.submitted_at)
        context["materials"] = list(case.materials.all())
        context["promised"] = _limit_text(case, case.promised_limit)
        from onewindow.evaluation.tokens import rating_path  # 扫码评: the case's signed link

        context["rate_url"] = f"{base}{rating_path(case.pk)}"
        context["rate_qr"] = _qr(context["rate_url"])
    elif kind == "acceptance":
        context["doc_date"] = case.accepted_on
        context["promised"] = _limit_text(case, case.promised_limit)
        context["statutory"] = _limit_text(case, case.statutory_limit)
        context["deferred"] = [m for m in case.materials.all() if m.promised_by is not None]
    elif kind == "refusal":
        context["doc_date"] = case.completed_on
        context["legal_basis"] = _legal_basis(case)
        context["remedy"] = _remedy(case)
    elif kind == "supplement":
        request = case.supplements.order_by("requested_at").last()
        if request is None:
            raise InvalidTransition("本办件没有补正告知。", code="conflict")
        context["doc_date"] = _local_date(request.requested_at)
        context["items"] = request.items
    elif kind == "denial":
        context["doc_date"] = case.completed_on
        context["legal_basis"] = _legal_basis(case)
        context["remedy"] = _remedy(case)
    elif kind == "result":
        licence = Licence.objects.get(case=case)
        verify_url = f"{base}{reverse('verify:licence', args=[licence.token])}"
        context.update(
            title=licence.name,
            licence=licence,
            doc_number=licence.number,
            doc_date=licence.issued_on,
            verify_url=verify_url,
            qr=_qr(verify_url),
        )
    return context


def render_document(case: Case, kind: str, *, base_url: str | None = None) -> bytes:
    """The document as PDF bytes (nothing stored)."""
    context = document_context(case, kind, base_url=base_url)
    template = "cases/pdf/licence.html" if kind == "result" else f"cases/pdf/{kind}.html"
    html = render_to_string(template, context)
    pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=OfflineFetcher()).write_pdf()
    return bytes(pdf)


# -- storing ------------------------------------------------------------------------------------


def _store(content: bytes, name: str, actor: Any) -> StoredFile:
    from onewindow.files.services import store_bytes

    return store_bytes(content=content, name=name, actor=actor, allowed=("pdf",))


def licence_file(licence: Licence, *, actor: Any = None, base_url: str | None = None) -> StoredFile:
    """The licence's PDF, rendered and kept the first time it is asked for."""
    with transaction.atomic():
        locked = Licence.objects.select_for_update().get(pk=licence.pk)
        if locked.file_id is not None:
            stored = StoredFile.objects.get(pk=locked.file_id)
            licence.file = stored
            return stored
        case = Case.objects.select_related("version", "item", "department__region").get(
            pk=locked.case_id
        )
        content = render_document(case, "result", base_url=base_url)
        stored = _store(content, f"{locked.name}-{locked.number}.pdf", actor)
        locked.file = stored
        locked.save(update_fields=["file", "updated_at"])
        audit_record(
            action="case.licence_file",
            actor=actor if getattr(actor, "pk", None) else None,
            role=audit_role(actor),
            obj=case,
            summary=f"{case.number} 生成电子证照 {locked.number}",
            after={"licence": locked.number, "sha256": stored.sha256},
        )
    licence.file = stored
    return stored


def case_document(
    case: Case, kind: str, *, actor: Any = None, base_url: str | None = None
) -> Document:
    """The case's document of `kind`: rendered and kept the first time, the kept one afterwards.
    `InvalidTransition` when the case has no such document in its present state."""
    with transaction.atomic():
        # one render at a time per case: two first downloads at once keep one document
        Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).get()
        case = Case.objects.select_related("version", "item", "department__region").get(pk=case.pk)
        _refuse(case, kind)
        existing = case.documents.filter(kind=kind).select_related("file").order_by("-pk").first()
        if kind == "result":
            stored = licence_file(case.licence, actor=actor, base_url=base_url)
            if existing is not None and existing.file_id == stored.pk:
                return existing
        else:
            name = _file_name(case, kind)
            if existing is not None and existing.file.original_name == name:
                return existing
            content = render_document(case, kind, base_url=base_url)
            stored = _store(content, name, actor)
        document = Document.objects.create(case=case, kind=kind, file=stored)
        audit_record(
            action="case.document",
            actor=actor if getattr(actor, "pk", None) else None,
            role=audit_role(actor),
            obj=case,
            summary=f"{case.number} 生成{LABELS[kind]}",
            after={"kind": kind, "sha256": stored.sha256},
        )
    return document


# -- public verification ----------------------------------------------------------------------


def mask_name(name: str) -> str:
    """A person's name partly hidden: 张伟 → 张*, 张三伟 → 张*伟, 欧阳娜娜 → 欧**娜."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True)
class Verification:
    state: str  # valid | revoked | expired
    state_label: str
    holder: str
    name: str
    number: str
    item_name: str
    department: str
    issued_on: dt.date
    valid_until: dt.date | None
    revoked_on: dt.date | None


def verify_licence(token: str) -> Verification | None:
    """What the public verification page shows for a licence's QR token (None: unknown)."""
    licence = (
        Licence.objects.select_related("case__version", "case__department")
        .filter(token=(token or "").strip())
        .first()
    )
    if licence is None:
        return None
    today = clock.today()
    if licence.revoked_at is not None:
        state, label = "revoked", "已注销（已撤销）"
    elif licence.valid_until is not None and today > licence.valid_until:
        state, label = "expired", "已过有效期"
    else:
        state, label = "valid", "有效"
    case = licence.case
    holder = licence.holder_name
    if case.applicant_kind == ApplicantKind.PERSON:
        holder = mask_name(holder)
    return Verification(
        state=state,
        state_label=label,
        holder=holder,
        name=licence.name,
        number=licence.number,
        item_name=case.version.name,
        department=case.department.name,
        issued_on=licence.issued_on,
        valid_until=licence.valid_until,
        revoked_on=_local_date(licence.revoked_at),
    )
