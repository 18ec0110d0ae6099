"""Field work: on/off duty (上岗), patrol tracks (轨迹巡查), attendance (考勤).

Rules (each a test):
  - going on duty needs the worker's consent to send the position (PIPL: purpose and
    consent); one open shift per worker; going off duty closes it;
  - positions are accepted only during a shift, in WGS-84 (or GCJ-02, converted), inside
    the installation's county box widened by MARGIN_DEG, with a time not later than
    now + FUTURE_SLACK and later than the last stored point of the day;
  - a refused point is answered with its reason code and kept in TrackReject; the good
    points of the same batch are stored (nothing lost);
  - a day's track is one TrackDay row (12 bytes a point, appended), so 3,000 workers × a
    point each 30 s is 3,000 rows a day, not 8.6 million.
"""

from __future__ import annotations

import struct
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from jiceng.accounts.scope import require, scope_code
from jiceng.cases import deadlines
from jiceng.command.models import Shift, TrackDay, TrackReject
from jiceng.lib import geo

POINT = struct.Struct("<iii")
MARGIN_DEG = 0.05  # ~5 km around the county's box: a worker at the edge is still in
FUTURE_SLACK = timedelta(minutes=2)  # phone clocks drift a little
MAX_BATCH = 500


def interval_seconds() -> int:
    """How often the phone sends its position while on duty (JICENG_TRACK_INTERVAL)."""
    return int(getattr(settings, "JICENG_TRACK_INTERVAL", 30))


def _tz():
    return deadlines.tz()


def open_shift(user) -> Shift | None:
    return Shift.objects.filter(user=user, ended_at__isnull=True).first()


def go_on_duty(user, *, consent: bool, now: datetime | None = None) -> Shift:
    """Start a shift. ValidationError without consent; the open shift if already on duty."""
    require(user, "command.duty")
    if not consent:
        raise ValidationError("上岗需同意在岗期间上报位置（仅用于巡查轨迹和考勤）")
    code = scope_code(user)
    if code is None:
        raise PermissionDenied("您没有负责的网格，无法上岗")
    now = now or timezone.now()
    current = open_shift(user)
    if current is not None:
        return current
    try:
        with transaction.atomic():
            return Shift.objects.create(user=user, region_code=code, started_at=now, consent_at=now)
    except IntegrityError:  # a second tap at the same moment
        return Shift.objects.get(user=user, ended_at__isnull=True)


def go_off_duty(user, now: datetime | None = None) -> Shift | None:
    require(user, "command.duty")
    now = now or timezone.now()
    with transaction.atomic():
        s = Shift.objects.select_for_update().filter(user=user, ended_at__isnull=True).first()
        if s is None:
            return None
        s.ended_at = max(now, s.started_at)
        s.save(update_fields=["ended_at"])
        return s


_county_box: tuple[float, float, float, float] | None = None


def county_box() -> tuple[float, float, float, float] | None:
    """The installation county's bounding box widened by MARGIN_DEG (None: unknown)."""
    global _county_box
    if _county_box is None:
        from jiceng.cases.services import installation_county_code
        from jiceng.territory.models import Region

        r = Region.objects.filter(code=installation_county_code() or "-").first()
        if r is None or None in (r.min_lon, r.min_lat, r.max_lon, r.max_lat):
            return None
        assert r.min_lon is not None and r.min_lat is not None
        assert r.max_lon is not None and r.max_lat is not None
        _county_box = (
            r.min_lon - MARGIN_DEG,
            r.min_lat - MARGIN_DEG,
            r.max_lon + MARGIN_DEG,
            r.max_lat + MARGIN_DEG,
        )
    return _county_box


def forget_county_box() -> None:
    global _county_box
    _county_box = None


def _parse_time(raw: Any) -> datetime:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        # epoch milliseconds (what a browser's position.timestamp gives)
        return datetime.fromtimestamp(raw / 1000, tz=_tz())
    if isinstance(raw, str):
        at = datetime.fromisoformat(raw)
        return at if at.tzinfo else at.replace(tzinfo=_tz())
    raise ValueError("bad time")


def record_points(user, points: Any, now: datetime | None = None) -> dict[str, Any]:
    """Store a batch of positions [{"t": epoch ms | ISO time, "lon", "lat", "crs"?}].

    Returns {"accepted": n, "rejected": [{"index", "code", "message"}]}. Codes:
    not_on_duty, bad_point, bad_time, future_time, out_of_order, outside_county.
    ValidationError for a batch that is not a list or has more than MAX_BATCH points.
    """
    require(user, "command.duty")
    if not isinstance(points, list):
        raise ValidationError("points 应为位置列表")
    if len(points) > MAX_BATCH:
        raise ValidationError(f"一次最多上报 {MAX_BATCH} 个位置")
    now = now or timezone.now()
    rejected: list[dict[str, Any]] = []
    good: list[tuple[int, datetime, float, float]] = []

    def refuse(i: int, code: str, message: str, p: Any, at=None, lon=None, lat=None) -> None:
        rejected.append({"index": i, "code": code, "message": message})
        rejects.append(
            TrackReject(
                user=user,
                received_at=now,
                at=at,
                lon=lon,
                lat=lat,
                code=code,
                raw=p if isinstance(p, dict) else {"value": str(p)[:200]},
            )
        )

    rejects: list[TrackReject] = []
    shift = open_shift(user)
    box = county_box()
    for i, p in enumerate(points):
        if shift is None:
            refuse(i, "not_on_duty", "未上岗，位置不予记录", p)
            continue
        try:
            at = _parse_time(p.get("t") if isinstance(p, dict) else None)
        except (ValueError, OverflowError, OSError):
            refuse(i, "bad_time", "时间格式无效", p)
            continue
        try:
            lon, lat = geo.to_wgs84(p.get("lon"), p.get("lat"), p.get("crs") or geo.WGS84)  # type: ignore[arg-type]
        except geo.GeoError as exc:
            refuse(i, "bad_point", str(exc), p, at=at)
            continue
        if at > now + FUTURE_SLACK:
            refuse(i, "future_time", "位置时间晚于当前时间，请校准手机时间", p, at, lon, lat)
            continue
        if at < shift.started_at - FUTURE_SLACK:
            refuse(i, "out_of_order", "位置时间早于本次上岗时间", p, at, lon, lat)
            continue
        if box is not None and not (box[0] <= lon <= box[2] and box[1] <= lat <= box[3]):
            refuse(i, "outside_county", "位置远在本县范围之外，未记录为巡查轨迹", p, at, lon, lat)
            continue
        good.append((i, at, lon, lat))
    accepted = 0
    with transaction.atomic():
        by_day: dict[date, list[tuple[int, datetime, float, float]]] = {}
        for g in good:
            by_day.setdefault(g[1].astimezone(_tz()).date(), []).append(g)
        for day, pts in sorted(by_day.items()):
            accepted += _append(user, shift, day, pts, refuse)
        if rejects:
            TrackReject.objects.bulk_create(rejects)
    rejected.sort(key=lambda r: r["index"])
    return {"accepted": accepted, "rejected": rejected}


def _append(user, shift, day, pts, refuse) -> int:
    """Append points to the day's row in time order; a point not after the last stored
    one is refused as out_of_order."""
    rows = TrackDay.objects.select_for_update().filter(user=user, day=day)
    if connection.vendor == "postgresql":
        rows = rows.defer("points")  # appended in SQL, never read here
    track = rows.first()
    if track is None:
        try:
            with transaction.atomic():
                track = TrackDay.objects.create(user=user, day=day, region_code=shift.region_code)
        except IntegrityError:
            track = TrackDay.objects.select_for_update().get(user=user, day=day)
    midnight = datetime.combine(day, time.min, tzinfo=_tz())
    last = track.last_at
    blob = bytearray()
    n = 0
    for i, at, lon, lat in pts:
        if last is not None and at <= last:
            refuse(
                i, "out_of_order", "位置时间早于已记录的位置（顺序错乱或重复）", {}, at, lon, lat
            )
            continue
        blob += POINT.pack(
            int((at - midnight).total_seconds()), round(lon * 1_000_000), round(lat * 1_000_000)
        )
        last = at
        track.last_lon, track.last_lat = lon, lat
        n += 1
    if n:
        table = connection.ops.quote_name(TrackDay._meta.db_table)
        if connection.vendor == "postgresql":
            # append in the database: the day's bytea is not read back into Python
            expr, blob_param = "points || %s", bytes(blob)
        else:
            # SQLite's || turns blobs into text: write the whole (locked) row's blob
            expr, blob_param = "%s", bytes(track.points) + bytes(blob)
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {table} SET points = {expr}, n = n + %s, last_at = %s, "
                "last_lon = %s, last_lat = %s WHERE id = %s",
                [
                    blob_param,
                    n,
                    connection.ops.adapt_datetimefield_value(last),
                    track.last_lon,
                    track.last_lat,
                    track.pk,
                ],
            )
    return n


def decode(points: bytes, day: date) -> list[dict[str, Any]]:
    """The packed points as [{"t": ISO time, "lon", "lat"}]."""
    midnight = datetime.combine(day, time.min, tzinfo=_tz())
    out = []
    for s, x, y in POINT.iter_unpack(bytes(points)):
        out.append(
            {
                "t": (midnight + timedelta(seconds=s)).isoformat(),
                "lon": x / 1_000_000,
                "lat": y / 1_000_000,
            }
        )
    return out


def _visible_workers(viewer) -> Q:
    """Workers a supervisor may see: those whose scope lies in the viewer's territory."""
    require(viewer, "command.field")
    if viewer.is_superuser:
        return Q()
    code = scope_code(viewer)
    if code is None:
        raise PermissionDenied("您没有管辖区域")
    return Q(user__scope__code__startswith=code)


def track_of(viewer, worker_id: int, day: date) -> dict[str, Any]:
    """One worker's track of one day, for a supervisor in scope or the worker."""
    if viewer.pk != worker_id:
        qs = TrackDay.objects.filter(_visible_workers(viewer))
    else:
        qs = TrackDay.objects.all()
    t = qs.filter(user_id=worker_id, day=day).select_related("user").first()
    if t is None:
        if (
            viewer.pk != worker_id
            and not Shift.objects.filter(_visible_workers(viewer), user_id=worker_id).exists()
        ):
            from django.http import Http404

            raise Http404("该网格员不存在或不在您的管辖范围内")
        return {"day": day.isoformat(), "points": [], "n": 0}
    return {"day": day.isoformat(), "n": t.n, "points": decode(t.points, day)}


def on_duty_now(viewer) -> list[dict[str, Any]]:
    """Who is on duty now in the viewer's territory, with the last known position."""
    q = _visible_workers(viewer)
    shifts = list(
        Shift.objects.filter(q, ended_at__isnull=True)
        .select_related("user")
        .order_by("region_code")
    )
    today = timezone.localdate()
    last = {
        t.user_id: t
        for t in TrackDay.objects.filter(day=today, user_id__in=[s.user_id for s in shifts])
    }
    out = []
    for s in shifts:
        t = last.get(s.user_id)
        out.append(
            {
                "user_id": s.user_id,
                "name": s.user.display_name,
                "region_code": s.region_code,
                "since": s.started_at.isoformat(),
                "lon": t.last_lon if t else None,
                "lat": t.last_lat if t else None,
                "last_at": t.last_at.isoformat() if t and t.last_at else None,
                "points_today": t.n if t else 0,
            }
        )
    return out


def attendance(viewer, month: date) -> list[dict[str, Any]]:
    """Per worker of the viewer's territory for the month of `month`: minutes on duty
    per day ({"YYYY-MM-DD": minutes}), days on duty, total hours. Shifts are cut at local
    midnight; an open shift counts up to now."""
    q = _visible_workers(viewer)
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    start = datetime.combine(first, time.min, tzinfo=_tz())
    end = datetime.combine(nxt, time.min, tzinfo=_tz())
    now = timezone.now()
    shifts = (
        Shift.objects.filter(q, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .select_related("user")
        .order_by("user_id", "started_at")
    )
    per: dict[int, dict[str, Any]] = {}
    for s in shifts:
        row = per.setdefault(
            s.user_id, {"user_id": s.user_id, "name": s.user.display_name, "days": {}}
        )
        a = max(s.started_at, start)
        b = min(s.ended_at or now, end)
        while a < b:
            local = a.astimezone(_tz())
            midnight = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=_tz())
            cut = min(b, midnight)
            key = local.date().isoformat()
            row["days"][key] = row["days"].get(key, 0) + round((cut - a).total_seconds() / 60)
            a = cut
    out = []
    for row in per.values():
        row["days_on_duty"] = sum(1 for m in row["days"].values() if m > 0)
        row["hours"] = round(sum(row["days"].values()) / 60, 1)
        out.append(row)
    return sorted(out, key=lambda r: r["name"])
