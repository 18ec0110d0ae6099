"""Point → grid for intake, through the territory app's `locate` (one STRtree per process).

Coordinates may come in WGS-84 (GPS, browsers), GCJ-02 (高德/腾讯) or BD-09 (百度); every
conversion goes through `lib.geo.to_wgs84`, whose GCJ-02 step is a bounded iteration (the
library's own inverse loops for ever at the edge of its China box — issue 9 item 7).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from jiceng.lib import geo

CRS = ("wgs84", "gcj02", "bd09")


def to_wgs84(lon: float, lat: float, crs: str = "wgs84") -> tuple[float, float]:
    """WGS-84 degrees of a point given in `crs`; ValidationError (Chinese) when it cannot be."""
    crs = (crs or "wgs84").strip().lower().replace("-", "")
    try:
        if crs not in CRS:
            raise geo.GeoError(
                gettext("不支持的坐标系：%(crs)s（可用 wgs84、gcj02、bd09）") % {"crs": crs}
            )
        return geo.to_wgs84(lon, lat, crs)
    except geo.GeoError as exc:
        raise ValidationError(str(exc)) from None


def locate_code(lon: float, lat: float) -> str:
    """The code of the deepest region (a grid if any) holding a WGS-84 point, or ''."""
    from jiceng.territory.locate import locate

    loc = locate(lon, lat, geo.WGS84)
    return loc.deepest_code or ""
