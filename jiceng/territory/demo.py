"""Demo county, part 1: 汉阴县's real divisions and outline, generated areas, grids and staff.

1. Import the shipped divisions of 汉阴县 (data/divisions-610921, NBS 2023) and its DataV
   outline (GCJ-02, converted to WGS-84).
2. Spread one seed point per village over the county (a few Lloyd rounds keep cells even);
   a weighted k-d split of those points gives each town as many cells as it has villages,
   so a town's area grows with its village count; a village is its Voronoi cell.
3. Inside each village, grids in three levels as 安康 does: level 1 = the village, level 2 =
   村民小组-like groups, level 3 = grids of 20–30 households (urban communities 300–500);
   about one in a hundred grids falls outside its rule, as real ones do.
4. Staff on every grid (网格员, sometimes a 网格助理员; 网格长; 网格指导员 and 总网格长) and a
   督导员 per town, with generated names and fictitious mobile numbers.

Same seed, same county. `ctx.scale` < 1 gives grids to only a share of villages.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import shapely

from jiceng.lib import geo
from jiceng.territory import locate
from jiceng.territory.divisions import import_divisions
from jiceng.territory.models import (
    DedicatedType,
    GridStaff,
    Level,
    Region,
    RegionKind,
    StaffRole,
)

DATA = Path(__file__).parent / "data"
DIVISIONS = DATA / "divisions-610921"
OUTLINE = DATA / "county-610921-hanyin-gcj02.geojson"
SEAT_GCJ02 = (108.510946, 32.891121)  # DataV's centre of 汉阴县: the town of 城关镇
PRECISION = 7  # decimal places kept (~1 cm)
PEOPLE_PER_HOUSEHOLD = (2.6, 3.6)

SURNAMES = "陈王李张刘杨吴沈黄周徐胡朱何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建国文斌辉海燕波宁琴云梅莉飞林"
    "春雪晓丹凤琳慧俊浩宇欣怡博涵晨鑫志忠德成兴旺福安康润泽翠莲荣春贵宝顺利"
)
MOBILE_PREFIXES = ("139", "138", "137", "135", "136", "151", "152", "158", "187", "189", "177", "133", "153", "180", "181", "199")  # fmt: skip

DEDICATED = [
    (DedicatedType.SCHOOL, "汉阴中学专属网格", "汉阴县汉阴中学"),
    (DedicatedType.HOSPITAL, "县医院专属网格", "汉阴县人民医院"),
    (DedicatedType.PARK, "城东工业园区专属网格", "汉阴县城东工业园区"),
]


def person(rng) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def mobile(rng) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def county_outline() -> shapely.Geometry:
    import json

    data = json.loads(OUTLINE.read_text(encoding="utf-8"))
    geom = geo.parse_geometry(data["features"][0]["geometry"])
    return shapely.make_valid(geo.convert_geometry(geom, geo.GCJ02, geo.WGS84))


def _store(region: Region, geom) -> None:
    geom = geo.rounded(geom, PRECISION)
    region.boundary = geo.to_geojson(geom)
    region.min_lon, region.min_lat, region.max_lon, region.max_lat = geom.bounds


def _grid_sizes(rng, urban: bool, n: int) -> list[tuple[int, int]]:
    """(households, population) per level-3 grid; under 1 % outside the 安康 rule."""
    out = []
    for _ in range(n):
        odd = rng.random() < 0.007
        if urban:
            hh = (
                rng.choice((rng.randint(230, 290), rng.randint(510, 580)))
                if odd
                else rng.randint(300, 500)
            )
            pop = round(hh * rng.uniform(2.6, 3.1))
        elif odd:
            # Too many households and too many people: a grid to split.
            hh = rng.randint(33, 40)
            pop = round(hh * rng.uniform(3.4, 3.8))
        else:
            hh = rng.randint(20, 30)
            pop = round(hh * rng.uniform(*PEOPLE_PER_HOUSEHOLD))
            pop = min(max(pop, 70), 120) if rng.random() < 0.9 else pop
        out.append((hh, pop))
    return out


def build(ctx) -> None:
    rng = ctx.child_rng("territory")
    result = import_divisions(DIVISIONS, ctx.county_code, source="演示数据 data/divisions-610921")
    ctx.say(
        f"  区划：{result.created} 个（{result.counts['street']['created']} 个乡镇、"
        f"{result.counts['village']['created']} 个村和社区）"
    )
    county = Region.objects.get(code=ctx.county_code)
    towns = list(county.children.order_by("code"))
    villages = list(
        Region.objects.filter(level=Level.VILLAGE, code__under=county.code).order_by("code")
    )
    by_town: dict[str, list[Region]] = {t.code: [] for t in towns}
    for v in villages:
        by_town[v.code[:9]].append(v)

    # 1–2. County, towns, villages.
    outline = county_outline()
    _store(county, outline)
    points = geo.relaxed_points(outline, len(villages), rng, rounds=3)
    cells = geo.voronoi_cells(outline, points)
    # The county seat (城关镇) goes where the real one is: try orders of the towns in the
    # split until the seat's cell falls to 城关镇.
    seat_xy = geo.to_wgs84(*SEAT_GCJ02, crs=geo.GCJ02)
    seat = int(np.argmin(((points - np.array(seat_xy)) ** 2).sum(axis=1)))
    order = list(towns)
    for _ in range(500):
        groups = geo.kd_groups(points, [len(by_town[t.code]) for t in order])
        if seat in groups[order.index(towns[0])]:
            break
        rng.shuffle(order)
    village_geom: dict[str, shapely.Geometry] = {}
    for town, idx in zip(order, groups, strict=True):
        town_cells = [cells[i] for i in idx]
        _store(town, shapely.union_all(town_cells))
        centre = (
            shapely.Point(seat_xy) if town is towns[0] else shapely.union_all(town_cells).centroid
        )
        # Communities (the town seat) take the cells nearest the town's centre.
        idx_sorted = sorted(idx, key=lambda i: shapely.distance(cells[i].centroid, centre))
        members = sorted(by_town[town.code], key=lambda v: (v.kind != RegionKind.COMMUNITY, v.code))
        for v, i in zip(members, idx_sorted, strict=True):
            village_geom[v.code] = cells[i]
            _store(v, cells[i])

    # 3. Grids, village by village.
    with_grids: set[str] = set()
    for town in towns:
        members = by_town[town.code]
        n = len(members) if ctx.scale >= 1 else max(1, math.ceil(len(members) * ctx.scale))
        with_grids.update(v.code for v in members[:n])

    grid_rows: list[dict] = []  # code, name, parent code, level, geometry, hh, pop, kind…
    for v in villages:
        urban = v.kind == RegionKind.COMMUNITY
        if urban:
            n3 = rng.randint(4, 9) if v.code[:9] == towns[0].code else rng.randint(2, 4)
        else:
            n3 = rng.randint(11, 22)
        sizes = _grid_sizes(rng, urban, n3)
        v.households = sum(h for h, _ in sizes)
        v.population = sum(p for _, p in sizes)
        if v.code not in with_grids:
            continue
        poly = village_geom[v.code]
        pts = geo.relaxed_points(poly, n3, rng, rounds=2)
        l3_cells = geo.voronoi_cells(poly, pts)
        per_group = rng.randint(3, 5) if urban else rng.randint(4, 7)
        n2 = max(1, round(n3 / per_group))
        base, extra = divmod(n3, n2)
        group_sizes = [base + (1 if i < extra else 0) for i in range(n2)]
        l1 = v.code + "001"
        grid_rows.append(
            dict(code=l1, name=f"{v.name}一级网格", parent=v.code, level=1, geom=poly,
                 hh=v.households, pop=v.population, urban=urban)
        )  # fmt: skip
        serial = 0
        for gi, idx in enumerate(geo.kd_groups(pts, group_sizes), start=1):
            l2 = f"{l1}{gi:03d}"
            grid_rows.append(
                dict(code=l2, name=f"{v.name}第{gi}二级网格", parent=l1, level=2,
                     geom=shapely.union_all([l3_cells[i] for i in idx]),
                     hh=sum(sizes[i][0] for i in idx), pop=sum(sizes[i][1] for i in idx), urban=urban)
            )  # fmt: skip
            for k, i in enumerate(idx, start=1):
                serial += 1
                grid_rows.append(
                    dict(code=f"{l2}{k:03d}", name=f"{v.name}第{serial}网格", parent=l2, level=3,
                         geom=l3_cells[i], hh=sizes[i][0], pop=sizes[i][1], urban=urban)
                )  # fmt: skip

    # A school, a hospital and an industrial park in the county seat become dedicated grids.
    # One per village: the second level-3 grid of the first communities (school, hospital),
    # the first of a rural village (the park) — or of a further community at small scales.
    seat_l3: dict[str, list[dict]] = {}
    for r in grid_rows:
        if r["level"] == 3 and r["code"].startswith(towns[0].code):
            seat_l3.setdefault(r["code"][:12], []).append(r)
    urban_rows = [rows[min(1, len(rows) - 1)] for rows in seat_l3.values() if rows[0]["urban"]]
    rural_rows = [rows[0] for rows in seat_l3.values() if not rows[0]["urban"]]
    picks = urban_rows[:2] + (rural_rows[-1:] or urban_rows[2:3])
    for row, (dtype, name, unit) in zip(picks, DEDICATED, strict=False):
        row.update(kind=RegionKind.DEDICATED, dedicated_type=dtype, dedicated_unit=unit,
                   name=name, hh=0, pop=0)  # fmt: skip
    # Households of level 2/1 and the village follow from their level-3 grids.
    _roll_up(grid_rows, villages)

    ids = {v.code: v.pk for v in villages}
    created: list[Region] = []
    for level in (1, 2, 3):
        batch = []
        for r in grid_rows:
            if r["level"] != level:
                continue
            g = Region(
                code=r["code"], name=r["name"], level=Level.GRID, parent_id=ids[r["parent"]],
                kind=r.get("kind", RegionKind.COMPREHENSIVE), grid_level=level,
                dedicated_type=r.get("dedicated_type", ""), dedicated_unit=r.get("dedicated_unit", ""),
                urban=r["urban"], households=r["hh"], population=r["pop"],
            )  # fmt: skip
            _store(g, r["geom"])
            batch.append(g)
        Region.objects.bulk_create(batch, batch_size=1000)
        if any(g.pk is None for g in batch):
            ids.update(
                Region.objects.filter(code__in=[g.code for g in batch]).values_list("code", "id")
            )
        else:
            ids.update({g.code: g.pk for g in batch})
        created += batch

    for t in towns:
        members = by_town[t.code]
        t.households = sum(v.households for v in members)
        t.population = sum(v.population for v in members)
    county.households = sum(t.households for t in towns)
    county.population = sum(t.population for t in towns)
    fields = ["boundary", "min_lon", "min_lat", "max_lon", "max_lat", "households", "population"]
    Region.objects.bulk_update([county, *towns, *villages], fields, batch_size=500)

    # 4. Staff.
    staff_rng = ctx.child_rng("territory-staff")
    staff: list[GridStaff] = []

    def post(grid: Region, role: str) -> None:
        staff.append(
            GridStaff(grid=grid, role=role, name=person(staff_rng), phone=mobile(staff_rng))
        )

    for t in towns:
        post(t, StaffRole.SUPERVISOR)
    for g in created:
        if g.grid_level == 1:
            post(g, StaffRole.CHIEF_GRID_HEAD)
            post(g, StaffRole.GRID_INSTRUCTOR)
        elif g.grid_level == 2:
            post(g, StaffRole.GRID_HEAD)
        else:
            post(g, StaffRole.GRID_WORKER)
            if staff_rng.random() < (0.5 if g.urban else 0.15):
                post(g, StaffRole.GRID_ASSISTANT)
    GridStaff.objects.bulk_create(staff, batch_size=1000)
    locate.bump()

    n3 = sum(1 for g in created if g.grid_level == 3)
    ctx.data["territory"] = {"county": county.code, "grids": len(created)}
    ctx.say(
        f"  网格：{len(created)} 个（三级网格 {n3} 个，专属网格 {len(picks)} 个），"
        f"网格员等 {len(staff)} 人；全县 {county.households} 户、{county.population} 人"
    )


def _roll_up(rows: list[dict], villages: list[Region]) -> None:
    by_code = {r["code"]: r for r in rows}
    for level in (2, 1):
        for r in rows:
            if r["level"] == level:
                r["hh"] = r["pop"] = 0
        for c in rows:
            if c["level"] == level + 1:
                by_code[c["parent"]]["hh"] += c["hh"]
                by_code[c["parent"]]["pop"] += c["pop"]
    for v in villages:
        l1 = by_code.get(v.code + "001")
        if l1 is not None:
            v.households, v.population = l1["hh"], l1["pop"]
