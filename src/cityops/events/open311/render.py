"""GeoReport v2 wire formats: XML (mandatory, no namespace, UTF-8 declaration) and JSON (arrays for lists)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import Response

XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


def w3c(value: datetime | None) -> str:
    """W3C-DTF with a mandatory zone, in China Standard Time (+08:00) as the city's clients expect."""
    if value is None:
        return ""
    from cityops.events.calendar import CST

    return value.astimezone(UTC).astimezone(CST).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    child = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for k, v in value.items():
            _append(child, k, v)
    elif isinstance(value, list):
        # lists inside an element repeat a singular child tag (attributes > attribute, values > value)
        singular = tag[:-1] if tag.endswith("s") else tag
        for item in value:
            _append(child, singular, item)
    else:
        child.text = _text(value)


def to_xml(root: str, item_tag: str | None, payload: Any) -> bytes:
    top = ET.Element(root)
    if item_tag is None:
        for k, v in payload.items():
            _append(top, k, v)
    else:
        for item in payload:
            node = ET.SubElement(top, item_tag)
            for k, v in item.items():
                _append(node, k, v)
    body: bytes = ET.tostring(top, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body


def respond(fmt: str, root: str, item_tag: str | None, payload: Any, status_code: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item_tag, payload), status_code=status_code, media_type=XML_TYPE)
    return Response(json.dumps(payload, ensure_ascii=False), status_code=status_code, media_type=JSON_TYPE)


def errors(fmt: str, status_code: int, *messages: str) -> Response:
    payload = [{"code": str(status_code), "description": m} for m in messages]
    return respond(fmt, "errors", "error", payload, status_code)
