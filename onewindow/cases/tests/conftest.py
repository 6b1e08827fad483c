from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onewindow.accounts.models import User
from onewindow.cases import clock

# A small but well-formed PDF: header, one empty page, cross-reference table, trailer.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)

FOOD = "002001005000"  # 食品经营许可 (市场监管, 5 working days promised)
BUILDING = "009001001000"  # 建筑工程施工许可 (住建 leads, 自然资源 and 城管 co-handle)
SEAL = "003010006000"  # 印章刻制备案 (即办件)


def pdf(name: str = "material.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def user(username: str) -> User:
    return User.objects.get(username=username)


def applicant(phone: str) -> User:
    return User.objects.get(kind="applicant", phone=phone)


class Days:
    """Walk through simulated days: the case clock's today() follows `on`."""

    def __init__(self, start: dt.date) -> None:
        self.on = start

    def __call__(self) -> dt.date:
        return self.on

    def working(self, n: int) -> dt.date:
        from onewindow.calendar.selectors import add_working_days

        self.on = add_working_days(self.on, n)
        return self.on


@pytest.fixture
def days(monkeypatch: pytest.MonkeyPatch) -> Iterator[Days]:
    from onewindow.calendar.selectors import clear_calendar_cache

    clear_calendar_cache()  # another test on this worker may have left its own calendar cached
    simulated = Days(dt.date(2026, 3, 2))  # a Monday
    monkeypatch.setattr(clock, "today", simulated)
    yield simulated
    clear_calendar_cache()


@pytest.fixture
def make_pdf() -> Callable[..., SimpleUploadedFile]:
    return pdf
