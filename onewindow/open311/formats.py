"""GeoReport v2 documents on the wire: XML (required by the spec) and JSON by the Spark
convention — a container element of repeated children is a JSON array, `null` is an empty
element, booleans are `true`/`false`. UTF-8 with the XML declaration."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse

# container element → the name of each child (the Spark convention's arrays)
CHILDREN = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
# characters XML 1.0 cannot carry (control characters a client may have sent in a description)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))


def _element(parent: ET.Element, name: str, value: Any) -> None:
    node = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, child in value.items():
            _element(node, key, child)
    elif isinstance(value, list):
        for child in value:
            _element(node, CHILDREN[name], child)
    else:
        node.text = _text(value)


def to_xml(root: str, document: Any) -> bytes:
    """`document` is a dict (one element with children) or a list (the root is a container)."""
    node = ET.Element(root)
    if isinstance(document, list):
        for child in document:
            _element(node, CHILDREN[root], child)
    else:
        for key, value in document.items():
            _element(node, key, value)
    ET.indent(node)
    return ET.tostring(node, encoding="utf-8", xml_declaration=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def respond(fmt: str, root: str, document: Any, *, status: int = 200) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(document, ensure_ascii=False, default=_json_default).encode()
    else:
        body = to_xml(root, document)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    document = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt, "errors", document, status=status)
