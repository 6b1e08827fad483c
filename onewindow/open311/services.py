"""Writes of the Open311 endpoint: clients and their keys, and filing a service request as an
appeal (`appeals.services.file_appeal`, channel Open311) in one transaction with its record.

Every check runs before anything is written: a request refused for any reason leaves no appeal,
no file, no record and no audit entry behind.
"""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction

from onewindow.appeals import services as appeals
from onewindow.appeals.choices import Channel, Kind
from onewindow.appeals.models import Category
from onewindow.audit.services import audit_record
from onewindow.core.errors import DomainError, InvalidInput, NotFound
from onewindow.files.models import FileKind
from onewindow.files.services import EXTENSIONS, detect_kind
from onewindow.org.models import Region

from . import selectors
from .choices import Datatype
from .models import Client, ServiceAttribute, ServiceRequest
from .params import parse_w3c
from .seed import KIND_ATTRIBUTE, PUBLISH_ATTRIBUTE

DESCRIPTION_MAX = 4000  # the spec's limit
MEDIA_KINDS = (FileKind.JPEG, FileKind.PNG)
# file_appeal's field names → the Open311 parameter a client sent
FIELDS = {
    "callback_phone": "phone",
    "caller_name": "first_name",
    "content": "description",
    "title": "description",
    "latitude": "lat",
    "longitude": "long",
    "region": "jurisdiction_id",
    "category": "service_code",
    "kind": f"attribute[{KIND_ATTRIBUTE}]",
    "address": "address_string",
    "anonymous": "first_name",
    "attachments": "media",
}


# ---------------------------------------------------------------- clients


def client_create(
    *, name: str, key: str | None = None, actor: Any = None, actor_name: str = ""
) -> tuple[Client, str]:
    """A new client and its api_key (returned once; only its SHA-256 is kept). `key` is for
    the demo county's published key only."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("客户端名称须为 1–100 个字。", field="name")
    if Client.objects.filter(name=name).exists():
        raise InvalidInput(f"已有名为“{name}”的客户端。", field="name")
    key = key or secrets.token_urlsafe(32)
    with transaction.atomic():
        client = Client.objects.create(
            name=name, key_hash=selectors.key_hash(key), key_prefix=key[:8]
        )
        audit_record(
            action="open311.client_create",
            actor=actor,
            role="system" if actor is None else "",
            actor_name=actor_name,
            obj=client,
            summary=f"新建 Open311 客户端“{name}”（密钥前缀 {client.key_prefix}）",
            after={"name": name, "key_prefix": client.key_prefix},
        )
    return client, key


def client_set_active(
    *, client_id: int, active: bool, actor: Any = None, actor_name: str = ""
) -> Client:
    with transaction.atomic():
        client = Client.objects.select_for_update().filter(pk=client_id).first()
        if client is None:
            raise NotFound("客户端不存在。")
        before = client.active
        client.active = active
        client.save(update_fields=["active", "updated_at"])
        audit_record(
            action="open311.client_active",
            actor=actor,
            role="system" if actor is None else "",
            actor_name=actor_name,
            obj=client,
            summary=f"{'启用' if active else '停用'} Open311 客户端“{client.name}”",
            before={"active": before},
            after={"active": active},
        )
    return client


# ---------------------------------------------------------------- filing


def _text(value: Any, field: str, limit: int) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise InvalidInput(
            f"{field} is longer than {limit} characters （{field} 不能超过 {limit} 个字符）",
            field=field,
        )
    return text


def _coordinates(lat: Any, lng: Any) -> tuple[Decimal | None, Decimal | None]:
    if lat in (None, "") and lng in (None, ""):
        return None, None
    if lat in (None, "") or lng in (None, ""):
        field = "lat" if lat in (None, "") else "long"
        raise InvalidInput("lat and long must be sent together （经纬度须同时提供）", field=field)
    try:
        la, lo = Decimal(str(lat).strip()), Decimal(str(lng).strip())
    except InvalidOperation:
        raise InvalidInput("lat/long must be numbers （经纬度须为数字）", field="lat") from None
    if not (la.is_finite() and lo.is_finite()):
        raise InvalidInput("lat/long must be numbers （经纬度须为数字）", field="lat")
    south, west, north, east = bounding_box()
    if not (south <= la <= north and west <= lo <= east):
        raise InvalidInput(
            f"lat/long ({la}, {lo}) is outside the jurisdiction "
            f"（坐标不在本县范围内：纬度 {south}–{north}，经度 {west}–{east}）",
            field="lat",
        )
    return la, lo


def bounding_box() -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """The county's box (south, west, north, east; WGS84) from ONEWINDOW_OPEN311_BBOX."""
    raw = str(getattr(settings, "ONEWINDOW_OPEN311_BBOX", "32.80,106.70,33.40,107.50"))
    south, west, north, east = (Decimal(p.strip()) for p in raw.split(","))
    return south, west, north, east


def media_max_bytes() -> int:
    return int(getattr(settings, "ONEWINDOW_OPEN311_MEDIA_MAX_BYTES", 10 * 1024 * 1024))


def _check_media(media: Any) -> None:
    """A photo (JPEG or PNG) no larger than ONEWINDOW_OPEN311_MEDIA_MAX_BYTES; the files app
    checks it again when it keeps it."""
    limit = media_max_bytes()
    size = getattr(media, "size", None)
    if size is None:
        media.seek(0, 2)
        size = media.tell()
        media.seek(0)
    if size > limit:
        raise InvalidInput(
            f"media is too large ({size // (1024 * 1024)} MB; at most {limit // (1024 * 1024)} MB)"
            f" （照片过大，最大 {limit // (1024 * 1024)} MB）",
            field="media",
        )
    extension = str(getattr(media, "name", "") or "").rsplit(".", 1)[-1].lower()
    kind = EXTENSIONS.get(extension)
    if kind not in MEDIA_KINDS or detect_kind(media, extension=extension) != kind:
        raise InvalidInput(
            "media must be a JPEG or PNG photo （照片须为 JPG 或 PNG 格式）", field="media"
        )


def _attributes(
    category: Category, given: dict[str, list[str]]
) -> tuple[dict[str, Any], list[str]]:
    """The checked attribute values (code → value or list) and the lines for the appeal text."""
    defined = {a.code: a for a in selectors.attributes_for(category)}
    unknown = sorted(set(given) - set(defined))
    if unknown:
        raise InvalidInput(
            f"attribute[{unknown[0]}] is not defined for service {category.code} "
            f"（服务 {category.code} 没有属性 {unknown[0]}）",
            field=f"attribute[{unknown[0]}]",
        )
    values: dict[str, Any] = {}
    lines: list[str] = []
    for code, attr in defined.items():
        if not attr.variable:
            continue
        raw = [v.strip() for v in given.get(code, []) if v.strip()]
        if not raw and attr.default:
            raw = [attr.default]
        if not raw:
            if attr.required:
                raise InvalidInput(
                    f"attribute[{code}] is required （请填写：{attr.description}）",
                    field=f"attribute[{code}]",
                )
            continue
        values[code], shown = _attribute_value(attr, raw)
        if code not in (KIND_ATTRIBUTE, PUBLISH_ATTRIBUTE):
            label = attr.description.split(" (")[0]
            lines.append(f"【{label}】{shown}")
    return values, lines


def _attribute_value(attr: ServiceAttribute, raw: list[str]) -> tuple[Any, str]:
    field = f"attribute[{attr.code}]"
    if attr.datatype != Datatype.MULTI and len(raw) > 1:
        raise InvalidInput(f"{field} takes one value （{field} 只能有一个值）", field=field)
    value = raw[0]
    if attr.datatype in (Datatype.SINGLE, Datatype.MULTI):
        keys = attr.keys()
        wrong = [v for v in raw if v not in keys]
        if wrong:
            raise InvalidInput(
                f"{field}: {wrong[0]!r} is not one of {', '.join(keys)} "
                f"（{field} 的取值须为 {'、'.join(keys)} 之一）",
                field=field,
            )
        if attr.datatype == Datatype.MULTI:
            return raw, "、".join(keys[v] for v in raw)
        return value, keys[value]
    if attr.datatype == Datatype.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise InvalidInput(f"{field} must be a number （{field} 须为数字）", field=field)
        return value, value
    if attr.datatype == Datatype.DATETIME:
        parse_w3c(value, field)
        return value, value
    limit = 200 if attr.datatype == Datatype.STRING else 1000
    if len(value) > limit or (attr.datatype == Datatype.STRING and "\n" in value):
        raise InvalidInput(
            f"{field} must be one line of at most {limit} characters "
            f"（{field} 须为不超过 {limit} 个字的{attr.get_datatype_display()}）",
            field=field,
        )
    return value, value


def _caller(first: str, last: str) -> str:
    if not first and not last:
        return ""
    if any(ord(ch) > 127 for ch in first + last):
        return f"{last}{first}"  # 姓在前
    return f"{first} {last}".strip()


def file_request(
    *,
    client: Client,
    jurisdiction_id: str,
    service_code: str,
    lat: Any = None,
    long: Any = None,
    address_string: str = "",
    address_id: str = "",
    attributes: dict[str, list[str]] | None = None,
    email: str = "",
    device_id: str = "",
    account_id: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    description: str = "",
    media_url: str = "",
    media: Any = None,
) -> ServiceRequest:
    """POST Service Request: check everything, then file the appeal and its record together."""
    jurisdiction_id = (jurisdiction_id or "").strip()
    service_code = (service_code or "").strip()
    if not jurisdiction_id:
        raise InvalidInput(
            "jurisdiction_id was not provided: send the 12-digit code of the town or village "
            "（请提供 jurisdiction_id：镇（街道）或村（社区）的 12 位区划代码）",
            field="jurisdiction_id",
        )
    if not service_code:
        raise InvalidInput(
            "service_code was not provided （请提供 service_code）", field="service_code"
        )
    region = selectors.jurisdiction(jurisdiction_id)
    if region is None:
        raise NotFound(
            f"jurisdiction_id {jurisdiction_id} was not found in this county "
            f"（本县没有区划代码为 {jurisdiction_id} 的镇村）",
            field="jurisdiction_id",
        )
    category = selectors.service(service_code)
    if category is None:
        raise NotFound(
            f"service_code {service_code} was not found （没有编码为 {service_code} 的服务）",
            field="service_code",
        )
    address_string = _text(address_string, "address_string", 200)
    address_id = _text(address_id, "address_id", 12)
    latitude, longitude = _coordinates(lat, long)
    if latitude is None and not address_string and not address_id:
        raise InvalidInput(
            "a location is required: lat & long, address_string or address_id "
            "（请提供位置：经纬度、地址或地址编码之一）",
            field="lat",
        )
    if address_id:
        place = Region.objects.filter(code=address_id).first()
        if place is None or not place.path.startswith(region.path):
            raise InvalidInput(
                f"address_id {address_id} is outside jurisdiction {jurisdiction_id} "
                f"（地址编码 {address_id} 不在该区划范围内）",
                field="address_id",
            )
        region = place
    text = _text(description, "description", DESCRIPTION_MAX)
    if len(text) < 5:
        raise InvalidInput(
            "description is required (at least 5 characters) （请把诉求内容写清楚，至少 5 个字）",
            field="description",
        )
    values, lines = _attributes(category, attributes or {})
    kind = str(values.get(KIND_ATTRIBUTE) or Kind.HELP)
    publish = values.get(PUBLISH_ATTRIBUTE) == "true"
    email = _text(email, "email", 254)
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise InvalidInput("email is not valid （电子邮箱格式不正确）", field="email") from None
    media_url = _text(media_url, "media_url", 500)
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise InvalidInput(
                "media_url must be an http(s) URL （media_url 须为 http(s) 链接）",
                field="media_url",
            ) from None
    device_id = _text(device_id, "device_id", 100)
    account_id = _text(account_id, "account_id", 100)
    caller = _caller(_text(first_name, "first_name", 32), _text(last_name, "last_name", 32))
    phone = _text(phone, "phone", 20).replace(" ", "")
    anonymous = kind == Kind.REPORT and not caller and not phone
    if media is not None:
        _check_media(media)
    first_line = text.splitlines()[0].strip()
    title = f"{category.name}：{first_line}"
    title = title if len(title) <= 40 else title[:39] + "…"
    content = text + ("\n\n" + "\n".join(lines) if lines else "")
    try:
        with transaction.atomic():
            appeal = appeals.file_appeal(
                channel=Channel.OPEN311,
                kind=kind,
                category_id=category.pk,
                region_id=region.pk,
                title=title,
                content=content,
                caller_name=caller,
                callback_phone=phone,
                anonymous=anonymous,
                publish_consent=publish,
                address=address_string,
                latitude=latitude,
                longitude=longitude,
                uploads=[media] if media is not None else [],
                actor=None,
            )
            record = ServiceRequest.objects.create(
                appeal=appeal,
                client=client,
                token=uuid.uuid4().hex,
                attributes=values,
                address_id=address_id,
                media_url=media_url,
                email=email,
                device_id=device_id,
                account_id=account_id,
            )
            audit_record(
                action="open311.request",
                actor=None,
                role="open311",
                actor_name=f"Open311 客户端 {client.name}"[:150],
                obj=record,
                summary=f"Open311 客户端“{client.name}”提交诉求 {appeal.number}（{category.name}）",
                after={
                    "appeal": appeal.number,
                    "service_code": category.code,
                    "token": record.token,
                },
            )
    except DomainError as error:
        if error.field in FIELDS:
            error.field = FIELDS[error.field]
        raise
    return record
