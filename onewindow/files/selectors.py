"""Reads of stored files: every read checks the content against the SHA-256 taken at upload."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.utils.http import content_disposition_header

from onewindow.core.errors import DomainError

from .models import StoredFile


class FileTampered(DomainError):
    code = "file_tampered"
    status = 500


def read_verified(stored: StoredFile) -> bytes:
    """The file's bytes, if they still hash to what was recorded at upload; `FileTampered`
    otherwise (the copy in storage was changed or lost)."""
    try:
        with stored.file.open("rb") as handle:
            content = handle.read()
    except (FileNotFoundError, OSError) as exc:
        raise FileTampered(
            f"文件“{stored.original_name}”在存储中找不到，请联系系统管理员。"
        ) from exc
    if hashlib.sha256(content).hexdigest() != stored.sha256:
        raise FileTampered(
            f"文件“{stored.original_name}”的内容与上传时的校验值不符，可能已被篡改，已拒绝读取。"
            "请联系系统管理员。"
        )
    return content


def file_response(stored: StoredFile, *, as_attachment: bool = True) -> HttpResponse:
    """The verified file as a response: its own content type, a Content-Disposition that carries
    the original (Chinese) name safely (RFC 5987 `filename*`), and no content sniffing."""
    response = HttpResponse(read_verified(stored), content_type=stored.content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment, stored.original_name
    ) or ("attachment" if as_attachment else "inline")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Length"] = str(stored.size)
    return response


def stored_names(batch: int = 1000) -> Iterator[tuple[Path, str]]:
    """Every file under the storage's `files/` folder as (path, name as stored in the rows)."""
    root = Path(settings.MEDIA_ROOT)
    base = root / "files"
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*")):
        if path.is_file():
            yield path, path.relative_to(root).as_posix()


def orphan_files(*, older_than: dt.timedelta, batch: int = 1000) -> Iterator[Path]:
    """Files in storage that no StoredFile row names and that were last written longer ago than
    `older_than`: left behind by a transaction that rolled back after the file was written (an
    upload kept, then the application refused). The age keeps a file whose transaction is still
    running out of the list. Reads the rows a batch of names at a time."""
    cutoff = time.time() - older_than.total_seconds()
    pending: list[tuple[Path, str]] = []

    def settle() -> Iterator[Path]:
        known = set(
            StoredFile.objects.filter(file__in=[name for _p, name in pending]).values_list(
                "file", flat=True
            )
        )
        for path, name in pending:
            if name not in known and path.stat().st_mtime < cutoff:
                yield path
        pending.clear()

    for path, name in stored_names():
        pending.append((path, name))
        if len(pending) >= batch:
            yield from settle()
    if pending:
        yield from settle()


def missing_files(batch: int = 1000) -> Iterator[StoredFile]:
    """Rows whose file is no longer in storage (lost or removed by hand): each one's reads fail."""
    for row in StoredFile.objects.order_by("pk").iterator(chunk_size=batch):
        if not default_storage.exists(row.file.name):
            yield row
