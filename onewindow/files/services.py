"""Writes of uploaded files: `store_upload` checks what a file really is, hashes it and keeps it.

The type comes from the content (magic bytes, the parts inside a ZIP container), never from the
name or the browser's content type; a file whose content does not match its extension is refused.
"""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction

from onewindow.accounts.selectors import audit_role
from onewindow.audit.services import audit_record, audit_records
from onewindow.core.errors import InvalidInput

from .models import FileKind, StoredFile

DOCUMENT_KINDS: tuple[str, ...] = (
    FileKind.PDF,
    FileKind.JPEG,
    FileKind.PNG,
    FileKind.DOCX,
    FileKind.XLSX,
    FileKind.DOC,
    FileKind.XLS,
    FileKind.OFD,
)
IMAGE_KINDS: tuple[str, ...] = (FileKind.PDF, FileKind.JPEG, FileKind.PNG)

EXTENSIONS: dict[str, str] = {
    "pdf": FileKind.PDF,
    "jpg": FileKind.JPEG,
    "jpeg": FileKind.JPEG,
    "png": FileKind.PNG,
    "docx": FileKind.DOCX,
    "xlsx": FileKind.XLSX,
    "doc": FileKind.DOC,
    "xls": FileKind.XLS,
    "ofd": FileKind.OFD,
    "txt": FileKind.TXT,
}
STORED_EXTENSION: dict[str, str] = {kind: kind if kind != "jpeg" else "jpg" for kind in FileKind}
CONTENT_TYPES: dict[str, str] = {
    FileKind.PDF: "application/pdf",
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.DOC: "application/msword",
    FileKind.XLS: "application/vnd.ms-excel",
    FileKind.OFD: "application/ofd",
    FileKind.TXT: "text/plain; charset=utf-8",
}
LABELS: dict[str, str] = {
    FileKind.PDF: "PDF",
    FileKind.JPEG: "JPG",
    FileKind.PNG: "PNG",
    FileKind.DOCX: "Word（.docx）",
    FileKind.XLSX: "Excel（.xlsx）",
    FileKind.DOC: "Word（.doc）",
    FileKind.XLS: "Excel（.xls）",
    FileKind.OFD: "OFD",
    FileKind.TXT: "文本（.txt）",
}

CHUNK = 64 * 1024
PDF_MAGIC = b"%PDF-"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def max_upload_bytes() -> int:
    return int(getattr(settings, "ONEWINDOW_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))


def _kinds_text(kinds: Iterable[str]) -> str:
    names: list[str] = []
    for kind in kinds:
        label = LABELS.get(kind, kind).split("（")[0]
        if label not in names:
            names.append(label)
    if len(names) <= 1:
        return "".join(names)
    return "、".join(names[:-1]) + " 或 " + names[-1]


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.0f} MB"
    return f"{max(size // 1024, 1)} KB"


def detect_kind(stream: IO[bytes], *, extension: str = "") -> str | None:
    """The kind the content really is, or None. OLE2 (old Office) files cannot tell a .doc from an
    .xls by their first bytes, so the extension decides between those two only."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    if head.startswith(PDF_MAGIC):
        return FileKind.PDF
    if head.startswith(JPEG_MAGIC):
        return FileKind.JPEG
    if head.startswith(PNG_MAGIC):
        return FileKind.PNG
    if head.startswith(OLE2_MAGIC):
        return FileKind.XLS if extension == "xls" else FileKind.DOC
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(stream) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            stream.seek(0)
        if "OFD.xml" in names:
            return FileKind.OFD
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return FileKind.DOCX
            if any(n.startswith("xl/") for n in names):
                return FileKind.XLSX
        return None
    if extension == "txt":
        sample = stream.read(CHUNK)
        stream.seek(0)
        if b"\x00" in sample:
            return None
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(sample) - 4:  # a character cut at the chunk's end is fine
                return None
        return FileKind.TXT
    return None


def store_upload(
    *,
    upload: Any,
    field: str,
    actor: Any,
    allowed: Iterable[str] = DOCUMENT_KINDS,
    max_bytes: int | None = None,
    label: str | None = None,
) -> StoredFile:
    """Check an uploaded file (`UploadedFile` or any named binary file object), keep it and return
    its `StoredFile`. Raises `InvalidInput` on `field`, in words the uploader can act on, for an
    empty file, one over the size limit, a type not allowed, or content that is not what its
    extension says."""
    return store_uploads(
        [(upload, field, label)], actor=actor, allowed=allowed, max_bytes=max_bytes
    )[0]


def store_uploads(
    uploads: Iterable[tuple[Any, str, str | None]],
    *,
    actor: Any,
    allowed: Iterable[str] = DOCUMENT_KINDS,
    max_bytes: int | None = None,
) -> list[StoredFile]:
    """`store_upload` for several files at once, each given as (upload, field, label): every file
    is checked before any is kept, so one bad file keeps none; the rows and their audit entries
    are inserted together."""
    allowed = tuple(allowed)
    limit = max_bytes if max_bytes is not None else max_upload_bytes()
    checked = [
        _check_upload(upload, field, label, allowed=allowed, limit=limit)
        for upload, field, label in uploads
    ]
    if not checked:
        return []
    role = audit_role(actor)
    with transaction.atomic(savepoint=False):
        stored = []
        for upload, _field, kind, size, sha256, original in checked:
            row = StoredFile(
                original_name=original,
                content_type=CONTENT_TYPES[kind],
                kind=kind,
                size=size,
                sha256=sha256,
                uploaded_by=actor,
            )
            upload.seek(0)
            row.file.save(f"{uuid.uuid4().hex}.{STORED_EXTENSION[kind]}", File(upload), save=False)
            stored.append(row)
        stored = StoredFile.objects.bulk_create(stored)
        audit_records(
            dict(
                action="files.store",
                actor=actor,
                role=role,
                obj=row,
                summary=f"上传文件：{original}（{LABELS[kind]}，{_size_text(size)}）",
                after={"sha256": row.sha256, "size": size, "kind": kind, "field": field},
            )
            for row, (_upload, field, kind, size, _sha, original) in zip(
                stored, checked, strict=True
            )
        )
    return stored


def _check_upload(
    upload: Any, field: str, label: str | None, *, allowed: tuple[str, ...], limit: int
) -> tuple[Any, str, str, int, str, str]:
    """(upload, field, kind, size, sha256, original name) of a file that passed every check."""
    what = f"「{label or field}」"
    expected = _kinds_text(allowed)
    original = PurePath(str(getattr(upload, "name", "") or "")).name[:200] or "未命名文件"
    extension = PurePath(original).suffix.lower().lstrip(".")

    kind = EXTENSIONS.get(extension)
    if kind is None or kind not in allowed:
        shown = f".{extension}" if extension else "无扩展名"
        raise InvalidInput(
            f"{what}的文件类型（{shown}）不允许上传，请上传 {expected} 文件。", field=field
        )
    declared = getattr(upload, "size", None)
    if declared is not None and declared > limit:
        raise InvalidInput(
            f"{what}文件过大（{_size_text(declared)}），最大 {_size_text(limit)}，请压缩或分开上传。",
            field=field,
        )
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    while chunk := upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise InvalidInput(
                f"{what}文件过大，最大 {_size_text(limit)}，请压缩或分开上传。", field=field
            )
        digest.update(chunk)
    if size == 0:
        raise InvalidInput(f"{what}是空文件，请重新选择要上传的文件。", field=field)
    real = detect_kind(upload, extension=extension)
    if real != kind:
        raise InvalidInput(
            f"{what}不是 {LABELS[kind].split('（')[0]} 文件（内容与扩展名不符），"
            f"请上传真实的 {expected} 文件。",
            field=field,
        )
    return upload, field, kind, size, digest.hexdigest(), original


def store_bytes(
    *, content: bytes, name: str, actor: Any, allowed: Iterable[str] = DOCUMENT_KINDS
) -> StoredFile:
    """Keep bytes the platform made itself (a rendered PDF notice) through the same checks and
    audit as an upload."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, content)
    return store_upload(upload=upload, field="file", actor=actor, allowed=allowed, label=name)


def delete_orphans(*, paths: Iterable[Path], actor: Any = None) -> int:
    """Delete files that `selectors.orphan_files` found (no row names them), with one audit
    entry listing them. Returns how many were deleted."""
    root = Path(settings.MEDIA_ROOT).resolve()
    deleted: list[str] = []
    for path in paths:
        resolved = Path(path).resolve()
        if root not in resolved.parents:  # never outside the storage
            raise InvalidInput(f"{path} 不在文件存储目录 {root} 之内。", field="path")
        if StoredFile.objects.filter(file=resolved.relative_to(root).as_posix()).exists():
            continue  # a row appeared since the listing: not an orphan after all
        resolved.unlink(missing_ok=True)
        deleted.append(resolved.relative_to(root).as_posix())
    if deleted:
        audit_record(
            action="files.orphans.delete",
            actor=actor,
            role="system",
            summary=f"清理无记录的孤立文件 {len(deleted)} 个",
            after={"files": deleted[:1000], "count": len(deleted)},
        )
    return len(deleted)
