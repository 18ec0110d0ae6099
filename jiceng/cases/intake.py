"""Taking a case in, from any channel: checks, placing, numbering, first owner, deadline.

`intake(...)` is one transaction: the case is inserted once in its final state (a staff
channel registers it at once) with its `report` (and `register`) events through the
history writer; the number is taken last, so the county's daily counter row is locked only
for the inserts (docs/decisions/0012-cases-intake-numbering.md).
"""

from __future__ import annotations

import math
import time
import time as _time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts import centres
from jiceng.accounts.models import Role, Unit, UnitKind
from jiceng.cases import deadlines, history, placing
from jiceng.cases.models import (
    Case,
    CaseCounter,
    Category,
    Channel,
    IntakeKey,
    RequestType,
    Status,
    Tier,
    Urgency,
)
from jiceng.cases.notifications import notify, send_after_commit
from jiceng.cases.workflow import MOVES
from jiceng.lib import phones

STAFF_CHANNELS = {Channel.HOTLINE, Channel.GRID, Channel.TRANSFER}
TIER_UNIT_KIND: dict[Tier, str] = {
    Tier.COMMUNITY: UnitKind.COMMUNITY,
    Tier.STREET: UnitKind.STREET,
    Tier.DISTRICT: UnitKind.DISTRICT,
}


def installation_county_code() -> str:
    """The county (or district) this installation serves: the JICENG_COUNTY_CODE setting,
    else the county that has handling units, else the first county loaded; "" if none."""
    from django.conf import settings

    from jiceng.territory.models import Level, Region

    code = getattr(settings, "JICENG_COUNTY_CODE", "") or ""
    if code:
        return str(code)
    r = Region.objects.filter(level=Level.COUNTY, units__isnull=False).order_by("code").first()
    if r is None:
        r = Region.objects.filter(level=Level.COUNTY).order_by("code").first()
    return r.code if r else ""


_COUNTY_BOX: dict[str, tuple[float, tuple[float, float, float, float] | None]] = {}
_COUNTY_BOX_TTL = 30.0  # seconds: another process's edit of the county is seen this late


def forget_county_box(**_kw: object) -> None:
    """Drop the cached county extent (connected to Region saves and deletes)."""
    _COUNTY_BOX.clear()


def _county_box() -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) of the installation county, WGS-84 degrees,
    kept in-process like the unit map: intake must not pay a query for it per case."""
    from jiceng.territory.models import Region

    # one entry: the installation's county is read with its extent (it is a query itself
    # when JICENG_COUNTY_CODE is not set)
    hit = _COUNTY_BOX.get("")
    if hit is not None and _time.monotonic() - hit[0] < _COUNTY_BOX_TTL:
        return hit[1]
    code = installation_county_code()
    r = Region.objects.filter(code=code).only("min_lon", "max_lon", "min_lat", "max_lat").first()
    box = None
    if r is not None and None not in (r.min_lon, r.max_lon, r.min_lat, r.max_lat):
        box = (float(r.min_lon), float(r.min_lat), float(r.max_lon), float(r.max_lat))  # type: ignore[arg-type]
    _COUNTY_BOX[""] = (_time.monotonic(), box)
    return box


def inside_county(lon: float, lat: float) -> bool:
    """Whether a WGS-84 point lies within the installation county's bounding box, with
    ~1 km to spare for points on the border line — the check Open311 applies (its
    `_inside_county`), now on every intake path (issue 17 item 5). True when the county
    has no known extent."""
    box = _county_box()
    if box is None:
        return True
    m = 0.01
    return box[0] - m <= lon <= box[2] + m and box[1] - m <= lat <= box[3] + m


def county_code(region_code: str) -> str:
    """The county of a region code (its first six digits), else the installation's."""
    if len(region_code) >= 6:
        return region_code[:6]
    return installation_county_code() or "000000"


def next_number(county: str, now: datetime) -> str:
    """Today's next number for the county, in one upsert statement: 610921-20261122-0042.

    The counter row stays locked until commit, so callers take the number as the last
    thing before they insert (merge does); numbers are unique, a rolled-back
    transaction gives its number back (no gaps from that)."""
    return _take_number(county, now, "VALUES (%s, 1)")


def number_apart(county: str, now: datetime) -> str | None:
    """Today's next number in a transaction of its own, committed before the case's
    (PostgreSQL, outside any transaction; else None: take `next_number` inside it).

    Why (decision 0076): in the case's transaction the county's one counter row stays
    locked through the case's inserts and its commit — the WAL's fsync — so every intake
    of the county waited for the one before it (at c=16, ~11 of 16 backends waiting on
    that row). Here it is one autocommitted statement whose commit does not wait for the
    disk (`synchronous_commit` off for that statement's transaction only, set in the
    statement): the lock lasts that statement, and the case's own commit, later in the
    same WAL, makes the number durable with it. The price: a number whose case then fails
    to commit (a database error, the process killed in between — input is checked before
    the number is taken) is a gap in the day's sequence."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    return _take_number(
        county,
        now,
        "SELECT %s, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async",
    )


def _take_number(county: str, now: datetime, values: str) -> str:
    prefix = f"{county}-{now.astimezone(deadlines.tz()):%Y%m%d}"
    table = connection.ops.quote_name(CaseCounter._meta.db_table)
    with connection.cursor() as cur:
        # ON CONFLICT … RETURNING: PostgreSQL and SQLite ≥ 3.35 alike
        cur.execute(
            f"INSERT INTO {table} (prefix, last) {values} "
            f"ON CONFLICT (prefix) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [prefix],
        )
        last = cur.fetchone()[0]
    return f"{prefix}-{last:04d}"


def unit_at(tier: int, region_code: str) -> Unit | None:
    """The territorial centre of a tier for a region (community/street/district); None for
    the grid tier. The district centre of a code shorter than a county's is the
    installation's county centre."""
    if tier == Tier.GRID:
        return None
    kind = TIER_UNIT_KIND[Tier(tier)]
    if tier == Tier.DISTRICT and len(region_code) < 6:
        return centres.centre_at(kind, county_code(region_code))
    return centres.centre_at(kind, region_code)


# A category's time limit (read up its lineage), kept in process like the centres: every
# path that needs a limit (intake, split, reopen, the worker's recompute) asks `limit_for`.
_LIMITS_TTL = centres.TTL
_limits: dict[tuple[int, int], tuple[float, str]] = {}
_limits_at = -math.inf


def limit_for(category: Category | None, urgency: int) -> tuple[float, str]:
    """(amount, unit) of the time limit for a category and urgency (deadlines.limit_for),
    cached per process; cleared when a Category is saved or deleted, re-read every 30 s."""
    global _limits_at
    if category is None:
        return deadlines.limit_for(None, urgency)
    now = time.monotonic()
    if now - _limits_at > _LIMITS_TTL:
        _limits.clear()
        _categories.clear()
        _limits_at = now
    key = (category.pk, int(urgency))
    if key not in _limits:
        _limits[key] = deadlines.limit_for(category, urgency)
    return _limits[key]


# Active categories by code, kept in process with the limits (same lifetime): the API's
# intake names its category by code, and must not pay a query for it per case.
_categories: dict[str, Category | None] = {}


def active_category(code: str) -> Category | None:
    """The active category with this code, or None; cached per process like `limit_for`
    (cleared when a Category is saved or deleted, re-read every 30 s). The instance is
    shared by the process's threads: read it, never change it."""
    global _limits_at
    now = time.monotonic()
    if now - _limits_at > _LIMITS_TTL:
        _limits.clear()
        _categories.clear()
        _limits_at = now
    if code not in _categories:
        if len(_categories) > 5000:  # unknown codes sent at random must not grow it
            _categories.clear()
        _categories[code] = Category.objects.filter(code=code, active=True).first()
    return _categories[code]


def forget_limits(**_kw: object) -> None:
    """Drop the in-process limits and categories (a Category was saved or deleted)."""
    global _limits_at
    _limits_at = -math.inf


post_save.connect(forget_limits, sender=Category, dispatch_uid="cases.forget_limits.save")
post_delete.connect(forget_limits, sender=Category, dispatch_uid="cases.forget_limits.delete")
post_save.connect(
    forget_county_box, sender="territory.Region", dispatch_uid="cases.county_box.save"
)
post_delete.connect(
    forget_county_box, sender="territory.Region", dispatch_uid="cases.county_box.del"
)


def validate_extra(category: Category | None, extra: dict[str, Any] | None) -> dict[str, Any]:
    """Check values against the category's extra fields (Open311 attributes); returns the
    cleaned values. Raises ValidationError with one Chinese message per bad field."""
    extra = dict(extra or {})
    if category is None:
        return extra
    out: dict[str, Any] = {}
    errors = []
    for f in category.extra_fields or []:
        code, label = f["code"], f.get("label", f["code"])
        val = extra.get(code)
        if val in (None, "", []):
            if f.get("required"):
                errors.append(f"「{label}」为必填项")
            continue
        dt = f.get("datatype", "string")
        keys = {str(v["key"]) for v in f.get("values", [])}
        if dt == "number":
            try:
                val = float(val)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                errors.append(f"「{label}」应为数字")
                continue
        elif dt == "datetime":
            try:
                datetime.fromisoformat(str(val))
            except ValueError:
                errors.append(f"「{label}」应为日期时间")
                continue
            val = str(val)
        elif dt == "singlevaluelist":
            if str(val) not in keys:
                errors.append(f"「{label}」的取值无效")
                continue
            val = str(val)
        elif dt == "multivaluelist":
            vals = val if isinstance(val, list) else str(val).split(",")
            vals = [str(v).strip() for v in vals if str(v).strip()]
            bad = [v for v in vals if v not in keys]
            if bad:
                errors.append(f"「{label}」的取值无效：{'、'.join(bad)}")
                continue
            val = vals
        else:
            val = str(val)[:1000]
        out[code] = val
    if errors:
        raise ValidationError(errors)
    return out


def title_from(text: str, n: int = 40) -> str:
    """A title from the first line of a text, cut at `n` characters with an ellipsis."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:n] + ("…" if len(first) > n else "")


def clean_phone(raw: str) -> str:
    """The stored form of a reporter's phone, `jiceng.lib.phones.normalise`'s (13912345678,
    0915-5212345), whichever way it was written (+86, spaces, dashes); "" stays "".
    Raises ValidationError with the normaliser's Chinese message."""
    if not (raw or "").strip():
        return ""
    try:
        return phones.normalise(raw)
    except phones.PhoneError as exc:
        raise ValidationError(str(exc)) from None


def once(key: str, make: Callable[[], Case]) -> Case:
    """Run `make` (an intake) once per key: a repeat of the key (a double Ctrl+Enter, a
    client retrying after a timeout) returns the case the first made, not a second case.

    `key` is "<path>:<user id>:<token>" (see IntakeKey); "" runs `make` without a check.
    The key row is inserted before the case in the same transaction, so on PostgreSQL a
    concurrent repeat waits on the unique index and then reads the committed case; a
    failed intake rolls the key back with it (the same token may be sent again).
    Raises whatever `make` raises (ValidationError)."""
    if not key:
        return make()
    found = IntakeKey.objects.filter(key=key, case__isnull=False).select_related("case").first()
    if found is not None and found.case is not None:
        return found.case
    try:
        with transaction.atomic():
            row = IntakeKey.objects.create(key=key[:120])
            case = make()
            IntakeKey.objects.filter(pk=row.pk).update(case=case)
            return case
    except IntegrityError:
        again = IntakeKey.objects.filter(key=key[:120]).select_related("case").first()
        if again is None or again.case is None:
            raise
        return again.case


def intake(
    *,
    channel: str,
    request_type: str,
    category: Category | None,
    description: str,
    lon: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    address: str = "",
    home_address: bool = False,
    reporter_name: str = "",
    reporter_phone: str = "",
    user: Any = None,
    extra: dict[str, Any] | None = None,
    media_url: str = "",
    urgency: int = Urgency.NORMAL,
    title: str = "",
    region_code: str = "",
    external_ref: str = "",
    now: datetime | None = None,
) -> Case:
    """Take a case in. Staff channels (hotline, grid, transfer) and staff users register it
    at once; other channels wait for a centre to register (受理) it. The input is checked
    and the case prepared first (reads only), then written in one transaction: the case,
    its events, an alarm's notifications (its number taken just before, in a transaction
    of its own on PostgreSQL: `number_apart`).

    Raises ValidationError with Chinese messages on bad input.
    """
    now = now or timezone.now()
    description = (description or "").strip()
    errors = []
    if channel not in Channel.values:
        errors.append(f"未知的渠道：{channel}")
    if request_type not in RequestType.values:
        errors.append(f"未知的诉求类型：{request_type}")
    if len(description) < 5:
        errors.append("诉求内容至少需要 5 个字")
    if category is not None and not category.active:
        errors.append("该分类已停用")
    if urgency not in Urgency.values:
        errors.append("紧急程度无效")
    phone = ""
    try:
        phone = clean_phone(reporter_phone)
    except ValidationError as exc:
        errors += exc.messages
    if errors:
        raise ValidationError(errors)
    extra_vals = validate_extra(category, extra)
    if channel == Channel.ALARM:
        urgency = Urgency.CRITICAL

    if region_code:
        from jiceng.territory.models import Region

        if not Region.objects.filter(code=str(region_code)).exists():
            raise ValidationError(gettext("区划或网格代码 %(code)s 不存在") % {"code": region_code})
    if lon is not None and lat is not None:
        lon, lat = placing.to_wgs84(float(lon), float(lat), crs)
        if not inside_county(lon, lat):
            raise ValidationError(gettext("所选位置不在本县（区）范围内，请在地图上重新选点"))
        located = placing.locate_code(lon, lat)
        region_code = located or region_code
    elif (lon is None) != (lat is None):
        raise ValidationError(gettext("经度和纬度须同时提供"))
    if not region_code and user is not None and getattr(user, "scope_id", None):
        region_code = user.scope.code
    if not region_code:
        region_code = county_code("")
    county = county_code(region_code)

    is_staff_user = user is not None and getattr(user, "role", Role.RESIDENT) != Role.RESIDENT
    reporter = user if user is not None and user.role == Role.RESIDENT else None
    if reporter is not None:
        reporter_name = reporter_name or user.display_name
        if not phone and user.phone and phones.is_valid(user.phone):
            phone = phones.normalise(user.phone)

    if channel == Channel.GRID:
        tier = Tier.GRID
        owner = unit_at(Tier.COMMUNITY, region_code)
    else:
        owner = unit_at(Tier.STREET, region_code)
        tier = Tier.STREET if owner else Tier.DISTRICT
        owner = owner or unit_at(Tier.DISTRICT, region_code)

    amount, unit = limit_for(category, urgency)
    due = deadlines.compute(now, amount, unit)
    # Registered at once by staff: insert the case in its final state with both events in
    # one bulk insert, instead of insert + register update + second event.
    register = is_staff_user or channel in STAFF_CHANNELS
    case = Case(
        channel=channel,
        request_type=request_type,
        category=category,
        title=(title or title_from(description))[:120],
        description=description,
        urgency=urgency,
        lon=lon,
        lat=lat,
        address=address[:200],
        home_address=bool(home_address and address),
        region_code=region_code,
        reporter=reporter,
        reporter_name=reporter_name[:50],
        reporter_phone=phone,
        taken_by=user if is_staff_user else None,
        external_ref=external_ref[:100],
        media=[media_url] if media_url else [],
        extra=extra_vals,
        status=Status.REGISTERED if register else Status.REPORTED,
        tier=tier,
        owner_unit=owner,
        unit=owner if tier != Tier.GRID else None,
        deadline=due.deadline,
        yellow_at=due.yellow_at,
        calendar_missing=due.calendar_missing,
        created_at=now,
        registered_at=now if register else None,
        version=1 if register else 0,
    )
    number = number_apart(county, now)
    with transaction.atomic():
        # else the number last: the counter row is locked from here to commit
        case.number = number or next_number(county, now)
        case.save(force_insert=True)
        events = [
            history.event_row(
                case, "report", user, "", Status.REPORTED, data={"channel": channel}, now=now
            )
        ]
        if register:
            events.append(
                history.event_row(
                    case,
                    "register",
                    user if is_staff_user else None,
                    Status.REPORTED,
                    Status.REGISTERED,
                    from_unit=case.unit,
                    now=now,
                    public=MOVES["register"].public,
                )
            )
        history.write(case, events, save=False)
        if channel == Channel.ALARM:
            _alarm(case, now)
    return case


def _alarm(case: Case, now: datetime) -> None:
    """One-key alarm: the command room (district centre) and the street hear at once."""
    targets = [unit_at(Tier.DISTRICT, case.region_code), unit_at(Tier.STREET, case.region_code)]
    ids = []
    for u in targets:
        if u is None:
            continue
        ob = notify(
            f"alarm:{case.number}:{u.code}",
            f"【一键报警】{case.number} {case.address or ''} {case.title}，请立即处置",
            kind="alarm",
            unit=u,
            case=case,
            now=now,
        )
        if ob is not None:
            ids.append(ob.pk)
    send_after_commit(ids)
