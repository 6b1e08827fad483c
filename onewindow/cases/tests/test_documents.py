"""The case's documents as real PDFs (read back with pdftotext), and the public verification
page of a licence."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.audit.models import AuditEntry
from onewindow.cases import documents, services
from onewindow.cases.models import Case, Document, Licence
from onewindow.core.errors import InvalidInput, InvalidTransition, NotFound
from onewindow.files.selectors import read_verified
from onewindow.files.services import store_bytes

from .conftest import FOOD, PDF, applicant, pdf, user

pytestmark = pytest.mark.django_db

FOOD_NEW = {"apply_type": "new", "agent": "self"}
FOOD_UPLOADS = ("app_form", "licence", "id_card", "layout")
BASE = "https://zwfw.example.gov.cn"


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} (poppler-utils) is required in CI")
        pytest.skip(f"{tool} not installed")
    return path


def text_of(content: bytes, tmp_path: Path) -> str:
    assert content.startswith(b"%PDF")
    path = tmp_path / "document.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        [need("pdftotext"), str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return "".join(text.split())  # lines wrap anywhere in Chinese text


def document_text(case: Case, kind: str, tmp_path: Path) -> str:
    document = documents.case_document(case, kind, base_url=BASE)
    return text_of(read_verified(document.file), tmp_path)


def food_online() -> Case:
    return services.case_submit(
        actor=applicant("13900000012"),
        item_code=FOOD,
        answers=FOOD_NEW,
        uploads={k: pdf(f"{k}.pdf") for k in FOOD_UPLOADS},
    )


def accepted(case: Case) -> Case:
    return services.case_accept(
        case=case, actor=user("zc01"), deferred={"rules": dt.date(2026, 3, 9)}
    )


def approved() -> Case:
    case = accepted(food_online())
    case = services.case_act(case=case, actor=user("scjg_sp2"), action="pass")
    return services.case_act(case=case, actor=user("scjg_fzr"), action="approve")


def test_store_bytes_keeps_a_pdf_and_refuses_anything_else() -> None:
    stored = store_bytes(content=PDF, name="回执.pdf", actor=None, allowed=("pdf",))
    assert stored.kind == "pdf" and stored.original_name == "回执.pdf"
    assert read_verified(stored) == PDF
    assert AuditEntry.objects.filter(action="files.store", object_id=str(stored.pk)).exists()
    with pytest.raises(InvalidInput):
        store_bytes(content=b"not a pdf", name="x.pdf", actor=None, allowed=("pdf",))


def test_receipt_and_acceptance_notice_under_tolerance(days, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = food_online()
    assert documents.available_documents(case) == [("receipt", "收件回执")]
    text = document_text(case, "receipt", tmp_path)
    for expected in (
        "收件回执",
        case.number,
        "食品经营许可",
        case.applicant_name,
        case.applicant_credit_code,
        "/cases/track/",
        "后四位",
        "（印章）",
        f"{case.number}-SJ",
    ):
        assert expected in text, expected
    # a second request gives the document kept the first time
    first = documents.case_document(case, "receipt")
    assert documents.case_document(case, "receipt").pk == first.pk
    assert Document.objects.filter(case=case, kind="receipt").count() == 1

    with pytest.raises(InvalidTransition):
        documents.case_document(case, "acceptance")
    with pytest.raises(NotFound):
        documents.case_document(case, "nonsense")

    case = accepted(case)
    assert [k for k, _ in documents.available_documents(case)] == ["receipt", "acceptance"]
    text = document_text(case, "acceptance", tmp_path)
    for expected in (
        "受理通知书",
        case.number,
        "食品经营许可",
        "2026年3月9日",  # promised completion date and the rules' promise date
        "2026年3月16日",  # statutory date
        "容缺",
        "结果暂缓发放",
    ):
        assert expected in text, expected
    assert AuditEntry.objects.filter(action="case.document", object_id=str(case.pk)).count() == 2


def test_supplement_notice_lists_every_item_of_the_last_request(days, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = food_online()
    services.case_request_supplement(
        case=case,
        actor=user("zc01"),
        items=[
            {"key": "layout", "reason": "未标注设备位置"},
            {"key": "id_card", "reason": "复印件不清晰"},
        ],
    )
    text = document_text(case, "supplement", tmp_path)
    for expected in (
        "补正材料通知书",
        case.number,
        "食品经营许可",
        "未标注设备位置",
        "复印件不清晰",
    ):
        assert expected in text, expected
    first = documents.case_document(case, "supplement")

    services.case_supply(
        case=case,
        actor=applicant("13900000012"),
        uploads={"layout": pdf(), "id_card": pdf()},
    )
    services.case_request_supplement(
        case=case, actor=user("zc01"), items=[{"key": "app_form", "reason": "缺少法定代表人签字"}]
    )
    second = documents.case_document(case, "supplement")
    assert second.pk != first.pk
    text = text_of(read_verified(second.file), tmp_path)
    assert "缺少法定代表人签字" in text and "未标注设备位置" not in text
    assert f"{case.number}-BZ2" in text
    assert documents.case_document(case, "supplement").pk == second.pk


def test_refusal_decision_states_reason_basis_and_remedies(days, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = services.case_refuse(
        case=food_online(),
        actor=user("zc01"),
        reason="经营场所为住宅，不符合食品经营场所要求",
        legal_basis="《食品经营许可和备案管理办法》第十二条",
    )
    assert "refusal" in dict(documents.available_documents(case))
    text = document_text(case, "refusal", tmp_path)
    for expected in (
        "不予受理决定书",
        case.number,
        "食品经营许可",
        "经营场所为住宅",
        "第十二条",
        "行政复议",
        "六十日",
        "六个月",
        "行政诉讼",
    ):
        assert expected in text, expected


def test_denial_states_the_decision_reason_and_remedies(days, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = accepted(food_online())
    case = services.case_act(case=case, actor=user("scjg_sp2"), action="pass")
    case = services.case_act(
        case=case, actor=user("scjg_fzr"), action="deny", note="现场核查设备设施不符合要求"
    )
    assert [k for k, _ in documents.available_documents(case)] == [
        "receipt",
        "acceptance",
        "denial",
    ]
    text = document_text(case, "denial", tmp_path)
    for expected in (
        "不予许可决定书",
        case.number,
        "食品经营许可",
        "现场核查设备设施不符合要求",
        "六十日",
    ):
        assert expected in text, expected
    with pytest.raises(InvalidTransition):
        documents.case_document(case, "result")


def test_result_licence_is_held_until_deferred_materials_arrive(days, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case = approved()
    licence = Licence.objects.get(case=case)
    assert licence.file is None
    with pytest.raises(InvalidTransition, match="容缺"):
        documents.case_document(case, "result")

    case = services.case_supply_deferred(
        case=case, actor=applicant("13900000012"), key="rules", upload=pdf("rules.pdf")
    )
    assert ("result", licence.name) in documents.available_documents(case)
    document = documents.case_document(case, "result", base_url=BASE)
    licence.refresh_from_db()
    assert licence.file_id == document.file_id
    text = text_of(read_verified(document.file), tmp_path)
    for expected in (
        licence.name,
        licence.number,
        licence.holder_name,
        "食品经营许可",
        "（印章）",
        "2026年3月2日",
    ):
        assert expected in text, expected
    # pdftotext drops a hyphen where the line breaks inside the long address
    assert f"{BASE}/verify/{licence.token}/".replace("-", "") in text.replace("-", "")
    assert documents.case_document(case, "result").pk == document.pk
    assert documents.licence_file(licence).pk == document.file_id


def test_mask_name() -> None:
    assert documents.mask_name("张伟") == "张*"
    assert documents.mask_name("张大伟") == "张*伟"
    assert documents.mask_name("欧阳娜娜") == "欧**娜"


def test_verification_page_valid_revoked_expired_and_unknown(days) -> None:  # type: ignore[no-untyped-def]
    case = approved()
    licence = Licence.objects.get(case=case)
    client = Client()
    url = f"/verify/{licence.token}/"

    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    for expected in (
        "有效",
        licence.name,
        licence.number,
        licence.holder_name,
        case.department.name,
    ):
        assert expected in body, expected

    # a person's name is partly hidden
    Case.objects.filter(pk=case.pk).update(applicant_kind="person")
    Licence.objects.filter(pk=licence.pk).update(holder_name="张大伟")
    body = client.get(url).content.decode()
    assert "张*伟" in body and "张大伟" not in body

    Licence.objects.filter(pk=licence.pk).update(valid_until=dt.date(2026, 3, 1))
    body = client.get(url).content.decode()
    assert "已过有效期" in body

    Licence.objects.filter(pk=licence.pk).update(revoked_at=timezone.now())
    body = client.get(url).content.decode()
    assert "已注销" in body and "不再有效" in body

    missing = client.get("/verify/not-a-real-token/")
    assert missing.status_code == 404
    assert "无法核验" in missing.content.decode()
