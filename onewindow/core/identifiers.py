"""Checks of the identifiers Chinese applicants give: resident ID (GB 11643-1999), unified social
credit code (GB 32100-2015), mobile number, statistical division code. Each check returns the
normalised value or raises InvalidInput naming the field and the fix."""

from __future__ import annotations

import datetime as dt
import re

from .errors import InvalidInput

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_PHONE = re.compile(r"1[3-9]\d{9}")
_DIVISION = re.compile(r"\d{12}")


def id_number_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(
    value: str, *, field: str = "id_number", today: dt.date | None = None
) -> str:
    raw = (value or "").strip().upper()
    if len(raw) != 18:
        raise InvalidInput(
            f"身份证号码应为 18 位，当前为 {len(raw)} 位，请核对后重新输入。", field=field
        )
    if not raw[:17].isdigit() or not (raw[17].isdigit() or raw[17] == "X"):
        raise InvalidInput("身份证号码前 17 位应为数字，最后一位为数字或 X。", field=field)
    try:
        born = dt.date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
    except ValueError:
        raise InvalidInput(
            f"身份证号码中的出生日期 {raw[6:14]} 不是有效日期，请核对第 7–14 位。", field=field
        ) from None
    today = today or dt.date.today()  # noqa: DTZ011 - a calendar date, not an instant
    if born > today or born.year < 1900:
        raise InvalidInput("身份证号码中的出生日期不合理，请核对第 7–14 位。", field=field)
    expected = id_number_check_char(raw[:17])
    if raw[17] != expected:
        raise InvalidInput(
            "身份证号码校验位不正确（第 18 位），请核对是否输错某一位。", field=field
        )
    return raw


def credit_code_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    value = 31 - total % 31
    return USCC_CHARSET[0 if value == 31 else value]


def validate_credit_code(value: str, *, field: str = "credit_code") -> str:
    raw = (value or "").strip().upper()
    if len(raw) != 18:
        raise InvalidInput(
            f"统一社会信用代码应为 18 位，当前为 {len(raw)} 位，请核对后重新输入。", field=field
        )
    bad = sorted({c for c in raw if c not in USCC_CHARSET})
    if bad:
        raise InvalidInput(
            f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}（不使用 I、O、S、V、Z）。",
            field=field,
        )
    if not raw[2:8].isdigit():
        raise InvalidInput("统一社会信用代码第 3–8 位应为行政区划代码（数字）。", field=field)
    if raw[17] != credit_code_check_char(raw[:17]):
        raise InvalidInput(
            "统一社会信用代码校验位不正确（第 18 位），请核对是否输错某一位。", field=field
        )
    return raw


def validate_phone(value: str, *, field: str = "phone") -> str:
    raw = re.sub(r"[\s-]", "", value or "")
    if raw.startswith("+86"):
        raw = raw[3:]
    if not _PHONE.fullmatch(raw):
        raise InvalidInput("手机号码应为 11 位数字，以 13–19 开头，例如 13812345678。", field=field)
    return raw


def validate_division_code(value: str, *, field: str = "code") -> str:
    raw = (value or "").strip()
    if not _DIVISION.fullmatch(raw):
        raise InvalidInput("行政区划代码应为 12 位数字（统计用区划代码）。", field=field)
    return raw
