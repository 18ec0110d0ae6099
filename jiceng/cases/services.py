"""The one entry point that creates and changes cases.

- `intake(...)` takes a case in from any channel.
- `transition(case, move, user=..., reason=..., **kw)` makes one move of the loop:
  1. lock the row (`select_for_update`);
  2. check the table (workflow.MOVES) for the current state, and the actor's role/scope;
  3. run the move's own rule (dispatch needs a unit, merge a target, …);
  4. append one immutable CaseEvent (who, when, from, to, move, reason, data);
  5. update the case's current-state columns (status, unit, level, deadline, facts);
  6. queue notifications in the Outbox in the same transaction (never lost, never
     doubled: each has a dedupe key) and fire `case_changed` after commit.

Other apps call these functions (and `visible_cases`), never the tables directly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal
from django.http import Http404
from django.utils import timezone

from jiceng.accounts.models import Role, Unit, UnitKind
from jiceng.accounts.scope import scope_code
from jiceng.cases import deadlines, placing
from jiceng.cases.models import (
    Case,
    CaseAssignment,
    CaseCounter,
    CaseEvent,
    Category,
    Channel,
    DispatchRule,
    Outbox,
    RequestType,
    ReturnVisit,
    Satisfaction,
    Status,
    Tier,
    Urgency,
    Whistle,
    WhistleCall,
)
from jiceng.cases.workflow import MOVES, OPEN_STATES, Move, status_label

# Sent after commit with case=…, move=…, event=…: the command centre listens to it.
case_changed = Signal()

ROLE_TIER = {
    Role.GRID_WORKER: Tier.GRID,
    Role.COMMUNITY_STAFF: Tier.COMMUNITY,
    Role.STREET_DISPATCHER: Tier.STREET,
    Role.DISTRICT_ADMIN: Tier.DISTRICT,
}
DISPATCH_ROLES = {Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_ADMIN}
TIER_UNIT_KIND = {
    Tier.COMMUNITY: (UnitKind.COMMUNITY, 12),
    Tier.STREET: (UnitKind.STREET, 9),
    Tier.DISTRICT: (UnitKind.DISTRICT, 6),
}
# Return-visit rule: these answers reopen the case (at most MAX_REOPEN times by rule).
REOPEN_ON = {Satisfaction.UNSATISFIED}
MAX_REOPEN = 2
STAFF_CHANNELS = {Channel.HOTLINE, Channel.GRID, Channel.TRANSFER}


class MoveRefused(Exception):
    """A move the table, the role or the rule forbids. `status` maps to the HTTP code."""

    def __init__(self, message: str, code: str = "move_refused", status: int = 409):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


# ---------------------------------------------------------------- visibility


def visible_cases(user) -> QuerySet[Case]:
    """The cases this user may see (accounts/scope.py rules applied to cases):

    resident → their own; department handler → assigned to its unit (lead, helper or
    summoned); everyone else → cases whose region code is in their scope subtree.
    """
    qs = Case.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role == Role.RESIDENT:
        return qs.filter(reporter=user)
    if user.role == Role.DEPARTMENT_HANDLER:
        if not user.unit_id:
            return qs.none()
        assigned = CaseAssignment.objects.filter(unit_id=user.unit_id, active=True).values(
            "case_id"
        )
        return qs.filter(Q(unit_id=user.unit_id) | Q(pk__in=assigned))
    code = scope_code(user)
    if code is None:
        return qs.none()
    return qs.filter(region_code__under=code)


def summary(user, now: datetime | None = None) -> dict[str, Any]:
    """The command centre's figures for the cases this user sees (`visible_cases`).

    Open states are counted live from the indexes that start with status (a small share
    of all cases); each closed-type state is one count (see README: no rollup yet).
    Refuses (PermissionDenied) users without the `cases.board` action.
    """
    from django.db.models import Count

    from jiceng.accounts.scope import require
    from jiceng.cases.workflow import WATCHED_STATES

    require(user, "cases.board")
    now = now or timezone.now()
    qs = visible_cases(user).order_by()
    open_states = sorted(OPEN_STATES)
    open_qs = qs.filter(status__in=open_states)
    late = Q(status__in=sorted(WATCHED_STATES), deadline__lt=now)
    by_status = {s: 0 for s in Status.values}
    by_status.update(dict(open_qs.values_list("status").annotate(n=Count("id"))))
    for s in Status.values:
        if s not in OPEN_STATES:
            by_status[s] = qs.filter(status=s).count()
    by_unit = list(
        open_qs.values("unit_id")
        .annotate(n=Count("id"), overdue=Count("id", filter=late))
        .order_by("-n", "unit_id")
    )
    names = dict(
        Unit.objects.filter(pk__in=[r["unit_id"] for r in by_unit if r["unit_id"]]).values_list(
            "pk", "name"
        )
    )
    for r in by_unit:
        r["unit_name"] = names.get(r["unit_id"], "未派单")
    day = now.astimezone(deadlines.tz()).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "at": now,
        "by_status": by_status,
        "open": sum(by_status[s] for s in OPEN_STATES),
        "open_by_level": dict(open_qs.values_list("level").annotate(n=Count("id"))),
        "open_by_unit": by_unit,
        "overdue": qs.filter(late).count(),
        "today_new": qs.filter(created_at__gte=day, created_at__lt=now).count(),
        "today_closed": qs.filter(closed_at__gte=day, closed_at__lt=now).count(),
    }


def get_visible(user, number: str) -> Case:
    case = visible_cases(user).filter(number=number).first()
    if case is None:
        raise Http404("该诉求不存在或不在您的管辖范围内")
    return case


def _covers(user, code: str) -> bool:
    prefix = scope_code(user)
    return prefix is not None and code.startswith(prefix)


def actor_kinds(user, case: Case, need: frozenset[str] | None = None) -> set[str]:
    """What this user is with respect to this case (see workflow.py's docstring).

    `need`: the kinds the caller cares about (skips the whistle query when not needed).
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    if user.is_superuser:
        return {"dispatcher", "handler", "grid", "street", "summoned"}
    kinds: set[str] = set()
    role = user.role
    in_scope = _covers(user, case.region_code)
    if role in DISPATCH_ROLES and in_scope and ROLE_TIER[role] >= case.level:
        kinds.add("dispatcher")
    if role in (Role.STREET_DISPATCHER, Role.DISTRICT_ADMIN) and in_scope:
        kinds.add("street")
    if role == Role.GRID_WORKER and in_scope:
        kinds.add("grid")
        if case.level == Tier.GRID and case.unit_id is None:
            kinds.add("handler")
    if user.unit_id and user.unit_id == case.unit_id and role != Role.AUDITOR:
        kinds.add("handler")
    if user.unit_id and role != Role.AUDITOR and (need is None or "summoned" in need):
        if WhistleCall.objects.filter(
            whistle__case=case, unit_id=user.unit_id, reported_at__isnull=True
        ).exists():
            kinds.add("summoned")
    if role == Role.RESIDENT and case.reporter_id == user.pk:
        kinds.add("resident")
    return kinds


def allowed_moves_for(user, case: Case) -> list[Move]:
    """The moves to offer this viewer: the table and the role, minus moves whose own rule
    would refuse at once (nothing to rate, already rated)."""
    kinds = actor_kinds(user, case)
    out = []
    for m in MOVES.values():
        if case.status not in m.sources or not m.actors & kinds or m.name in ("card", "report"):
            continue
        if (
            m.name == "rate_report_in"
            and not WhistleCall.objects.filter(
                whistle__case=case, reported_at__isnull=False
            ).exists()
        ):
            continue
        if (
            m.name == "visit"
            and case.rated_at
            and case.rated_at >= (case.closed_at or case.rated_at)
        ):
            continue
        out.append(m)
    return out


# ---------------------------------------------------------------- intake


def _county_code(region_code: str) -> str:
    if len(region_code) >= 6:
        return region_code[:6]
    return installation_county_code() or "000000"


def installation_county_code() -> str:
    """The county (or district) this installation serves: the JICENG_COUNTY_CODE setting,
    else the county that has handling units, else the first county loaded; "" if none."""
    from django.conf import settings

    from jiceng.territory.models import Level, Region

    code = getattr(settings, "JICENG_COUNTY_CODE", "") or ""
    if code:
        return code
    r = Region.objects.filter(level=Level.COUNTY, units__isnull=False).order_by("code").first()
    if r is None:
        r = Region.objects.filter(level=Level.COUNTY).order_by("code").first()
    return r.code if r else ""


def _next_number(county: str, now: datetime) -> str:
    """Today's next number for the county, in one upsert statement.

    The counter row stays locked until commit, so callers take the number as the last
    thing before they insert (intake does); numbers are unique, a rolled-back
    transaction gives its number back (no gaps from that)."""
    prefix = f"{county}-{now.astimezone(deadlines.tz()):%Y%m%d}"
    table = connection.ops.quote_name(CaseCounter._meta.db_table)
    with connection.cursor() as cur:
        # ON CONFLICT … RETURNING: PostgreSQL and SQLite ≥ 3.35 alike
        cur.execute(
            f"INSERT INTO {table} (prefix, last) VALUES (%s, 1) "
            f"ON CONFLICT (prefix) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [prefix],
        )
        last = cur.fetchone()[0]
    return f"{prefix}-{last:04d}"


# Territorial centres by code, kept in process: intake looks two up per case. Cleared
# when a Unit is saved or deleted here; other processes see changes within _CENTRES_TTL.
_CENTRES_TTL = 30.0
_centres: dict[str, Unit] = {}
_centres_at = -math.inf


def _centre(kind: str, code: str) -> Unit | None:
    global _centres, _centres_at
    now = time.monotonic()
    if now - _centres_at > _CENTRES_TTL:
        _centres = {
            u.code: u
            for u in Unit.objects.filter(
                active=True, kind__in=[k for k, _ in TIER_UNIT_KIND.values()]
            )
        }
        _centres_at = now
    u = _centres.get(code)
    if u is not None and u.kind == kind:
        return u
    # a miss may be a unit made since the map was read (bulk-created, other process)
    return Unit.objects.filter(kind=kind, code=code, active=True).first()


def forget_centres(**_kw) -> None:
    """Drop the in-process map of territorial centres (Unit saved/deleted)."""
    global _centres_at
    _centres_at = -math.inf


# A category's time limit (read up its lineage), kept like the centres.
_limits: dict[tuple[int, int], tuple[float, str]] = {}
_limits_at = -math.inf


def _limit_for(category: Category | None, urgency: int) -> tuple[float, str]:
    global _limits_at
    if category is None:
        return deadlines.limit_for(None, urgency)
    now = time.monotonic()
    if now - _limits_at > _CENTRES_TTL:
        _limits.clear()
        _limits_at = now
    key = (category.pk, int(urgency))
    if key not in _limits:
        _limits[key] = deadlines.limit_for(category, urgency)
    return _limits[key]


def forget_limits(**_kw) -> None:
    global _limits_at
    _limits_at = -math.inf


post_save.connect(forget_limits, sender=Category, dispatch_uid="cases.forget_limits.save")
post_delete.connect(forget_limits, sender=Category, dispatch_uid="cases.forget_limits.delete")
post_save.connect(forget_centres, sender=Unit, dispatch_uid="cases.forget_centres.save")
post_delete.connect(forget_centres, sender=Unit, dispatch_uid="cases.forget_centres.delete")


def unit_at(tier: int, region_code: str) -> Unit | None:
    """The territorial centre of a tier for a region (community/street/district)."""
    if tier == Tier.GRID:
        return None
    kind, n = TIER_UNIT_KIND[Tier(tier)]
    if len(region_code) < n:
        if tier == Tier.DISTRICT:
            return Unit.objects.filter(kind=kind, code=_county_code(region_code)).first()
        return None
    return _centre(kind, region_code[:n])


def validate_extra(category: Category | None, extra: dict | None) -> dict:
    """Check values against the category's extra fields (Open311 attributes)."""
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


def _title_from(description: str) -> str:
    first = description.strip().splitlines()[0] if description.strip() else ""
    return first[:40] + ("…" if len(first) > 40 else "")


@transaction.atomic
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
    user=None,
    extra: dict | None = None,
    media_url: str = "",
    urgency: int = Urgency.NORMAL,
    title: str = "",
    region_code: str = "",
    external_ref: str = "",
    now: datetime | None = None,
) -> Case:
    """Take a case in. Staff channels (hotline, grid, transfer) and staff users register it
    at once; other channels wait for a centre to register (受理) it.

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
    phone = (reporter_phone or "").strip().replace(" ", "").replace("-", "")
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 15):
        errors.append("联系电话格式不正确")
    if errors:
        raise ValidationError(errors)
    extra_vals = validate_extra(category, extra)
    if channel == Channel.ALARM:
        urgency = Urgency.CRITICAL

    if region_code:
        from jiceng.territory.models import Region

        if not Region.objects.filter(code=str(region_code)).exists():
            raise ValidationError(f"区划或网格代码 {region_code} 不存在")
    if lon is not None and lat is not None:
        lon, lat = placing.to_wgs84(float(lon), float(lat), crs)
        located = placing.locate_code(lon, lat)
        region_code = located or region_code
    elif (lon is None) != (lat is None):
        raise ValidationError("经度和纬度须同时提供")
    if not region_code and user is not None and getattr(user, "scope_id", None):
        region_code = user.scope.code
    if not region_code:
        region_code = _county_code("")
    county = _county_code(region_code)

    is_staff_user = user is not None and getattr(user, "role", Role.RESIDENT) != Role.RESIDENT
    reporter = user if user is not None and user.role == Role.RESIDENT else None
    if reporter is not None:
        reporter_name = reporter_name or user.display_name
        phone = phone or user.phone

    if channel == Channel.GRID:
        level = Tier.GRID
        owner = unit_at(Tier.COMMUNITY, region_code)
    else:
        owner = unit_at(Tier.STREET, region_code)
        level = Tier.STREET if owner else Tier.DISTRICT
        owner = owner or unit_at(Tier.DISTRICT, region_code)

    amount, unit = _limit_for(category, urgency)
    due = deadlines.compute(now, amount, unit)
    # Registered at once by staff: insert the case in its final state with both events in
    # one bulk insert, instead of insert + register update + second event.
    register = is_staff_user or channel in STAFF_CHANNELS
    case = Case(
        channel=channel,
        request_type=request_type,
        category=category,
        title=(title or _title_from(description))[:120],
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
        level=level,
        owner_unit=owner,
        unit=owner if level != Tier.GRID else None,
        deadline=due.deadline,
        yellow_at=due.yellow_at,
        calendar_missing=due.calendar_missing,
        created_at=now,
        registered_at=now if register else None,
        version=1 if register else 0,
    )
    # The number last: the counter row is locked from here to commit.
    case.number = _next_number(county, now)
    case.save(force_insert=True)
    events = [
        _event_row(case, "report", user, "", Status.REPORTED, data={"channel": channel}, now=now)
    ]
    if register:
        m = MOVES["register"]
        events.append(
            _event_row(
                case,
                "register",
                user if is_staff_user else None,
                Status.REPORTED,
                Status.REGISTERED,
                from_unit=case.unit,
                now=now,
                public=m.public,
            )
        )
    CaseEvent.objects.bulk_create(events)
    for ev in events:
        _after_commit(case, ev.move, ev)
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
    if ids:
        from jiceng.cases import outbox

        transaction.on_commit(lambda: outbox.deliver_ids(ids))


# ---------------------------------------------------------------- moves


def transition(case: Case, move: str, *, user, reason: str = "", **kw) -> Case:
    """Make one move on a case (see the module docstring). Raises MoveRefused."""
    m = MOVES.get(move)
    if m is None or move in ("report",):
        raise MoveRefused(f"未知的操作：{move}", "unknown_move", 400)
    now = kw.pop("now", None) or timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        _apply(locked, m, user, (reason or "").strip(), kw, now, check=True)
    return locked


def _refuse_state(case: Case, m: Move) -> MoveRefused:
    return MoveRefused(
        f"该诉求当前为「{status_label(case.status)}」，不能执行「{m.label}」", "invalid_state", 409
    )


def _apply(case: Case, m: Move, user, reason: str, kw: dict, now: datetime, check: bool) -> None:
    actor = kw.pop("actor", None)  # "system" / "resident" from trusted internal callers only
    if check:
        if case.status not in m.sources:
            raise _refuse_state(case, m)
        kinds = {actor} if actor else actor_kinds(user, case, m.actors)
        if not kinds & m.actors:
            raise MoveRefused(f"您无权对该诉求执行「{m.label}」", "forbidden", 403)
        if m.needs_reason and not reason:
            raise MoveRefused(f"「{m.label}」必须填写原因", "reason_required", 400)
    from_status, from_unit = case.status, case.unit
    rule = RULES.get(m.name)
    data: dict[str, Any] = {}
    if rule is not None:
        data = rule(case, user, reason, kw, now) or {}
    if m.target is not None and not data.pop("_keep_status", False):
        case.status = m.target
    case.version += 1
    case.save()
    ev = _event(
        case,
        m.name,
        user,
        from_status,
        case.status,
        reason=reason,
        data=data,
        from_unit=from_unit,
        now=now,
        public=m.public or bool(kw.get("public")),
        actor_label="系统" if actor == "system" else "诉求人" if actor == "resident" else "",
    )
    _after_commit(case, m.name, ev)
    follow = data.get("_then")
    if follow:
        name, freason = follow
        _apply(case, MOVES[name], None, freason, {"actor": "system"}, now, check=True)


def _event(
    case,
    move,
    user,
    from_status,
    to_status,
    *,
    reason="",
    data=None,
    from_unit=None,
    now=None,
    public=True,
    actor_label="",
) -> CaseEvent:
    ev = _event_row(
        case,
        move,
        user,
        from_status,
        to_status,
        reason=reason,
        data=data,
        from_unit=from_unit,
        now=now,
        public=public,
        actor_label=actor_label,
    )
    ev.save()
    return ev


def _event_row(
    case,
    move,
    user,
    from_status,
    to_status,
    *,
    reason="",
    data=None,
    from_unit=None,
    now=None,
    public=True,
    actor_label="",
) -> CaseEvent:
    """The event, not yet saved (intake inserts two at once)."""
    data = {k: v for k, v in (data or {}).items() if not k.startswith("_")}
    u = user if user is not None and getattr(user, "is_authenticated", False) else None
    return CaseEvent(
        case=case,
        at=now or timezone.now(),
        actor=u,
        actor_label=actor_label or (u.display_name if u else "系统"),
        move=move,
        from_status=from_status,
        to_status=to_status,
        from_unit=from_unit,
        to_unit=case.unit,
        level=case.level,
        reason=reason,
        public=public,
        data=data,
    )


def _after_commit(case: Case, move: str, ev: CaseEvent) -> None:
    transaction.on_commit(lambda: case_changed.send(sender=Case, case=case, move=move, event=ev))


def notify(
    key: str,
    body: str,
    *,
    kind: str,
    unit: Unit | None = None,
    phone: str = "",
    user=None,
    case: Case | None = None,
    now: datetime | None = None,
) -> Outbox | None:
    """Queue one notification; the same key is never queued twice."""
    phone = (
        phone
        or (unit.phone if unit is not None else "")
        or (getattr(user, "phone", "") if user is not None else "")
    )
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return Outbox.objects.create(
                kind=kind,
                channel="sms" if phone else "inapp",
                to_phone=phone,
                to_unit=unit,
                to_user=user,
                body=body,
                case=case,
                dedupe_key=key[:120],
                next_attempt_at=now,
            )
    except IntegrityError:
        return None


def _unit(value) -> Unit:
    if isinstance(value, Unit):
        return value
    if value in (None, ""):
        raise MoveRefused("请选择承办单位", "unit_required", 400)
    u = (
        Unit.objects.filter(
            Q(code=str(value)) | Q(pk=int(value)) if str(value).isdigit() else Q(code=str(value))
        )
        .filter(active=True)
        .first()
    )
    if u is None:
        raise MoveRefused("承办单位不存在或已停用", "unit_invalid", 400)
    return u


def suggest_units(category: Category | None, region_code: str) -> tuple[Unit | None, list[Unit]]:
    """Lead and helper units from the dispatch rules: the most specific rule wins
    (deepest category first, then longest region prefix); else the category's unit; else
    the community committee of the place."""
    if category is None:
        return unit_at(Tier.COMMUNITY, region_code), []
    lineage = category.lineage()
    rules = list(
        DispatchRule.objects.filter(active=True, category__in=lineage)
        .select_related("lead_unit", "category")
        .prefetch_related("helper_units")
    )
    depth: dict = {c.pk: i for i, c in enumerate(lineage)}
    fitting = [r for r in rules if region_code.startswith(r.region_prefix or "")]
    if fitting:
        best = min(fitting, key=lambda r: (depth[r.category_id], -len(r.region_prefix or "")))
        return best.lead_unit, list(best.helper_units.all())
    for c in lineage:
        if c.handling_unit_id:
            return c.handling_unit, []
    # territorial matters (e.g. neighbour disputes) go to the village/community committee
    return unit_at(Tier.COMMUNITY, region_code), []


def _assign(case: Case, lead: Unit, helpers: Iterable[Unit]) -> None:
    CaseAssignment.objects.filter(
        case=case, role__in=[CaseAssignment.LEAD, CaseAssignment.HELPER], active=True
    ).update(active=False)
    rows = [CaseAssignment(case=case, unit=lead, role=CaseAssignment.LEAD)]
    rows += [
        CaseAssignment(case=case, unit=h, role=CaseAssignment.HELPER)
        for h in helpers
        if h.pk != lead.pk
    ]
    CaseAssignment.objects.bulk_create(rows)
    case.unit = lead


def _r_register(case, user, reason, kw, now):
    case.registered_at = case.registered_at or now
    if kw.get("category") is not None:
        case.category = kw["category"]
    if kw.get("request_type"):
        case.request_type = kw["request_type"]
    return {}


def _r_dispatch(case, user, reason, kw, now):
    lead = kw.get("unit")
    helpers = kw.get("helpers") or []
    if lead in (None, ""):
        lead, helpers = suggest_units(case.category, case.region_code)
        if lead is None:
            raise MoveRefused("没有匹配的派单规则，请选择承办单位", "unit_required", 400)
    lead = _unit(lead)
    helpers = [_unit(h) for h in helpers]
    _assign(case, lead, helpers)
    case.dispatched_at = case.dispatched_at or now
    notify(
        f"dispatch:{case.number}:{case.version}:{lead.code}",
        f"【新工单】{case.number} {case.title}，请于 {_fmt(case.deadline)} 前办结",
        kind="dispatch",
        unit=lead,
        case=case,
        now=now,
    )
    return {"unit": lead.name, "helpers": [h.name for h in helpers]}


def _r_accept(case, user, reason, kw, now):
    case.first_response_at = case.first_response_at or now
    return {}


def _r_return(case, user, reason, kw, now):
    case.return_count += 1
    returned_by = case.unit
    CaseAssignment.objects.filter(case=case, role=CaseAssignment.LEAD, active=True).update(
        active=False
    )
    case.unit = case.owner_unit
    return {"returned_by": returned_by.name if returned_by else ""}


def _r_handle(case, user, reason, kw, now):
    note = (kw.get("note") or reason or "").strip()
    if not note:
        raise MoveRefused("请填写处置情况", "note_required", 400)
    case.first_response_at = case.first_response_at or now
    if kw.get("public"):
        case.public_note = note
    return {"note": note}


def _r_report_handling(case, user, reason, kw, now):
    result = (kw.get("result") or reason or "").strip()
    if not result:
        raise MoveRefused("请填写办理结果", "result_required", 400)
    case.handled_at = now
    case.first_response_at = case.first_response_at or now
    case.public_note = result
    return {"result": result}


def _close(case, now, level):
    case.closed_at = now
    case.closed_level = level
    case.closed_on_time = case.deadline is None or now <= case.deadline
    case.visit_due_at = deadlines.visit_due(now)
    CaseAssignment.objects.filter(case=case, active=True).update(active=False)
    if case.reporter_phone:
        notify(
            f"closed:{case.number}:{case.reopen_count}",
            f"您的诉求 {case.number} 已办结：{case.public_note[:60]}。欢迎查询并评价。",
            kind="closed",
            phone=case.reporter_phone,
            case=case,
            now=now,
        )


def _r_verify_close(case, user, reason, kw, now):
    if kw.get("public_note"):
        case.public_note = kw["public_note"]
    _close(case, now, case.level)
    return {}


def _r_rework(case, user, reason, kw, now):
    case.rework_count += 1
    case.handled_at = None
    return {}


def _r_close_on_spot(case, user, reason, kw, now):
    cat = case.category
    if cat is None or not any(c.grid_can_fix for c in cat.lineage()):
        raise MoveRefused("该类事项不能由网格就地办结，请上报社区", "not_grid_fixable", 409)
    result = (kw.get("result") or reason or "").strip()
    if not result:
        raise MoveRefused("请填写就地处置情况", "result_required", 400)
    case.public_note = result
    case.first_response_at = case.first_response_at or now
    case.registered_at = case.registered_at or now
    case.handled_at = now
    case.closed_on_spot = True
    _close(case, now, Tier.GRID)
    return {"result": result}


def _r_archive(case, user, reason, kw, now):
    case.archived_at = now
    return {}


def _r_reopen(case, user, reason, kw, now):
    case.reopen_count += 1
    case.closed_at = None
    case.closed_level = None
    case.closed_on_time = None
    case.closed_on_spot = False
    case.archived_at = None
    case.handled_at = None
    case.visit_due_at = None
    amount, unit = deadlines.limit_for(case.category, case.urgency)
    _set_due(case, deadlines.compute(now, amount, unit))
    last_lead = (
        CaseAssignment.objects.filter(case=case, role=CaseAssignment.LEAD)
        .order_by("-id")
        .select_related("unit")
        .first()
    )
    if last_lead is not None:
        CaseAssignment.objects.filter(pk=last_lead.pk).update(active=True)
        case.unit = last_lead.unit
    else:
        case.unit = case.owner_unit
        if case.level == Tier.GRID:
            case.unit = None
    return {}


def _set_due(case, due) -> None:
    case.deadline = due.deadline
    case.yellow_at = due.yellow_at
    case.calendar_missing = due.calendar_missing
    case.card = ""


def _r_escalate(case, user, reason, kw, now):
    if case.level >= Tier.DISTRICT:
        raise MoveRefused("该诉求已在区县层级，无法继续上报", "top_level", 409)
    new_level = case.level + 1
    owner = unit_at(new_level, case.region_code)
    while owner is None and new_level < Tier.DISTRICT:
        new_level += 1
        owner = unit_at(new_level, case.region_code)
    CaseAssignment.objects.filter(case=case, active=True).exclude(
        role=CaseAssignment.WHISTLE
    ).update(active=False)
    old = case.level
    case.level = new_level
    case.owner_unit = owner
    case.unit = owner
    case.escalate_count += 1
    case.registered_at = case.registered_at or now
    if owner is not None:
        notify(
            f"escalate:{case.number}:{case.version}",
            f"【上报】{case.number} {case.title} 已上报至{owner.name}：{reason[:40]}",
            kind="escalate",
            unit=owner,
            case=case,
            now=now,
        )
    return {"from_level": old, "to_level": new_level}


def _r_merge(case, user, reason, kw, now):
    into = kw.get("into")
    if isinstance(into, str):
        into = Case.objects.filter(number=into.strip()).first()
    if into is None:
        raise MoveRefused("请填写要并入的工单编号", "target_required", 400)
    if into.pk == case.pk:
        raise MoveRefused("不能并入自身", "target_invalid", 400)
    target = Case.objects.select_for_update().get(pk=into.pk)
    if target.status not in OPEN_STATES:
        raise MoveRefused(f"目标工单 {target.number} 已办结，不能并入", "target_closed", 409)
    if user is not None and not visible_cases(user).filter(pk=target.pk).exists():
        raise MoveRefused("目标工单不存在或不在您的管辖范围内", "target_invalid", 404)
    case.merged_into = target
    case.public_note = f"已与工单 {target.number} 合并办理"
    CaseAssignment.objects.filter(case=case, active=True).update(active=False)
    _event(
        target,
        "absorb",
        user,
        target.status,
        target.status,
        reason=reason,
        data={"merged": case.number},
        now=now,
        public=False,
    )
    return {"into": target.number}


def _r_split(case, user, reason, kw, now):
    parts = kw.get("parts") or []
    if len(parts) < 2:
        raise MoveRefused("拆分至少需要两个子诉求", "parts_required", 400)
    numbers = []
    for p in parts:
        desc = (p.get("description") or "").strip()
        if len(desc) < 5:
            raise MoveRefused("每个子诉求内容至少需要 5 个字", "parts_invalid", 400)
        cat = p.get("category") or case.category
        amount, unit = deadlines.limit_for(cat, case.urgency)
        due = deadlines.compute(now, amount, unit)
        child = Case.objects.create(
            number=_next_number(_county_code(case.region_code), now),
            channel=case.channel,
            request_type=case.request_type,
            category=cat,
            title=(p.get("title") or _title_from(desc))[:120],
            description=desc,
            urgency=case.urgency,
            lon=case.lon,
            lat=case.lat,
            address=case.address,
            home_address=case.home_address,
            region_code=case.region_code,
            reporter=case.reporter,
            reporter_name=case.reporter_name,
            reporter_phone=case.reporter_phone,
            taken_by=case.taken_by,
            extra=case.extra,
            media=case.media,
            status=Status.REGISTERED,
            level=case.level,
            owner_unit=case.owner_unit,
            unit=case.owner_unit,
            parent=case,
            deadline=due.deadline,
            yellow_at=due.yellow_at,
            calendar_missing=due.calendar_missing,
            created_at=now,
            registered_at=now,
        )
        _event(
            child,
            "split_from",
            user,
            "",
            Status.REGISTERED,
            reason=reason,
            data={"parent": case.number},
            now=now,
        )
        numbers.append(child.number)
    case.public_note = f"已拆分为：{'、'.join(numbers)}"
    return {"parts": numbers}


def _r_cancel(case, user, reason, kw, now):
    case.public_note = f"经核实为无效诉求：{reason}"
    return {}


def _r_request_pause(case, user, reason, kw, now):
    try:
        days = int(kw.get("days") or 0)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= 60:
        raise MoveRefused("缓办天数须为 1 至 60 个工作日", "days_invalid", 400)
    return {"days": days}


def _r_approve_pause(case, user, reason, kw, now):
    req = case.events.filter(move="request_pause").order_by("-at", "-id").first()
    days = int(kw.get("days") or (req.data.get("days") if req else 0) or 0)
    if days <= 0:
        raise MoveRefused("未找到缓办申请天数", "days_invalid", 400)
    if case.deadline is not None:
        new_deadline = deadlines.extend(case.deadline, days, "workdays").deadline
        new_yellow = deadlines.extend(case.yellow_at or case.deadline, days, "workdays").deadline
        case.deadline, case.yellow_at = new_deadline, new_yellow
        case.card = ""
    case.paused_days += days
    return {"days": days, "deadline": case.deadline.isoformat() if case.deadline else None}


def _r_remind(case, user, reason, kw, now):
    case.remind_count += 1
    if case.unit is not None:
        notify(
            f"remind:{case.number}:{case.remind_count}",
            f"【催办】{case.number} {case.title}，期限 {_fmt(case.deadline)}，请抓紧办理",
            kind="remind",
            unit=case.unit,
            case=case,
            now=now,
        )
    return {"count": case.remind_count}


def _r_supervise(case, user, reason, kw, now):
    level = int(kw.get("level") or min(case.level + 1, Tier.DISTRICT))
    case.supervised_level = level
    sup = unit_at(level, case.region_code)
    for u in (sup, case.unit):
        if u is not None:
            notify(
                f"supervise:{case.number}:{level}:{u.code}:{case.version}",
                f"【督办】{case.number} {case.title}：{reason[:40]}",
                kind="supervise",
                unit=u,
                case=case,
                now=now,
            )
    return {"level": level}


def _r_whistle(case, user, reason, kw, now):
    units = [_unit(u) for u in (kw.get("units") or [])]
    if not units:
        raise MoveRefused("请选择要吹哨召集的部门", "units_required", 400)
    hours = float(kw.get("limit_hours") or 24)
    street = unit_at(Tier.STREET, case.region_code) or (user.unit if user else None)
    if street is None:
        raise MoveRefused("该诉求所在街镇没有综治中心，不能吹哨", "no_street", 409)
    w = Whistle.objects.create(case=case, unit=street, called_by=user, at=now, note=reason)
    due = now + timedelta(hours=hours)
    for u in units:
        WhistleCall.objects.create(whistle=w, unit=u, due_at=due)
        CaseAssignment.objects.create(case=case, unit=u, role=CaseAssignment.WHISTLE)
        notify(
            f"whistle:{w.pk}:{u.code}",
            f"【吹哨报到】{street.name}召集：{case.number} {case.title}，请于 {_fmt(due)} 前报到",
            kind="whistle",
            unit=u,
            case=case,
            now=now,
        )
    return {"whistle": w.pk, "units": [u.name for u in units], "due": due.isoformat()}


def _r_report_in(case, user, reason, kw, now):
    call = (
        WhistleCall.objects.select_for_update()
        .filter(whistle__case=case, unit_id=getattr(user, "unit_id", None), reported_at=None)
        .first()
    )
    if call is None and user is not None and user.is_superuser and kw.get("unit"):
        call = WhistleCall.objects.filter(
            whistle__case=case, unit=_unit(kw["unit"]), reported_at=None
        ).first()
    if call is None:
        raise MoveRefused("您的单位没有待报到的召集", "no_call", 409)
    text = (kw.get("report") or reason or "").strip()
    if not text:
        raise MoveRefused("请填写报到情况", "report_required", 400)
    call.reported_at = now
    call.report = text
    call.on_time = now <= call.due_at
    call.save()
    case.first_response_at = case.first_response_at or now
    return {"unit": call.unit.name, "on_time": call.on_time}


def _r_rate_report_in(case, user, reason, kw, now):
    unit = _unit(kw.get("unit"))
    try:
        rating = int(kw.get("rating") or 0)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise MoveRefused("评分须为 1 至 5 分", "rating_invalid", 400)
    call = (
        WhistleCall.objects.filter(whistle__case=case, unit=unit).order_by("-whistle__at").first()
    )
    if call is None:
        raise MoveRefused("该部门未被召集", "no_call", 409)
    call.rating = rating
    call.rating_note = (reason or "")[:200]
    call.rated_at = now
    call.save()
    return {"unit": unit.name, "rating": rating}


def _r_visit(case, user, reason, kw, now):
    sat = kw.get("satisfaction")
    if sat not in Satisfaction.values:
        raise MoveRefused("请选择满意度（满意/基本满意/不满意）", "satisfaction_required", 400)
    resolved = kw.get("resolved")
    if isinstance(resolved, str):
        resolved = resolved in ("1", "true", "yes", "resolved", "解决")
    if resolved is None:
        raise MoveRefused("请选择是否解决", "resolved_required", 400)
    if kw.get("once") and case.rated_at is not None and case.rated_at >= (case.closed_at or now):
        raise MoveRefused("该诉求已评价，感谢您的反馈", "already_rated", 409)
    reopen = sat in REOPEN_ON and case.reopen_count < MAX_REOPEN
    ReturnVisit.objects.create(
        case=case,
        at=now,
        by=user if user is not None and user.is_authenticated else None,
        channel=kw.get("channel") or "phone",
        satisfaction=sat,
        resolved=bool(resolved),
        comment=(kw.get("comment") or reason or "")[:1000],
        reopened=reopen,
    )
    case.satisfaction = sat
    case.resolved = bool(resolved)
    case.rated_at = now
    case.visit_due_at = None
    out: dict[str, Any] = {"satisfaction": sat, "resolved": bool(resolved)}
    if reopen:
        out["_then"] = ("reopen", "回访不满意，按规则重新办理")
    return out


def _fmt(dt: datetime | None) -> str:
    if dt is None:
        return "—"
    return f"{dt.astimezone(deadlines.tz()):%m月%d日 %H:%M}"


RULES = {
    "register": _r_register,
    "dispatch": _r_dispatch,
    "redispatch": _r_dispatch,
    "accept": _r_accept,
    "return": _r_return,
    "handle": _r_handle,
    "report_handling": _r_report_handling,
    "verify_close": _r_verify_close,
    "rework": _r_rework,
    "close_on_spot": _r_close_on_spot,
    "archive": _r_archive,
    "reopen": _r_reopen,
    "escalate": _r_escalate,
    "merge": _r_merge,
    "split": _r_split,
    "cancel": _r_cancel,
    "request_pause": _r_request_pause,
    "approve_pause": _r_approve_pause,
    "remind": _r_remind,
    "supervise": _r_supervise,
    "whistle": _r_whistle,
    "report_in": _r_report_in,
    "rate_report_in": _r_rate_report_in,
    "visit": _r_visit,
}


# ---------------------------------------------------------------- read helpers


def rate_by_resident(number: str, phone: str, *, satisfaction: str, resolved, comment="") -> Case:
    """The public page: a resident rates their closed case, proven by number + phone."""
    case = find_public(number, phone)
    return transition(
        case,
        "visit",
        user=None,
        actor="resident",
        satisfaction=satisfaction,
        resolved=resolved,
        comment=comment,
        channel="web",
        once=True,
    )


def find_public(number: str, phone: str) -> Case:
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    case = Case.objects.filter(number=(number or "").strip()).first()
    if case is None or not phone or case.reporter_phone != phone:
        raise Http404("未找到该编号与手机号对应的诉求")
    return case


PUBLIC_STATUSES = ("open", "closed")


def public_cases(channels: Iterable[str], statuses: Iterable[str] = ()) -> QuerySet[Case]:
    """Cases that may be published (Open311 GET requests, public boards).

    Only cases that came in through `channels`; never a 举报 (report of wrongdoing — the
    reporter's protection is a legal duty whatever the channel). `statuses` ⊆ {"open",
    "closed"} filters by `case.public_status`; none or both: all. Raises ValueError for
    another status. What of a case may be shown is the README's Open311 field list (never
    the reporter).
    """
    wanted = set(statuses)
    bad = wanted - set(PUBLIC_STATUSES)
    if bad:
        raise ValueError(f"unknown public status: {sorted(bad)[0]}")
    qs = (
        Case.objects.filter(channel__in=list(channels))
        .exclude(request_type=RequestType.REPORT)
        .select_related("category", "unit", "owner_unit")
    )
    if wanted == {"open"}:
        qs = qs.filter(status__in=OPEN_STATES)
    elif wanted == {"closed"}:
        qs = qs.exclude(status__in=OPEN_STATES)
    return qs


def public_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.filter(public=True).order_by("at", "id")


def possible_duplicates(
    *,
    category: Category | None,
    lon: float | None,
    lat: float | None,
    metres: float = 200,
    days: int = 7,
    now: datetime | None = None,
    exclude: int | None = None,
    limit: int = 10,
    region_code: str = "",
) -> list[Case]:
    """Open or recent cases of the same category within `metres` (bbox, then distance);
    without a position, in the same village/community (`region_code`, 12+ digits)."""
    if category is None:
        return []
    now = now or timezone.now()
    if lon is None or lat is None:
        if len(region_code) < 12:
            return []
        near = (
            Case.objects.filter(
                category=category,
                created_at__gte=now - timedelta(days=days),
                region_code__under=region_code[:12],
            )
            .exclude(status__in=[Status.CANCELLED, Status.MERGED])
            .exclude(pk=exclude or 0)
            .order_by("-created_at")
        )
        return list(near[:limit])
    dlat = metres / 111_320
    dlon = metres / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    qs = Case.objects.filter(
        category=category,
        created_at__gte=now - timedelta(days=days),
        lon__range=(lon - dlon, lon + dlon),
        lat__range=(lat - dlat, lat + dlat),
    ).exclude(status__in=[Status.CANCELLED, Status.MERGED])
    if exclude:
        qs = qs.exclude(pk=exclude)
    out = []
    for c in qs.order_by("-created_at")[: limit * 3]:
        if c.lon is None or c.lat is None:
            continue
        if _metres(lon, lat, c.lon, c.lat) <= metres:
            out.append(c)
    return out[:limit]


def _metres(lon1, lat1, lon2, lat2) -> float:
    r = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def earlier_cases_by_phone(user, phone: str, limit: int = 10) -> QuerySet[Case]:
    phone = (phone or "").strip()
    if len(phone) < 4:
        return Case.objects.none()
    return (
        visible_cases(user).filter(reporter_phone__startswith=phone).order_by("-created_at")[:limit]
    )


def handling_unit_name(case: Case) -> str:
    u = case.unit or case.owner_unit
    return u.name if u else ""
