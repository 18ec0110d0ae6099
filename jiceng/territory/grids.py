"""Grid boundaries in and out as GeoJSON, with the checks a county needs before it trusts them.

Import (whole or nothing):
1. Read the FeatureCollection; every feature needs `code` and `name` properties and a
   Polygon/MultiPolygon; convert GCJ-02 to WGS-84 if the file says so.
2. Check each feature: the code extends an existing village (or a grid in the file or the
   database) by 3 digits per level; the polygon is valid; it lies inside its parent (village
   or parent grid) within a small tolerance; siblings do not overlap beyond a tolerance.
3. Any problem: nothing is written, every problem is listed. Otherwise create or update the
   grids (bulk, parents first), bump the point→grid index, record an ImportRun.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from django.db import transaction
from django.utils import timezone

from jiceng.lib import codes, geo, textfile
from jiceng.territory import locate
from jiceng.territory.models import DedicatedType, ImportRun, Level, Region, RegionKind

# Shares of a grid's area: outside its parent / overlapping a sibling, tolerated as drawing noise.
OUTSIDE_TOLERANCE = 0.01
OVERLAP_TOLERANCE = 0.01
PRECISION = 7
KIND_VALUES = {k.value for k in RegionKind} & {"comprehensive", "dedicated"}
DEDICATED_VALUES = {d.value for d in DedicatedType}


@dataclass
class GridProblem:
    feature: int  # 1-based position in the file; 0 for the file itself
    code: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.feature} 个要素" if self.feature else "文件"
        return f"{where}{f'（{self.code}）' if self.code else ''}：{self.message}"

    def as_dict(self) -> dict:
        return {"line": self.feature, "code": self.code, "message": self.message}


class GridImportError(Exception):
    def __init__(self, problems: list[GridProblem]):
        self.problems = problems
        shown = "；".join(str(p) for p in problems[:5])
        more = f"（另有 {len(problems) - 5} 处）" if len(problems) > 5 else ""
        super().__init__(f"网格文件有误，未导入任何网格：{shown}{more}")


@dataclass
class GridFeature:
    n: int
    code: str
    name: str
    geom: Any
    props: dict


@dataclass
class GridResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    per_level: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    run: ImportRun | None = None


def _common_prefix(codes_: list[str]) -> str:
    """The deepest division code above every grid in the file (for scoping the run)."""
    import os

    prefix = os.path.commonprefix(codes_) if codes_ else ""
    for length in (12, 9, 6, 4, 2):
        if len(prefix) >= length:
            return prefix[:length]
    return ""


def _int(value, default=0) -> int:
    if value in (None, ""):
        return default
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise TypeError(value)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    n = int(value)
    if n > 10**9:
        raise ValueError(value)
    return n


def _no_constant(name: str) -> Any:
    raise ValueError(f"JSON 中不能有 {name}（坐标和数值必须是有限数字）")


def _scalar(value: Any) -> bool:
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def parse(data: Any, crs: str = geo.WGS84) -> tuple[list[GridFeature], list[GridProblem]]:
    """Features of a GeoJSON FeatureCollection (dict or text), converted to WGS-84."""
    problems: list[GridProblem] = []
    if isinstance(data, bytes):
        try:
            data = textfile.decode(data)
        except textfile.TextFileError as exc:
            return [], [GridProblem(0, "", str(exc))]
    if isinstance(data, str):
        try:
            data = json.loads(data, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            return [], [GridProblem(0, "", f"不是有效的 JSON（第 {exc.lineno} 行）：{exc.msg}")]
        except ValueError as exc:
            return [], [GridProblem(0, "", str(exc))]
        except RecursionError:
            return [], [GridProblem(0, "", "JSON 嵌套层数过多")]
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return [], [GridProblem(0, "", "文件必须是 GeoJSON FeatureCollection")]
    crs = geo.check_crs(crs)
    raw_features = data.get("features")
    if not isinstance(raw_features, list):
        return [], [GridProblem(0, "", "features 必须是要素（Feature）的数组")]
    features = []
    for n, feat in enumerate(raw_features, start=1):
        # Every shape is checked before it is used: a feature that is not an object, or
        # properties that are not one, is a problem of that feature, never a crash.
        if not isinstance(feat, dict):
            problems.append(GridProblem(n, "", '要素必须是 JSON 对象（{"type": "Feature", …}）'))
            continue
        props = feat.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            problems.append(GridProblem(n, "", "properties 必须是 JSON 对象"))
            continue
        bad = [k for k in ("code", "name", "kind", "dedicated_type") if not _scalar(props.get(k))]
        if bad:
            problems.append(GridProblem(n, "", f"属性 {'、'.join(bad)} 必须是文本或数字"))
            continue
        if isinstance(props.get("code"), float):
            problems.append(
                GridProblem(n, str(props["code"]), "code 是小数形式的数字，请写成文本（加引号）")
            )
            continue
        code = str(props.get("code", "")).strip()
        name = str(props.get("name", "")).strip()
        if not codes.is_digits(code):
            problems.append(GridProblem(n, code, "缺少或无效的 code 属性（应为数字）"))
            continue
        if len(code) <= 12 or (len(code) - 12) % codes.GRID_SEGMENT:
            problems.append(GridProblem(n, code, "网格代码应为村/社区 12 位代码后每级加 3 位"))
            continue
        if not name:
            problems.append(GridProblem(n, code, "缺少 name 属性"))
            continue
        try:
            geom = geo.parse_geometry(feat.get("geometry"))
            x0, y0, x1, y1 = geom.bounds
            if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
                raise geo.GeoError("坐标超出经度 -180～180、纬度 -90～90 的范围")
            geom = geo.convert_geometry(geom, crs, geo.WGS84)
        except geo.GeoError as exc:
            problems.append(GridProblem(n, code, str(exc)))
            continue
        reason = geo.validity_problem(geom)
        if reason:
            problems.append(GridProblem(n, code, f"多边形无效：{reason}"))
            continue
        kind = props.get("kind") or RegionKind.COMPREHENSIVE
        if kind not in KIND_VALUES:
            problems.append(
                GridProblem(n, code, f"kind 应为 comprehensive 或 dedicated，而不是 {kind}")
            )
            continue
        dtype = props.get("dedicated_type") or ""
        if dtype and dtype not in DEDICATED_VALUES:
            problems.append(GridProblem(n, code, f"未知的专属网格类型 {dtype}"))
            continue
        try:
            props = {
                **props,
                "kind": kind,
                "dedicated_type": dtype,
                "households": _int(props.get("households")),
                "population": _int(props.get("population")),
            }
        except (TypeError, ValueError):
            problems.append(GridProblem(n, code, "households / population 必须是整数"))
            continue
        if props["households"] < 0 or props["population"] < 0:
            problems.append(GridProblem(n, code, "户数和人口不能为负"))
            continue
        features.append(GridFeature(n, code, name, geom, props))
    return features, problems


def validate(features: list[GridFeature]) -> list[GridProblem]:
    problems: list[GridProblem] = []
    seen: dict[str, GridFeature] = {}
    for f in features:
        if f.code in seen:
            problems.append(GridProblem(f.n, f.code, f"代码与第 {seen[f.code].n} 个要素重复"))
        seen[f.code] = f
    parent_codes = {codes.parent_code(f.code) for f in features}
    in_db = {
        code: boundary
        for code, boundary in Region.objects.filter(code__in=parent_codes).values_list(
            "code", "boundary"
        )
    }
    parent_geom: dict[str, Any] = {}
    for f in features:
        pc = codes.parent_code(f.code) or ""
        if pc in seen:
            parent_geom[f.code] = seen[pc].geom
        elif pc in in_db:
            parent_geom[f.code] = shapely.geometry.shape(in_db[pc]) if in_db[pc] else None
        else:
            what = "村/社区" if len(pc) == 12 else "上级网格"
            problems.append(GridProblem(f.n, f.code, f"{what} {pc} 不存在"))
            continue
        parent = parent_geom[f.code]
        if parent is not None and f.geom.area > 0:
            outside = f.geom.difference(parent).area / f.geom.area
            if outside > OUTSIDE_TOLERANCE:
                problems.append(
                    GridProblem(f.n, f.code, f"有 {outside:.1%} 的面积在上级 {pc} 的边界之外")
                )
    # Overlaps between siblings (same parent), one STRtree per import.
    if len(features) > 1:
        geoms = [f.geom for f in features]
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if i >= j:
                continue
            a, b = features[i], features[j]
            if codes.parent_code(a.code) != codes.parent_code(b.code):
                continue
            shared = a.geom.intersection(b.geom).area
            smaller = min(a.geom.area, b.geom.area) or 1.0
            if shared / smaller > OVERLAP_TOLERANCE:
                problems.append(
                    GridProblem(b.n, b.code, f"与同级网格 {a.code} 重叠 {shared / smaller:.1%}")
                )
    return problems


def import_grids(
    data: Any,
    crs: str = geo.WGS84,
    dry_run: bool = False,
    user=None,
    source: str = "",
    region_code: str = "",
) -> GridResult:
    """Import grids from a GeoJSON FeatureCollection; whole or nothing."""
    features, problems = parse(data, crs)
    if not problems:
        problems = validate(features)
    if problems:
        if not dry_run:
            ImportRun.objects.create(
                kind="grids",
                source=source,
                region_code=region_code or _common_prefix([f.code for f in features]),
                user=user,
                ok=False,
                finished_at=timezone.now(),
                errors=[p.as_dict() for p in problems],
            )
        raise GridImportError(problems)
    result = GridResult(dry_run=dry_run)
    features.sort(key=lambda f: (len(f.code), f.code))
    for f in features:
        key = str((len(f.code) - 12) // codes.GRID_SEGMENT)
        result.per_level[key] = result.per_level.get(key, 0) + 1
    existing = {r.code: r for r in Region.objects.filter(code__in=[f.code for f in features])}
    plan: list[tuple[GridFeature, dict, Region | None]] = []
    for f in features:
        values = _values(f)
        old = existing.get(f.code)
        if old is not None and all(
            getattr(old, k) == v for k, v in values.items() if v is not None
        ):
            result.unchanged += 1
            continue
        if old is None:
            result.created += 1
        else:
            result.updated += 1
        plan.append((f, values, old))
    if dry_run:
        return result
    with transaction.atomic():
        ids = dict(
            Region.objects.filter(
                code__in={codes.parent_code(f.code) for f in features}
            ).values_list("code", "id")
        )
        now = timezone.now()
        lengths = sorted({len(f.code) for f, _v, _o in plan})
        for length in lengths:
            new, changed = [], []
            for f, values, old in plan:
                if len(f.code) != length:
                    continue
                if old is None:
                    grid_level = values["grid_level"]
                    level = Level.GRID if grid_level <= codes.MAX_GRID_LEVEL else Level.MICRO_GRID
                    parent_id = ids[codes.parent_code(f.code) or ""]
                    new.append(Region(code=f.code, level=level, parent_id=parent_id, **values))
                else:
                    for k, v in values.items():
                        if v is not None:
                            setattr(old, k, v)
                    old.updated_at = now
                    changed.append(old)
            Region.objects.bulk_create(new, batch_size=1000)
            if any(r.pk is None for r in new):
                ids.update(
                    Region.objects.filter(code__in=[r.code for r in new]).values_list("code", "id")
                )
            else:
                ids.update({r.code: r.pk for r in new})
            Region.objects.bulk_update(changed, UPDATE_FIELDS, batch_size=200)
        if plan:
            locate.bump()
        result.run = ImportRun.objects.create(
            kind="grids",
            source=source,
            region_code=region_code or _common_prefix([f.code for f in features]),
            user=user,
            ok=True,
            finished_at=timezone.now(),
            counts={
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "per_level": result.per_level,
            },
        )
    return result


UPDATE_FIELDS = [
    "name", "kind", "grid_level", "dedicated_type", "dedicated_unit", "households",
    "population", "boundary", "min_lon", "min_lat", "max_lon", "max_lat", "urban", "updated_at",
]  # fmt: skip


def _values(f: GridFeature) -> dict:
    geom = geo.rounded(f.geom, PRECISION)
    values = dict(
        name=f.name,
        kind=f.props["kind"],
        grid_level=(len(f.code) - 12) // codes.GRID_SEGMENT,
        dedicated_type=f.props["dedicated_type"],
        dedicated_unit=str(f.props.get("dedicated_unit") or ""),
        households=f.props["households"],
        population=f.props["population"],
        boundary=geo.to_geojson(geom),
        urban=f.props.get("urban"),
    )
    values.update(zip(("min_lon", "min_lat", "max_lon", "max_lat"), geom.bounds, strict=True))
    return values


def export_grids(under: str, crs: str = geo.WGS84, grids=None) -> dict:
    """A FeatureCollection of the grids under `under` (coordinates in `crs`)."""
    crs = geo.check_crs(crs)
    if grids is None:
        grids = Region.objects.filter(code__under=under, level__gte=Level.GRID)
    features = []
    for code, name, kind, grid_level, households, population, dtype, dunit, urban, boundary in (
        grids.exclude(boundary__isnull=True)
        .order_by("code")
        .values_list(
            "code",
            "name",
            "kind",
            "grid_level",
            "households",
            "population",
            "dedicated_type",
            "dedicated_unit",
            "urban",
            "boundary",
        )  # fmt: skip
    ):
        geometry = boundary if crs == geo.WGS84 else geo.convert_geojson(boundary, geo.WGS84, crs)
        props: dict = {
            "code": code,
            "name": name,
            "kind": kind or RegionKind.COMPREHENSIVE,
            "grid_level": grid_level,
            "households": households,
            "population": population,
        }
        if dtype:
            props["dedicated_type"] = dtype
        if dunit:
            props["dedicated_unit"] = dunit
        if urban is not None:
            props["urban"] = urban
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def read_file(path: Path | str) -> str:
    """A GeoJSON file's text: UTF-8 (BOM or not), UTF-16 or GBK/GB18030 (lib/textfile)."""
    try:
        return textfile.decode(Path(path).read_bytes())
    except textfile.TextFileError as exc:
        raise GridImportError([GridProblem(0, "", str(exc))]) from None
