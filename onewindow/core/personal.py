"""Personal data (PIPL, MLPS level 3): how ID numbers and phone numbers are shown.

Masked everywhere by default: ID first 3 and last 4 (never the birth digits), phone 138****5678.
The whole value is shown only to a role that needs it, through `reveal`, which writes an audit
entry. The model field type `PersonalDataField` marks every column that holds such data, so that
encryption at rest (SM4 with an HMAC-SM3 blind index) can be switched on by a migration later.
"""

from __future__ import annotations

from typing import Any

from django.db import models


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) != 11:
        return "*" * max(len(value) - 4, 0) + value[-4:]
    return value[:3] + "****" + value[-4:]


def mask_credit_code(value: str | None) -> str:
    # A credit code identifies an organisation, not a person: shown whole.
    return value or ""


MASKERS = {"id_number": mask_id_number, "phone": mask_phone}


def mask(kind: str, value: str | None) -> str:
    return MASKERS[kind](value)


class PersonalDataField(models.CharField):
    """A CharField that holds personal information of `kind` ("id_number" or "phone")."""

    def __init__(self, *args: Any, kind: str = "id_number", **kwargs: Any) -> None:
        if kind not in MASKERS:
            raise ValueError(f"unknown personal data kind {kind!r}")
        self.personal_kind = kind
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.personal_kind
        return name, path, args, kwargs
