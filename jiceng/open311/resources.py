"""The GeoReport v2 resources over jiceng's cases: services (categories), service
definitions (a category's extra fields), service requests (cases) and tokens.

Cases are created only through `jiceng.cases.services.intake`; reads use the fields the
cases README names for Open311. What is shown publicly (see docs/open311.md):
- only cases of the published channels (default: those that came in through Open311);
- never the reporter's name, phone, email or device.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from jiceng.cases import services as cases
from jiceng.cases.models import Case, Category
from jiceng.lib import phones
from jiceng.open311 import conf, params
from jiceng.open311.models import ApiKey, Submission
from jiceng.open311.render import Open311Error, w3

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = ("singlevaluelist", "multivaluelist")
DATATYPE_HINTS = {
    "string": "单行文字",
    "number": "数字",
    "datetime": "ISO 8601 日期时间，例如 2026-11-22T10:00:00+08:00",
    "text": "多行文字",
    "singlevaluelist": "从列表中选择一项（填 key）",
    "multivaluelist": "从列表中选择一项或多项（填 key，可重复 attribute[code][]）",
}
MAX_DESCRIPTION = 4000  # the spec's limit
MAX_REQUESTS = 1000  # the spec's default (and our maximum) number of requests returned
WINDOW = timedelta(days=90)  # the spec's default and maximum date range
REQUEST_TYPE = "complaint"  # Open311 reports are problems to fix (投诉/问题反映)


# ---------------------------------------------------------------- jurisdiction


def check_jurisdiction(query: QueryDict, host: str = "") -> None:
    """One jurisdiction per installation: an absent id is fine, a wrong one is 404
    (spec: "404 - jurisdiction_id provided was not found")."""
    jid = params.value(query, "jurisdiction_id", 200)
    if not jid:
        return
    accepted = set(conf.domains())
    code = cases.installation_county_code()
    if code:
        accepted |= {code, code.ljust(12, "0")}
    if host:
        accepted.add(conf._norm_domain(host))
    if jid.lower() not in accepted and conf._norm_domain(jid) not in accepted:
        raise Open311Error(404, f"jurisdiction_id 不存在：{jid[:60]} (jurisdiction_id not found)")


# ---------------------------------------------------------------- services


def services_qs() -> QuerySet[Category]:
    """A service is an active leaf of the category tree (what a case is filed under)."""
    return Category.objects.filter(active=True).exclude(children__active=True)


def get_service(code: str) -> Category:
    cat = services_qs().filter(code=code).first() if 0 < len(code) <= 40 else None
    if cat is None:
        raise Open311Error(404, f"service_code 不存在：{code[:60]} (service_code not found)")
    return cat


def _fields(cat: Category) -> list[dict]:
    """The category's extra fields as Open311 attributes, in their order."""
    out: list[dict[str, Any]] = []
    for i, f in enumerate(cat.extra_fields or []):
        if not isinstance(f, dict) or not f.get("code"):
            continue
        dt = str(f.get("datatype")) if f.get("datatype") in DATATYPES else "string"
        label = str(f.get("label") or f["code"])
        desc = str(f.get("description") or "")
        try:
            order = int(f.get("order") or 0)
        except (TypeError, ValueError):
            order = 0
        out.append(
            {
                "code": str(f["code"]),
                "label": label,
                "datatype": dt,
                "required": bool(f.get("required")),
                "datatype_description": f.get("datatype_description") or DATATYPE_HINTS[dt],
                "order": order if order > 0 else 1000 + i,
                "description": f"{label}：{desc}" if desc and desc != label else label,
                "values": [
                    {"key": str(v.get("key")), "name": str(v.get("name") or v.get("key"))}
                    for v in (f.get("values") or [])
                    if isinstance(v, dict) and v.get("key") not in (None, "")
                ]
                if dt in LIST_TYPES
                else [],
            }
        )
    out.sort(key=lambda a: a["order"])
    # The spec wants distinct positive orders: renumber 1..n in the sorted order.
    for n, a in enumerate(out, 1):
        a["order"] = n
    return out


def service_list() -> list[dict]:
    out = []
    for cat in services_qs().order_by("order", "code"):
        group = (cat.path or cat.name).split("/")[0]
        out.append(
            {
                "service_code": cat.code,
                "service_name": cat.name,
                "description": cat.description or cat.path or cat.name,
                "metadata": bool(_fields(cat)),
                "type": "realtime",
                "keywords": cat.keywords or "",
                "group": group,
            }
        )
    return out


def service_definition(code: str) -> dict:
    cat = get_service(code)
    return {
        "service_code": cat.code,
        "attributes": [
            {
                "variable": True,
                "code": a["code"],
                "datatype": a["datatype"],
                "required": a["required"],
                "datatype_description": a["datatype_description"],
                "order": a["order"],
                "description": a["description"],
                "values": a["values"],
            }
            for a in _fields(cat)
        ],
    }


# ---------------------------------------------------------------- POST requests


def authenticate(query: QueryDict) -> ApiKey:
    raw = params.value(query, "api_key")
    if not raw:
        raise Open311Error(403, "缺少 api_key (api_key missing)")
    key = ApiKey.find(raw)
    if key is None:
        raise Open311Error(403, "api_key 无效或已吊销 (invalid or revoked api_key)")
    return key


def _check_attributes(cat: Category, given: dict[str, list[str]]) -> tuple[dict, list[str]]:
    """Values for intake's `extra`, and errors that name each attribute by its code."""
    extra: dict[str, Any] = {}
    errors: list[str] = []
    for a in _fields(cat):
        code, label, dt = a["code"], a["label"], a["datatype"]
        vals = given.get(code) or []
        name = f"attribute[{code}]（{label}）"
        if not vals:
            if a["required"]:
                errors.append(f"缺少必填属性 {name} (required attribute missing)")
            continue
        if dt == "multivaluelist":
            keys = {v["key"] for v in a["values"]}
            bad = [v for v in vals if v not in keys]
            if bad:
                errors.append(
                    f"{name} 的取值无效：{'、'.join(b[:40] for b in bad[:5])}"
                    f" (not a key of this list)"
                )
                continue
            extra[code] = list(dict.fromkeys(vals))
            continue
        v = vals[-1]
        if dt == "singlevaluelist":
            if v not in {x["key"] for x in a["values"]}:
                errors.append(f"{name} 的取值无效：{v[:40]} (not a key of this list)")
                continue
        elif dt == "number":
            try:
                ok = math.isfinite(float(v))
            except ValueError:
                ok = False
            if not ok:
                errors.append(f"{name} 应为数字 (must be a number)")
                continue
        elif dt == "datetime":
            try:
                v = params.w3_datetime(v, f"attribute[{code}]").isoformat()
            except Open311Error:
                errors.append(f"{name} 应为 ISO 8601 日期时间 (must be an ISO 8601 datetime)")
                continue
        elif len(v) > 1000:
            errors.append(f"{name} 过长（最多 1000 个字符）(too long)")
            continue
        extra[code] = v
    return extra, errors


def _phone(raw: str) -> str:
    """The platform's one phone form (jiceng.lib.phones.normalise), or "" when invalid."""
    try:
        return phones.normalise(raw)
    except phones.PhoneError:
        return ""


def _person_name(first: str, last: str) -> str:
    """Chinese names are family name first without a space; others "first last"."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return " ".join(p for p in (first, last) if p)


def _inside_county(lat: float, lon: float) -> bool:
    """A coarse check against the county's bounding box (when it has one)."""
    from jiceng.territory.models import Region

    code = cases.installation_county_code()
    r = Region.objects.filter(code=code).only("min_lon", "max_lon", "min_lat", "max_lat").first()
    if r is None or None in (r.min_lon, r.max_lon, r.min_lat, r.max_lat):
        return True
    m = 0.01  # ~1 km: points on the border line still count
    return (
        r.min_lon - m <= lon <= r.max_lon + m  # type: ignore[operator]
        and r.min_lat - m <= lat <= r.max_lat + m  # type: ignore[operator]
    )


def create_request(query: QueryDict, host: str = "") -> dict:
    """POST requests: validate like the spec, take the case in, return the response item."""
    key = authenticate(query)
    check_jurisdiction(query, host)
    code = params.value(query, "service_code", 200)
    if not code:
        raise Open311Error(400, "缺少 service_code (service_code missing)")
    cat = get_service(code)

    errors: list[str] = []

    def field(name: str, max_len: int) -> str:
        try:
            return params.value(query, name, max_len)
        except Open311Error as e:
            errors.extend(e.descriptions)
            return ""

    lat_raw, lon_raw = field("lat", 50), field("long", 50)
    address = field("address_string", 200)
    address_id = field("address_id", 100)
    description = field("description", MAX_DESCRIPTION)
    email = field("email", 254)
    phone_raw = field("phone", 30)
    first, last = field("first_name", 50), field("last_name", 50)
    account_id, device_id = field("account_id", 100), field("device_id", 100)
    media_url = field("media_url", 1000)

    lat = lon = None
    if lat_raw or lon_raw:
        if not (lat_raw and lon_raw):
            errors.append("lat 和 long 须同时提供 (lat and long must be sent together)")
        else:
            try:
                lat = params.coordinate(lat_raw, "lat", 90)
                lon = params.coordinate(lon_raw, "long", 180)
            except Open311Error as e:
                errors.extend(e.descriptions)
                lat = lon = None
            if lat is not None and lon is not None and not _inside_county(lat, lon):
                errors.append("位置不在本辖区内 (lat/long is outside this jurisdiction)")
    elif not address and not address_id:
        errors.append(
            "缺少位置：须提供 lat 和 long、address_string 或 address_id 之一"
            " (location missing: lat & long, address_string or address_id)"
        )
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors.append("email 格式不正确 (invalid email)")
    phone = _phone(phone_raw) if phone_raw else ""
    if phone_raw and not phone:
        errors.append("phone 格式不正确：手机 11 位，固话带区号如 0915-5212345 (invalid phone)")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            errors.append("media_url 须为 http(s) 网址 (media_url must be an http(s) URL)")
    extra, attr_errors = _check_attributes(cat, params.attributes(query))
    errors.extend(attr_errors)
    if errors:
        raise Open311Error(400, *errors)

    if len(description) < 5:
        # Open311 makes the description optional; a case needs a few words to be read.
        where = address or (f"{lat:.5f},{lon:.5f}" if lat is not None else address_id)
        description = f"【{cat.name}】{description}（{where}，经 Open311 客户端“{key.name}”上报）"
    name = _person_name(first, last)
    try:
        with transaction.atomic():
            case = cases.intake(
                channel="open311",
                request_type=REQUEST_TYPE,
                category=cat,
                description=description,
                lon=lon,
                lat=lat,
                crs="wgs84",
                address=address,
                reporter_name=name,
                reporter_phone=phone,
                extra=extra,
                media_url=media_url,
                external_ref=f"open311:{key.pk}",
            )
            Submission.objects.create(
                case=case,
                api_key=key,
                token=Submission.new_token(),
                address_id=address_id,
                account_id=account_id,
                email=email,
                device_id=device_id,
                attributes=extra,
            )
    except ValidationError as e:
        raise Open311Error(400, *[str(m) for m in e.messages]) from None
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return {
        "service_request_id": case.number,
        "service_notice": notice(case),
        "account_id": account_id or None,
    }


# ---------------------------------------------------------------- reads


def notice(case: Case) -> str | None:
    if case.public_status != "open" or case.deadline is None:
        return None
    agency = cases.handling_unit_name(case) or "承办单位"
    due = timezone.localtime(case.deadline)
    return f"已受理，编号 {case.number}。{agency}将按时限办理，预计 {due:%Y-%m-%d %H:%M} 前办结。"


def published(statuses: list[str] | None = None) -> QuerySet[Case]:
    """What GET requests may show: the cases app decides (never a 举报, see its README)."""
    try:
        qs = cases.public_cases(conf.publish_channels(), statuses or [])
    except ValueError:
        bad = [s for s in statuses or [] if s not in cases.PUBLIC_STATUSES]
        raise Open311Error(
            400, f"status 只能为 open 或 closed：{bad[0][:30]} (status must be open or closed)"
        ) from None
    return qs.select_related("open311_submission")


def request_item(case: Case) -> dict:
    closed = case.public_status == "closed"
    sub = getattr(case, "open311_submission", None)
    updated = (case.closed_at if closed and case.closed_at else None) or case.updated_at
    return {
        "service_request_id": case.number,
        "status": case.public_status,
        "status_notes": case.public_note or None,
        "service_name": case.category.name if case.category else None,
        "service_code": case.category.code if case.category else None,
        "description": case.description,
        "agency_responsible": cases.handling_unit_name(case) or None,
        "service_notice": notice(case),
        "requested_datetime": w3(case.created_at),
        "updated_datetime": w3(updated),
        "expected_datetime": w3(case.deadline),
        "address": case.address or None,
        "address_id": (sub.address_id or None) if sub else None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": case.media[0] if case.media else None,
    }


def get_request(number: str) -> dict:
    case = published().filter(number=number).first() if 0 < len(number) <= 40 else None
    if case is None:
        raise Open311Error(
            404, f"service_request_id 不存在：{number[:60]} (service request not found)"
        )
    return request_item(case)


def _window(query: QueryDict, now: datetime) -> tuple[datetime, datetime]:
    start_raw = params.value(query, "start_date", 60)
    end_raw = params.value(query, "end_date", 60)
    start = params.w3_datetime(start_raw, "start_date") if start_raw else None
    end = params.w3_datetime(end_raw, "end_date", end=True) if end_raw else None
    if start and end:
        if start > end:
            raise Open311Error(400, "start_date 晚于 end_date (start_date is after end_date)")
        if end - start > WINDOW + timedelta(days=1):
            raise Open311Error(
                400,
                "start_date 与 end_date 相隔不得超过 90 天 (range may not span more than 90 days)",
            )
    elif start:
        end = start + WINDOW
    elif end:
        start = end - WINDOW
    else:
        end, start = now, now - WINDOW
    return start, end  # type: ignore[return-value]


def list_requests(query: QueryDict, now: datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    ids = params.comma_list(query, "service_request_id")
    if ids:
        # The spec: service_request_id overrides all other arguments.
        qs = published().filter(number__in=ids)
    else:
        codes = params.comma_list(query, "service_code")
        qs = published(params.comma_list(query, "status"))
        start, end = _window(query, now)
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        if codes:
            qs = qs.filter(category__code__in=codes)
    return [request_item(c) for c in qs.order_by("-created_at", "-id")[:MAX_REQUESTS]]


def token_item(token: str) -> dict:
    sub = (
        Submission.objects.select_related("case").filter(token=token).first()
        if 0 < len(token) <= 40
        else None
    )
    if sub is None:
        raise Open311Error(404, f"token 不存在：{token[:60]} (token not found)")
    return {"service_request_id": sub.case.number, "token": sub.token}
