"""GeoReport v2 at /open311/v2/: thin views over selectors, services and the wire formats.

Errors come back in the spec's format ({code, description} list / <errors><error>) with the HTTP
status the spec names: 400 bad or missing parameter, 403 missing or invalid api_key, 404 unknown
service, request, token or jurisdiction; 429 when a client posts faster than its allowance;
500, still in the spec's format, when something unexpected fails (logged with its traceback).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from onewindow.core import ratelimit
from onewindow.core.errors import DomainError, InvalidInput, NotAllowed, NotFound

from . import documents, formats, selectors, services
from .models import Client
from .params import attributes_from, parse_w3c, split_list, w3c

logger = logging.getLogger(__name__)

MAX_IDS = 1000
MAX_SPAN = dt.timedelta(days=90)
BODY_SLACK = 1024 * 1024  # the form fields beside a media file


class Refused(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _status(error: DomainError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, NotAllowed):
        return 403
    return 400


def endpoint(methods: tuple[str, ...]) -> Callable[..., Callable[..., HttpResponse]]:
    """Allowed methods, and every refusal turned into the spec's error document."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def run(request: HttpRequest, *args: Any, fmt: str = "xml", **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = formats.errors(
                    fmt, 405, f"Method {request.method} is not allowed （不支持该请求方法）"
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Refused as refusal:
                return formats.errors(fmt, refusal.status, refusal.description)
            except DomainError as error:
                text = error.message
                if error.field and not text.startswith(error.field):
                    text = f"{error.field}: {text}"
                return formats.errors(fmt, _status(error), text)
            except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
                return formats.errors(
                    fmt, 400, "The request body is too large or malformed （请求体过大或格式错误）"
                )
            except Exception:
                # a client of the spec reads errors in its format, a 500 too; the services'
                # transactions have rolled back by now (no request-wide transaction)
                logger.exception("open311 %s %s failed", request.method, request.path)
                return formats.errors(
                    fmt, 500, "Internal server error, logged （服务器内部错误，已记录，请稍后重试）"
                )

        return run

    return wrap


def _jurisdiction(request: HttpRequest) -> Any:
    code = request.GET.get("jurisdiction_id", "").strip()
    if not code:
        return None
    region = selectors.jurisdiction(code)
    if region is None:
        raise Refused(404, f"jurisdiction_id {code} was not found （本县没有区划代码 {code}）")
    return region


def _optional_client(request: HttpRequest) -> Client | None:
    """GET methods need no key; a client that sends its own also sees the requests it filed."""
    key = request.GET.get("api_key", "").strip()
    if not key:
        return None
    client = selectors.client_for_key(key)
    if client is None:
        raise Refused(403, "Invalid api_key received （api_key 无效）")
    return client


def _base_url(request: HttpRequest) -> str:
    public = str(getattr(settings, "ONEWINDOW_PUBLIC_URL", "") or "").rstrip("/")
    return f"{public}/open311/v2" if public else request.build_absolute_uri("/open311/v2")


def _kind() -> str:
    return (
        "batch"
        if getattr(settings, "ONEWINDOW_OPEN311_TYPE", "realtime") == "batch"
        else "realtime"
    )


@endpoint(("GET", "HEAD"))
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    county = selectors.county()
    name = county.name if county else "本县"
    phone = selectors.centre_phone(county)
    phone = f"，电话 {phone}" if phone else ""
    changed = selectors.changeset()
    document = documents.discovery(
        url=_base_url(request),
        changeset=w3c(changed) or "2026-01-01T00:00:00+08:00",
        contact=f"{name}民情直通车指挥中心{phone}",
        key_service=(
            f"api_key 由{name}民情直通车指挥中心签发：来函说明应用名称和用途，"
            "系统管理员用 `onewindow open311 newkey 名称` 生成，只显示一次。"
        ),
    )
    return formats.respond(fmt, "discovery", document)


@endpoint(("GET", "HEAD"))
def service_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    _jurisdiction(request)
    with_metadata = selectors.services_with_metadata()
    kind = _kind()
    document = [
        documents.service(c, metadata=c.pk in with_metadata, kind=kind)
        for c in selectors.services()
    ]
    return formats.respond(fmt, "services", document)


@endpoint(("GET", "HEAD"))
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    _jurisdiction(request)
    category = selectors.service(code)
    if category is None:
        raise Refused(404, f"service_code {code} was not found （没有编码为 {code} 的服务）")
    document = documents.service_definition(category, selectors.attributes_for(category))
    return formats.respond(fmt, "service_definition", document)


def _throttle(client: Client) -> None:
    per_hour = int(getattr(settings, "ONEWINDOW_OPEN311_POSTS_PER_HOUR", 60))
    if ratelimit.hit(f"open311:posts:{client.pk}", window=3600) > per_hour:
        raise Refused(
            429,
            f"Too many requests: at most {per_hour} an hour （提交过于频繁，每小时最多 {per_hour} 件）",
        )


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > services.media_max_bytes() + BODY_SLACK:
        raise Refused(
            400,
            f"The request is too large: media may be at most "
            f"{services.media_max_bytes() // (1024 * 1024)} MB （照片过大，未保存任何内容）",
        )
    data = request.POST
    key = (data.get("api_key") or request.GET.get("api_key") or "").strip()
    if not key:
        raise Refused(403, "api_key was not provided （缺少 api_key）")
    client = selectors.client_for_key(key)
    if client is None:
        raise Refused(
            403, "Invalid api_key received -- can't proceed with create_request （api_key 无效）"
        )
    _throttle(client)
    record = services.file_request(
        client=client,
        jurisdiction_id=data.get("jurisdiction_id", ""),
        service_code=data.get("service_code", ""),
        lat=data.get("lat"),
        long=data.get("long"),
        address_string=data.get("address_string", ""),
        address_id=data.get("address_id", ""),
        attributes=attributes_from(data),
        email=data.get("email", ""),
        device_id=data.get("device_id", ""),
        account_id=data.get("account_id", ""),
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        phone=data.get("phone", ""),
        description=data.get("description", ""),
        media_url=data.get("media_url", ""),
        media=request.FILES.get("media"),
    )
    document = [documents.created(record, batch=_kind() == "batch")]
    return formats.respond(fmt, "service_requests", document)


def _date(request: HttpRequest, name: str) -> dt.datetime | None:
    raw = request.GET.get(name, "").strip()
    return parse_w3c(raw, name) if raw else None


def _range(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """The spec's default: the most recent 90 days; one end given, 90 days from it."""
    if start is not None and end is not None:
        return start, end
    if start is not None:
        return start, start + MAX_SPAN
    end = end or timezone.now()
    return end - MAX_SPAN, end


def _search(request: HttpRequest, fmt: str) -> HttpResponse:
    region = _jurisdiction(request)
    client = _optional_client(request)
    ids = split_list(request.GET.get("service_request_id"))
    if ids:
        if len(ids) > MAX_IDS:
            raise InvalidInput(f"at most {MAX_IDS} service_request_id （最多 {MAX_IDS} 个编号）")
        appeals = selectors.find_requests(client=client, numbers=ids)
    else:
        codes = split_list(request.GET.get("service_code"))
        known = {c.code for c in selectors.services()}
        for code in codes:
            if code not in known:
                raise InvalidInput(
                    f"service_code {code} is not a service （没有编码为 {code} 的服务）"
                )
        statuses = sorted(set(split_list(request.GET.get("status"))))
        for status in statuses:
            if status not in ("open", "closed"):
                raise InvalidInput(
                    f"status must be open or closed, not {status!r} （status 只能是 open 或 closed）"
                )
        start, end = _range(_date(request, "start_date"), _date(request, "end_date"))
        if start > end:
            raise InvalidInput("start_date is after end_date （开始时间晚于结束时间）")
        if end - start > MAX_SPAN:
            raise InvalidInput(
                "start_date and end_date may not span more than 90 days （查询范围不能超过 90 天）"
            )
        appeals = selectors.find_requests(
            client=client,
            service_codes=codes,
            start=start,
            end=end,
            statuses=statuses,
            region=region,
        )
    names = selectors.region_names(appeals)
    document = [documents.service_request(a, names) for a in appeals]
    return formats.respond(fmt, "service_requests", document)


@csrf_exempt  # a client authenticates with its api_key, not a session: no CSRF token to send
@endpoint(("GET", "HEAD", "POST"))
def service_requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _search(request, fmt)


@endpoint(("GET", "HEAD"))
def request_detail(request: HttpRequest, number: str, *, fmt: str) -> HttpResponse:
    _jurisdiction(request)
    client = _optional_client(request)
    appeals = selectors.find_requests(client=client, numbers=[number])
    if not appeals:
        raise Refused(
            404, f"service_request_id {number} was not found （没有编号为 {number} 的公开诉求）"
        )
    names = selectors.region_names(appeals)
    return formats.respond(fmt, "service_requests", [documents.service_request(appeals[0], names)])


@endpoint(("GET", "HEAD"))
def token(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    _jurisdiction(request)
    record = selectors.request_by_token(token)
    if record is None:
        raise Refused(404, f"token {token} was not found （令牌不存在）")
    return formats.respond(fmt, "service_requests", [documents.token(record)])


def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    fmt = "json" if rest.endswith(".json") else "xml"
    return formats.errors(
        fmt,
        404,
        f"/open311/v2/{rest[:100]} is not a GeoReport v2 resource; formats are .xml and .json "
        "（没有这个资源；格式为 .xml 或 .json）",
    )
