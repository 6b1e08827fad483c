"""The signed token of a case's rating page (扫码评): printed as a QR code on the receipt and sent
in the invitation after completion. It names the case and carries its signing time; it cannot be
forged without the site's secret key and expires after ONEWINDOW_RATING_TOKEN_DAYS (default 365)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from onewindow.core.errors import InvalidInput

SALT = "onewindow.evaluation.rate"


def max_age_days() -> int:
    return int(getattr(settings, "ONEWINDOW_RATING_TOKEN_DAYS", 365))


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def rating_token(case_id: int) -> str:
    return _signer().sign(signing.b62_encode(case_id))


def rating_path(case_id: int) -> str:
    """The site path of the case's rating page (prefix the public address for a QR code)."""
    return reverse("rate:qr", args=[rating_token(case_id)])


def case_id_from(token: str) -> int:
    """The case id a token names. InvalidInput (Chinese message, field "token") when it was
    forged or altered, or has expired."""
    try:
        value = _signer().unsign((token or "").strip(), max_age=dt.timedelta(days=max_age_days()))
    except signing.SignatureExpired as exc:
        raise InvalidInput(
            f"评价二维码已过期（有效期 {max_age_days()} 天）。请登录网上办事大厅，"
            "在“我的办件”中评价，或拨打 12345 反映。",
            field="token",
            code="token_expired",
        ) from exc
    except signing.BadSignature as exc:
        raise InvalidInput(
            "评价二维码无效：链接不完整或已被改动。请重新扫描回执上的二维码，"
            "或登录网上办事大厅在“我的办件”中评价。",
            field="token",
            code="token_invalid",
        ) from exc
    return signing.b62_decode(value)
