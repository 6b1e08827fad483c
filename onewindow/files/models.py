"""Every file uploaded to the platform (catalogue blank forms, case materials, appeal attachments).

A `StoredFile` is written once by `services.store_upload` (the type detected from its content, its
SHA-256 recorded) and never changed; `selectors.read_verified` checks the hash on every read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FileKind(models.TextChoices):
    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPG"
    PNG = "png", "PNG"
    DOCX = "docx", "Word（docx）"
    XLSX = "xlsx", "Excel（xlsx）"
    DOC = "doc", "Word（doc）"
    XLS = "xls", "Excel（xls）"
    OFD = "ofd", "OFD"
    TXT = "txt", "文本"


class StoredFile(models.Model):
    file = models.FileField("文件", upload_to="files/%Y/%m/", max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("内容类型", max_length=100)
    kind = models.CharField("文件类型", max_length=8, choices=FileKind.choices)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "上传文件"
        verbose_name_plural = "上传文件"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name
