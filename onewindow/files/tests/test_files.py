"""Uploads: the real type from the content, limits, the hash checked on every read."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onewindow.audit.models import AuditEntry
from onewindow.core.errors import DomainError, InvalidInput
from onewindow.files.models import StoredFile
from onewindow.files.selectors import FileTampered, file_response, read_verified
from onewindow.files.services import IMAGE_KINDS, store_upload

pytestmark = pytest.mark.django_db


def minimal_pdf(text: str = "blank form") -> bytes:
    """A tiny but valid PDF (one empty page) with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
    ]
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def minimal_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)  # 2×2, 8-bit RGB
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def minimal_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>申请表</w:t></w:r></w:p></w:body></w:document>",
        )
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def clerk(django_user_model):
    return django_user_model.objects.get(username="scjg_fzr")


def test_real_pdf_is_stored_with_its_hash_and_audited(clerk):
    content = minimal_pdf()
    stored = store_upload(
        upload=SimpleUploadedFile("食品经营许可申请书.pdf", content, "application/pdf"),
        field="blank_form",
        actor=clerk,
    )
    stored.refresh_from_db()
    assert stored.kind == "pdf"
    assert stored.content_type == "application/pdf"
    assert stored.size == len(content)
    assert len(stored.sha256) == 64
    assert stored.original_name == "食品经营许可申请书.pdf"
    assert stored.file.name.startswith("files/") and "食品" not in stored.file.name
    assert read_verified(stored) == content
    assert AuditEntry.objects.filter(action="files.store", object_id=str(stored.pk)).exists()


def test_png_and_docx_are_recognised(clerk):
    png = store_upload(
        upload=SimpleUploadedFile("样例.PNG", minimal_png()), field="example", actor=clerk
    )
    docx = store_upload(
        upload=SimpleUploadedFile("申请表.docx", minimal_docx()), field="blank", actor=clerk
    )
    assert (png.kind, png.content_type) == ("png", "image/png")
    assert docx.kind == "docx"


@pytest.mark.parametrize(
    "content",
    [b"just some text pretending to be a PDF", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64],
    ids=["text", "exe"],
)
def test_fake_pdf_is_refused(clerk, content):
    files = StoredFile.objects.count()  # the demo's blank forms
    with pytest.raises(InvalidInput) as caught:
        store_upload(
            upload=SimpleUploadedFile("表格.pdf", content),
            field="blank_form",
            label="空白表格",
            actor=clerk,
            allowed=IMAGE_KINDS,
        )
    assert caught.value.field == "blank_form"
    assert caught.value.message == (
        "「空白表格」不是 PDF 文件（内容与扩展名不符），请上传真实的 PDF、JPG 或 PNG 文件。"
    )
    assert StoredFile.objects.count() == files


def test_a_docx_renamed_xlsx_and_a_disallowed_extension_are_refused(clerk):
    with pytest.raises(InvalidInput, match="内容与扩展名不符"):
        store_upload(upload=SimpleUploadedFile("a.xlsx", minimal_docx()), field="f", actor=clerk)
    with pytest.raises(InvalidInput, match=r"文件类型（\.exe）不允许上传"):
        store_upload(upload=SimpleUploadedFile("a.exe", b"MZ\x90\x00"), field="f", actor=clerk)
    with pytest.raises(InvalidInput, match="不允许上传"):
        store_upload(
            upload=SimpleUploadedFile("a.docx", minimal_docx()),
            field="f",
            actor=clerk,
            allowed=IMAGE_KINDS,
        )


def test_empty_and_oversized_files_are_refused(clerk, settings):
    files = StoredFile.objects.count()  # the demo's blank forms
    with pytest.raises(InvalidInput, match="是空文件") as empty:
        store_upload(upload=SimpleUploadedFile("a.pdf", b""), field="f", label="材料", actor=clerk)
    assert empty.value.field == "f"
    settings.ONEWINDOW_UPLOAD_MAX_BYTES = 100
    with pytest.raises(InvalidInput, match="文件过大"):
        store_upload(upload=SimpleUploadedFile("a.pdf", minimal_pdf()), field="f", actor=clerk)
    with pytest.raises(InvalidInput, match="最大 1 KB"):
        store_upload(
            upload=SimpleUploadedFile("a.png", minimal_png() + b"\x00" * 2000),
            field="f",
            actor=clerk,
            max_bytes=1024,
        )
    assert StoredFile.objects.count() == files


def test_tampered_storage_is_detected_on_read(clerk):
    stored = store_upload(upload=SimpleUploadedFile("a.pdf", minimal_pdf()), field="f", actor=clerk)
    with open(stored.file.path, "r+b") as handle:
        handle.seek(20)
        handle.write(b"X")
    with pytest.raises(FileTampered, match="可能已被篡改") as caught:
        read_verified(stored)
    assert isinstance(caught.value, DomainError)
    with pytest.raises(FileTampered):
        file_response(stored)


def test_file_response_headers(clerk):
    stored = store_upload(
        upload=SimpleUploadedFile("申请表 (2026).pdf", minimal_pdf()), field="f", actor=clerk
    )
    response = file_response(stored)
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E7%94%B3%E8%AF%B7%E8%A1%A8" in disposition
    inline = file_response(stored, as_attachment=False)
    assert inline["Content-Disposition"].startswith("inline;")


def test_orphans_left_by_a_rolled_back_upload_are_found_and_deleted(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A file is written before its transaction commits; a rollback leaves it without a row.
    `onewindow files orphans` finds such files once they are old enough and deletes them on
    record; files with rows, and young ones, stay."""
    import os
    import time
    from io import StringIO

    from django.core.management import call_command
    from django.db import transaction

    settings.MEDIA_ROOT = str(tmp_path)
    kept = store_upload(upload=SimpleUploadedFile("kept.pdf", minimal_pdf()), field="f", actor=None)
    try:
        with transaction.atomic():
            lost = store_upload(
                upload=SimpleUploadedFile("lost.pdf", minimal_pdf()), field="f", actor=None
            )
            raise RuntimeError("the application is refused after the upload")
    except RuntimeError:
        pass
    lost_path = tmp_path / lost.file.name
    assert lost_path.exists() and not StoredFile.objects.filter(pk=lost.pk).exists()

    out = StringIO()
    call_command("files", "orphans", stdout=out, stderr=StringIO())
    assert "找到 0 个孤立文件" in out.getvalue()  # too young: its transaction may be running
    old = time.time() - 2 * 24 * 3600
    os.utime(lost_path, (old, old))
    os.utime(tmp_path / kept.file.name, (old, old))
    out = StringIO()
    call_command("files", "orphans", stdout=out, stderr=StringIO())
    assert str(lost_path) in out.getvalue() and "找到 1 个孤立文件" in out.getvalue()
    assert lost_path.exists()  # listing deletes nothing
    out = StringIO()
    call_command("files", "orphans", "--delete", stdout=out, stderr=StringIO())
    assert "已删除 1 个孤立文件" in out.getvalue()
    assert not lost_path.exists() and (tmp_path / kept.file.name).exists()
    entry = AuditEntry.objects.get(action="files.orphans.delete")
    assert entry.changes["after"] == {"files": [lost.file.name], "count": 1}
    # and a row whose file is gone is reported
    (tmp_path / kept.file.name).unlink()
    out = StringIO()
    with pytest.raises(Exception, match="存储中缺少文件"):
        call_command("files", "missing", stdout=out)
    assert kept.file.name in out.getvalue()


def test_deleting_orphans_refuses_paths_outside_the_storage(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from onewindow.files.services import delete_orphans

    settings.MEDIA_ROOT = str(tmp_path / "media")
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("x")
    with pytest.raises(InvalidInput, match="不在文件存储目录"):
        delete_orphans(paths=[outside])
    assert outside.exists()
