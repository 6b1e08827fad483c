"""The public, versioned API at /api/v1/. Every error has one shape:

{"error": {"code": "invalid_input", "message": "…（中文）", "field": "days", "details": [...]}}
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from onewindow.core.errors import DomainError


class ChineseJSONRenderer(JSONRenderer):
    """Chinese messages as characters, not \\u escapes."""

    json_dumps_params: dict[str, Any] = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=ChineseJSONRenderer(),
    title="一窗通办 OneWindow API",
    version="1.0.0",
    description='政务服务平台公开接口。所有错误返回 {"error": {code, message, field}}。',
    urls_namespace="api-v1",
)


def error_body(code: str, message: str, field: str | None = None, **extra: object) -> dict:
    body: dict[str, object] = {"code": code, "message": message, "field": field}
    body.update(extra)
    return {"error": body}


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(
        request, error_body(exc.code, exc.message, exc.field), status=exc.status
    )


_MESSAGES = {
    "missing": "缺少必填参数",
    "date_from_datetime_parsing": "不是有效日期，应为 YYYY-MM-DD",
    "date_parsing": "不是有效日期，应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "不是有效日期，应为 YYYY-MM-DD",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不正确",
}


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path")]
        field = ".".join(loc) or None
        text = _MESSAGES.get(err.get("type", ""), err.get("msg", "输入有误"))
        if err.get("type") in ("greater_than_equal", "less_than_equal") and "ctx" in err:
            limit = next(iter(err["ctx"].values()))
            text = (
                f"{text}（{'最小' if err['type'] == 'greater_than_equal' else '最大'}为 {limit}）"
            )
        details.append({"field": field, "message": text, "type": err.get("type")})
    first: dict[str, str | None] = details[0] if details else {"field": None, "message": "输入有误"}
    message = (
        f"参数 {first['field']} {first['message']}" if first["field"] else str(first["message"])
    )
    return api.create_response(
        request, error_body("invalid_input", message, first["field"], details=details), status=422
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, error_body("unauthenticated", "请先登录"), status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)


api.add_router("/calendar", "onewindow.calendar.api.router")
api.add_router("/org", "onewindow.org.api.router")
api.add_router("/items", "onewindow.catalogue.api.router")
api.add_router("/cases", "onewindow.cases.api.router")
api.add_router("/track", "onewindow.cases.api.track_router")
api.add_router("/staff", "onewindow.cases.api.staff_router")
api.add_router("/evaluation", "onewindow.evaluation.api.router")
api.add_router("/rate", "onewindow.evaluation.api.public_router")
api.add_router("/appeals", "onewindow.appeals.api.router")
api.add_router("/supervision", "onewindow.supervision.api.router")
api.add_router("/stats", "onewindow.stats.api.router")
