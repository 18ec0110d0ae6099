"""The map coloured by load: the scope's regions in the visible box, at the level the zoom
calls for, with simplified geometry and their open and overdue case counts.

Never one big file: the browser asks for its bounding box and zoom; the answer holds at
most MAX_FEATURES shapes, simplified to about a pixel at that zoom (shapely `simplify`,
topology kept), coordinates rounded to 6 decimals (~0.1 m).
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from datetime import datetime
from typing import Any

from django.db.models import Sum
from django.http import Http404
from django.utils import timezone
from shapely.geometry import mapping, shape

from jiceng.cases.workflow import OPEN_STATES
from jiceng.command import facts
from jiceng.command.models import StatusCount, Tally
from jiceng.territory.models import GridStaff, Level, Region

MAX_FEATURES = 2500
# zoom → region level shown (a county at zoom 10 shows its streets, a street its villages)
ZOOM_LEVELS = [(0, Level.STREET), (12, Level.VILLAGE), (14, Level.GRID)]
_cache: OrderedDict[tuple[str, int], dict] = OrderedDict()
_CACHE_MAX = 20000


class BadBox(ValueError):
    """A bbox or zoom that cannot be a map view (message in Chinese)."""


def parse_bbox(raw: str) -> tuple[float, float, float, float]:
    """'west,south,east,north' in WGS-84 degrees → floats; BadBox otherwise."""
    try:
        w, s, e, n = (float(x) for x in raw.split(","))
    except ValueError:
        raise BadBox("bbox 应为“西,南,东,北”四个经纬度数字") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise BadBox("bbox 含有无效数字")
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise BadBox("bbox 范围无效（需 西<东、南<北，且在经纬度范围内）")
    return w, s, e, n


def level_for(zoom: int) -> int:
    level = Level.STREET
    for z, lv in ZOOM_LEVELS:
        if zoom >= z:
            level = lv
    return int(level)


def tolerance(zoom: int) -> float:
    """About one screen pixel in degrees at this zoom (256-px tiles)."""
    return 360.0 / (256 * 2**zoom)


def _round(coords: Any) -> Any:
    if isinstance(coords, (list, tuple)):
        if coords and isinstance(coords[0], (int, float)):
            return [round(float(c), 6) for c in coords]
        return [_round(c) for c in coords]
    return coords


def simplified(code: str, boundary: dict, zoom: int) -> dict:
    """The boundary simplified for this zoom (cached per process, LRU)."""
    key = (code, zoom)
    hit = _cache.get(key)
    if hit is not None:
        _cache.move_to_end(key)
        return hit
    geom = shape(boundary)
    if zoom < 16:
        geom = geom.simplify(tolerance(zoom), preserve_topology=True)
    out = mapping(geom)
    out = {"type": out["type"], "coordinates": _round(out["coordinates"])}
    _cache[key] = out
    if len(_cache) > _CACHE_MAX:
        _cache.popitem(last=False)
    return out


def features(prefix: str, bbox: str, zoom: int, now: datetime | None = None) -> dict[str, Any]:
    """GeoJSON FeatureCollection of the scope's regions at the zoom's level inside `bbox`,
    each with properties {code, name, level, open, overdue}; `truncated` when the box held
    more than MAX_FEATURES (the page asks the user to zoom in)."""
    w, s, e, n = parse_bbox(bbox)
    if not 0 <= zoom <= 22:
        raise BadBox("zoom 应在 0 到 22 之间")
    now = now or timezone.now()
    level = level_for(zoom)
    qs = Region.objects.filter(
        boundary__isnull=False,
        max_lon__gte=w,
        min_lon__lte=e,
        max_lat__gte=s,
        min_lat__lte=n,
    )
    qs = qs.filter(level=level) if level != Level.GRID else qs.filter(level__gte=Level.GRID)
    if prefix:
        qs = qs.filter(code__under=prefix)
    rows = list(qs.order_by("code").values("code", "name", "level", "boundary")[: MAX_FEATURES + 1])
    truncated = len(rows) > MAX_FEATURES
    rows = rows[:MAX_FEATURES]
    codes = [r["code"] for r in rows]
    open_n = dict(
        StatusCount.objects.filter(region_code__in=codes, status__in=sorted(OPEN_STATES))
        .values("region_code")
        .annotate(n=Sum("n"))
        .values_list("region_code", "n")
    )
    overdue = overdue_by_code(prefix, set(codes), now)
    feats: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "properties": {
                "code": r["code"],
                "name": r["name"],
                "level": r["level"],
                "open": open_n.get(r["code"], 0) or 0,
                "overdue": overdue.get(r["code"], 0),
            },
            "geometry": simplified(r["code"], r["boundary"] or {}, zoom),
        }
        for r in rows
    ]
    # parents first: a nested grid is drawn over (and clicked before) its parent
    feats.sort(key=lambda f: len(f["properties"]["code"]))
    return {"type": "FeatureCollection", "features": feats, "level": level, "truncated": truncated}


def overdue_by_code(prefix: str, codes: set[str], now: datetime) -> dict[str, int]:
    """Overdue (red) cases under each of `codes` (only overdue rows are read)."""
    from jiceng.command.rollup import prefixes

    out: dict[str, int] = {}
    if not codes:
        return out
    # only the late rows under the shapes asked for (their common prefix), not the scope's
    common = os.path.commonprefix(sorted(codes))
    under = common if len(common) > len(prefix) else prefix
    qs = Tally.objects.filter(yellow_at__lte=now, deadline__lt=now)
    if under:
        qs = qs.filter(region_code__startswith=under)
    for code in qs.values_list("region_code", flat=True).iterator():
        for p in prefixes(code):
            if p in codes:
                out[p] = out.get(p, 0) + 1
    return out


def region_detail(prefix: str, code: str) -> dict[str, Any]:
    """One region clicked on the map: its open cases and its staff. Http404 outside the
    scope (no probing)."""
    if not code.isdigit() or (prefix and not code.startswith(prefix)):
        raise Http404("该区域不存在或不在您的管辖范围内")
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Http404("该区域不存在或不在您的管辖范围内")
    staff = [
        {
            "name": s.name,
            "role": s.get_role_display(),
            "phone": s.phone,
            "on_duty": s.on_duty,
        }
        for s in GridStaff.objects.filter(grid__code__under=code).order_by("grid__code", "role")[
            :30
        ]
    ]
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "open": facts.open_cases_in(code, 30),
        "staff": staff,
    }
