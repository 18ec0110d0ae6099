"""Territory API: regions, grids, staff, point → grid, sizing exceptions, map GeoJSON.

Every endpoint goes through `jiceng.accounts.scope`; a code outside the caller's territory
is a 404, exactly like a code that does not exist.
"""

from __future__ import annotations

from typing import Literal

from django.db.models import Max
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from jiceng.accounts import scope
from jiceng.lib import codes, geo
from jiceng.lib.bounds import Page, Size500
from jiceng.territory import locate as locating
from jiceng.territory import services, sizing
from jiceng.territory.grids import export_grids
from jiceng.territory.models import GridStaff, Level, Region, RegionKind

router = Router(tags=["territory"])

Crs = Literal["wgs84", "gcj02", "bd09"]


class RegionOut(Schema):
    code: str
    name: str
    level: int
    level_label: str
    kind: str
    parent_code: str | None
    grid_level: int | None
    households: int
    population: int
    has_boundary: bool


class Counts(Schema):
    streets: int
    villages: int
    grids: int
    grids_level1: int
    grids_level2: int
    grids_level3: int
    micro_grids: int
    dedicated_grids: int
    staff: int
    households: int
    population: int


class RegionDetail(RegionOut):
    counts: Counts
    bbox: list[float] | None


class StaffOut(Schema):
    id: int
    role: str
    role_label: str
    name: str
    phone: str
    on_duty: bool
    photo_url: str | None


class GridOut(RegionOut):
    dedicated_type: str
    dedicated_unit: str
    urban: bool | None


class GridDetail(GridOut):
    staff: list[StaffOut]
    village_code: str
    village_name: str | None
    street_code: str
    street_name: str | None


class GridPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[GridOut]


class LocationOut(Schema):
    found: bool
    message: str
    lon: float = Field(description="WGS-84")
    lat: float = Field(description="WGS-84")
    grid_code: str | None
    grid_name: str | None
    grid_level: int | None
    village_code: str | None
    village_name: str | None
    street_code: str | None
    street_name: str | None
    county_code: str | None
    county_name: str | None


class LocateBatchIn(Schema):
    crs: Crs = "wgs84"
    points: list[tuple[float, float]] = Field(max_length=10000, description="[[lon, lat], …]")


class SizingItem(Schema):
    code: str
    name: str
    grid_level: int | None
    households: int
    population: int
    rule: str
    reason: str


class SizingStreet(Schema):
    street_code: str
    street_name: str
    checked: int
    exceptions: list[SizingItem]


def _region_out(r: Region) -> dict:
    return {
        "code": r.code,
        "name": r.name,
        "level": r.level,
        "level_label": r.level_label,
        "kind": r.kind,
        "parent_code": codes.parent_code(r.code),
        "grid_level": r.grid_level,
        "households": r.households,
        "population": r.population,
        "has_boundary": r.boundary is not None,
    }


def _grid_out(r: Region) -> dict:
    return {
        **_region_out(r),
        "dedicated_type": r.dedicated_type,
        "dedicated_unit": r.dedicated_unit,
        "urban": r.urban,
    }


def _staff_out(s: GridStaff) -> dict:
    return {
        "id": s.pk,
        "role": s.role,
        "role_label": s.get_role_display(),
        "name": s.name,
        "phone": s.phone,
        "on_duty": s.on_duty,
        "photo_url": s.photo.url if s.photo else None,
    }


def _code(value: str | None, what: str = "区划代码") -> str | None:
    if not value:
        return None
    value = value.strip()
    if not codes.is_digits(value):
        raise HttpError(400, f"{what}只能由数字组成：{value}")
    return value


@router.get(
    "/regions", response=list[RegionOut], summary="下级区域（不给 parent 时为本人管辖区域）"
)
def regions(request: HttpRequest, parent: str | None = None):
    if _code(parent) is None:
        return [_region_out(services.root_region(request.user))]
    region = services.visible_region(request.user, parent)  # type: ignore[arg-type]
    return [_region_out(c) for c in region.children.order_by("code")]


@router.get("/regions/{code}", response=RegionDetail, summary="区域详情及各层级数量")
def region_detail(request: HttpRequest, code: str):
    region = services.visible_region(request.user, code)
    bbox = (
        [region.min_lon, region.min_lat, region.max_lon, region.max_lat]
        if region.min_lon is not None
        else None
    )
    return {**_region_out(region), "counts": services.summary(region), "bbox": bbox}


@router.get("/grids", response=GridPage, summary="网格列表（分页）")
def grids(
    request: HttpRequest,
    under: str | None = None,
    level: int | None = Query(None, ge=1, le=9, description="网格层级 1–3，微网格 4+"),  # type: ignore[type-arg]
    kind: Literal["comprehensive", "dedicated"] | None = None,
    q: str | None = Query(None, max_length=50, description="名称或代码"),  # type: ignore[type-arg]
    page: Page = 1,
    page_size: Size500 = 50,
):
    scope.require(request.user, "territory.view")
    qs = Region.objects.filter(services.grids_visible(request.user))
    if (u := _code(under)) is not None:
        services.visible_region(request.user, u)
        qs = qs.filter(code__under=u)
    if level is not None:
        qs = qs.filter(grid_level=level)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        q = q.strip()
        qs = qs.filter(code__under=q) if codes.is_digits(q) else qs.filter(name__contains=q)
    count = qs.count()
    start = (page - 1) * page_size
    items = [_grid_out(r) for r in qs.order_by("code")[start : start + page_size]]
    return {"count": count, "page": page, "page_size": page_size, "items": items}


@router.get("/grids/{code}", response=GridDetail, summary="网格详情及网格员")
def grid_detail(request: HttpRequest, code: str):
    grid = services.visible_region(request.user, code)
    if grid.level < Level.GRID:
        raise HttpError(404, "该代码不是网格")
    scope.require(request.user, "staff.view")
    names = dict(Region.objects.filter(code__in=[code[:12], code[:9]]).values_list("code", "name"))
    return {
        **_grid_out(grid),
        "staff": [_staff_out(s) for s in grid.staff.order_by("id")],
        "village_code": code[:12],
        "village_name": names.get(code[:12]),
        "street_code": code[:9],
        "street_name": names.get(code[:9]),
    }


def _locate(request, points: list[tuple[float, float]], crs: str) -> list[dict]:
    scope.require(request.user, "territory.view")
    try:
        found = locating.locate_many(points, crs)
    except geo.GeoError as exc:
        raise HttpError(400, str(exc)) from exc
    return [services.scoped_location(request.user, loc).as_dict() for loc in found]


@router.get("/locate", response=LocationOut, summary="坐标定位到网格、村/社区、街镇、区县")
def locate_point(request: HttpRequest, lon: float, lat: float, crs: Crs = "wgs84"):
    return _locate(request, [(lon, lat)], crs)[0]


@router.post("/locate", response=list[LocationOut], summary="批量坐标定位")
def locate_batch(request: HttpRequest, body: LocateBatchIn):
    return _locate(request, body.points, body.crs)


@router.get(
    "/sizing-exceptions", response=list[SizingStreet], summary="超出规模规则的网格（按街镇）"
)
def sizing_exceptions(request: HttpRequest, under: str | None = None):
    region = (
        services.visible_region(request.user, u)
        if (u := _code(under)) is not None
        else services.root_region(request.user)
    )
    out = []
    for street in sizing.exceptions(under=region.code):
        out.append(
            {
                "street_code": street.street_code,
                "street_name": street.street_name,
                "checked": street.checked,
                "exceptions": [
                    {
                        "code": e.grid.code,
                        "name": e.grid.name,
                        "grid_level": e.grid.grid_level,
                        "households": e.grid.households,
                        "population": e.grid.population,
                        "rule": e.rule.name,
                        "reason": e.reason,
                    }
                    for e in street.exceptions
                ],
            }
        )
    return out


@router.get("/geojson", summary="区域内网格边界（GeoJSON，供地图使用）")
def grids_geojson(
    request: HttpRequest,
    under: str | None = None,
    level: int | None = Query(None, ge=1, le=9),  # type: ignore[type-arg]
    deepest: bool = False,
    crs: Crs = "wgs84",
):
    """The one grids GeoJSON of the platform (territory maps, the report map of cases).

    `under`: a region code (default: the caller's territory, or for a resident the
    installation's county); `level`: one grid level; `deepest`: only the deepest grid level
    present (the cells a point falls in, as the report map shows them).
    """
    region = services.map_region(request.user, under)
    if scope.can(request.user, "territory.view"):
        qs = Region.objects.filter(services.grids_visible(request.user), code__under=region.code)
    else:
        qs = Region.objects.filter(code__under=region.code, level__gte=Level.GRID)
    if level is not None:
        qs = qs.filter(grid_level=level)
    elif deepest:
        top = qs.exclude(boundary__isnull=True).aggregate(m=Max("grid_level"))["m"]
        qs = qs.filter(grid_level=top) if top else qs.none()
    data = export_grids(region.code, crs=crs, grids=qs)
    # The outline of the region itself, so an empty region still shows where it is.
    if region.boundary is not None and region.level < Level.GRID:
        outline = (
            region.boundary
            if crs == geo.WGS84
            else geo.convert_geojson(region.boundary, geo.WGS84, crs)
        )
        data["features"].insert(
            0,
            {
                "type": "Feature",
                "properties": {
                    "code": region.code,
                    "name": region.name,
                    "kind": "outline",
                    "level": region.level,
                },
                "geometry": outline,
            },
        )
    data["region"] = {"code": region.code, "name": region.name}
    return data


__all__ = ["router", "RegionKind"]
