"""Point → grid for intake: an adapter over the territory app's `locate` when it exists.

The territory app owns point-in-polygon (`jiceng.territory.locate.locate`); until it is
merged this falls back to a small bbox + shapely search over the regions' boundaries.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

CRS = ("wgs84", "gcj02", "bd09")


def to_wgs84(lon: float, lat: float, crs: str = "wgs84") -> tuple[float, float]:
    crs = (crs or "wgs84").lower().replace("-", "")
    if crs not in CRS:
        raise ValidationError(f"不支持的坐标系：{crs}（可用 wgs84、gcj02、bd09）")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError("经纬度超出范围")
    if crs == "wgs84":
        return lon, lat
    from coord_convert import transform

    if crs == "gcj02":
        return tuple(transform.gcj2wgs(lon, lat))  # type: ignore[return-value]
    return tuple(transform.bd2wgs(lon, lat))  # type: ignore[return-value]


def locate_code(lon: float, lat: float) -> str:
    """The code of the deepest region (grid if any) holding a WGS-84 point, or ''."""
    try:
        from jiceng.territory import locate as territory_locate  # type: ignore[attr-defined]
    except ImportError:
        territory_locate = None
    if territory_locate is not None and hasattr(territory_locate, "locate"):
        found = territory_locate.locate(lon, lat, "wgs84")
        if found is None:
            return ""
        return getattr(found, "code", None) or str(found)
    return _fallback_locate(lon, lat)


def _fallback_locate(lon: float, lat: float) -> str:
    from shapely.geometry import Point, shape

    from jiceng.territory.models import Region

    candidates = (
        Region.objects.filter(
            boundary__isnull=False,
            min_lon__lte=lon,
            max_lon__gte=lon,
            min_lat__lte=lat,
            max_lat__gte=lat,
        )
        .order_by("-level", "-grid_level")
        .only("code", "boundary", "level")
    )
    pt = Point(lon, lat)
    best = ""
    for r in candidates:
        try:
            if shape(r.boundary).covers(pt) and len(r.code) > len(best):
                best = r.code
        except Exception:  # a broken boundary must not stop intake
            continue
    return best
