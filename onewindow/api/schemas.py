"""Schemas every router shares: the one error shape of the API (see `router.error_body`)."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None
    details: list[dict[str, Any]] | None = None


class ErrorOut(Schema):
    error: ErrorDetail


# the error answers an endpoint that reads and writes may give, for `response={200: …, **ERRORS}`
ERRORS: dict[int, Any] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
