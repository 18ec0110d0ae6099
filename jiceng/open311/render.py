"""Open311 bodies in the spec's two formats.

JSON follows the spec's "Spark convention": a list resource is a bare array, each element
an object; XML has a declared UTF-8 encoding, a root element and one child per item
(`<services><service>…`). Values: None → JSON null / an empty XML element; booleans →
true/false; lists of scalars (formats) → repeated child elements named by `ITEM_NAMES`.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("json", "xml")
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
# XML element names of the items of a list held in a field (Spark: container/child).
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry at all (C0 controls but tab, LF, CR; surrogates; FFFE/FFFF).
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def w3(dt: datetime | None) -> str | None:
    """ISO 8601 (w3 note) in the platform's time zone, with its offset: 2026-11-22T10:00:00+08:00."""
    if dt is None:
        return None
    return timezone.localtime(dt).isoformat(timespec="seconds")


def clean_text(s: str) -> str:
    return _BAD_XML.sub("", s)


def _xml_value(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else None
    return clean_text(str(v))


def _fill(parent: ET.Element, name: str, value: Any) -> None:
    el = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for k, v in value.items():
            _fill(el, k, v)
    elif isinstance(value, list | tuple):
        child = ITEM_NAMES.get(name, "item")
        for item in value:
            _fill(el, child, item)
    else:
        text = _xml_value(value)
        if text is not None:
            el.text = text


def to_xml(root: str, body: Any) -> bytes:
    """`body` is a list (items of the root's item element) or a dict (the root's fields)."""
    el = ET.Element(root)
    if isinstance(body, list):
        child = ITEM_NAMES.get(root, "item")
        for item in body:
            _fill(el, child, item)
    else:
        for k, v in body.items():
            _fill(el, k, v)
    ET.indent(el, space="  ")  # read by people too, like the spec's examples
    text = ET.tostring(el, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode("utf-8")


def _json_safe(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    if isinstance(v, str):
        # Lone surrogates cannot be encoded as UTF-8.
        return v.encode("utf-8", "replace").decode("utf-8")
    return v


def respond(fmt: str, root: str, body: Any, status: int = 200) -> HttpResponse:
    if fmt == "json":
        content = json.dumps(_json_safe(body), ensure_ascii=False, allow_nan=False).encode()
    else:
        content = to_xml(root, body)
    resp = HttpResponse(content, status=status, content_type=CONTENT_TYPES[fmt])
    # A public, key-based machine API: browser apps on other origins may read it.
    resp["Access-Control-Allow-Origin"] = "*"
    return resp


class Open311Error(Exception):
    """One or more errors of one HTTP status; `descriptions` are shown to the user."""

    def __init__(self, status: int, *descriptions: str, headers: dict | None = None):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = list(descriptions) or ["error"]
        self.headers = headers or {}


def error_response(fmt: str, err: Open311Error) -> HttpResponse:
    body = [{"code": err.status, "description": d} for d in err.descriptions]
    resp = respond(fmt if fmt in FORMATS else "xml", "errors", body, status=err.status)
    for k, v in err.headers.items():
        resp[k] = v
    return resp
