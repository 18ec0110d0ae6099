"""The benchmark county, generated deterministically (fixed seed, fixed anchor time).

Parts, each recorded in the marker table `jc_bench_marker` with the parameters it was made
with, so that a second run reuses what is there and only adds parts that were missing
(e.g. cases, once the cases app has landed):

1. territory — divisions through the platform's own importer (`territory.divisions.
   import_divisions` on a generated CSV set in the china-division format), then 45,000
   grids in three levels written directly with bulk inserts (Voronoi cells inside each
   village; the GeoJSON grid importer validates every polygon against its parent, which
   is right for a county's upload and needless for shapes made to fit).
2. accounts — handling units (district, street, community, departments) and the users
   the measurements act as.
3. people — households and residents, written directly with bulk inserts: the people
   importer is measured on its own (section `imports`), and at its rate 3,000,000 rows
   would take most of an hour.
4. cases — categories through the ORM; 1,000,000 cases over the year before the anchor in
   every state, one event for the report and one for the last move, the lead
   assignment, and the daily number counters, written directly with bulk inserts:
   intake through the API is measured on its own, and at its rate a million cases would
   take hours. Deadlines use natural days here (the working-day calendar is the cases
   app's business at intake).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import importlib
import importlib.util
import json
import math
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import numpy as np
import shapely
from django.db import connection, transaction

from jiceng.bench.params import ANCHOR, BBOX, COUNTY_CODE, COUNTY_NAME, Params
from jiceng.bench.util import Progress

MARKER = "jc_bench_marker"
BATCH = 5000

TOWN_SYLLABLES = "城关涧池蒲溪平梁双乳铁佛观音漩涡汉阳双河龙垭酒店石泉恒口吉河大河关庙茨沟东镇五里早阳流水牛蹄谭坝"
VILLAGE_SYLLABLES = "东西南北上下前后新旧大小高低长短清水石桥花园柳树杨柳松柏桃李梨枣杏竹梅兰菊荷双河三里五里七里九里"
SURNAMES = "陈王李张刘杨吴沈黄周徐胡朱何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建国文斌辉海燕波宁琴云梅莉飞林春雪晓丹凤琳慧俊浩宇欣怡博涵晨鑫志忠德成兴旺福安康润泽"
# Categories (a small matter tree of the kind counties keep); limits in (amount, unit).
CATEGORY_TREE = [
    ("城乡建设", ["道路破损", "违章建筑", "小区物业", "供水故障"]),
    ("环境保护", ["垃圾堆放", "噪声扰民", "污水排放", "大气污染"]),
    ("交通运输", ["公交线路", "占道经营", "车辆乱停", "道路拥堵"]),
    ("劳动和社会保障", ["工资拖欠", "社保缴纳", "就业服务", "养老保险"]),
    ("教育文体", ["学校管理", "招生入学", "文体设施", "校外培训"]),
    ("卫生计生", ["医疗服务", "食品安全", "疫苗接种", "卫生环境"]),
    ("商贸旅游", ["价格欺诈", "景区管理", "市场秩序", "消费纠纷"]),
    ("农业农村", ["农村道路", "农田水利", "村务公开", "惠农补贴"]),
    ("社会治安", ["矛盾纠纷", "治安隐患", "消防安全", "邻里纠纷"]),
    ("民政服务", ["低保救助", "养老服务", "残疾人服务", "殡葬管理"]),
    ("水电气暖", ["停电", "停水", "燃气", "供暖"]),
    ("咨询建议", ["政策咨询", "意见建议", "办事指南", "其他"]),
]
LIMITS = [(3, "days"), (5, "days"), (7, "days"), (15, "days"), (24, "hours"), (10, "days")]
DEPARTMENTS = [
    "住建局", "生态环境局", "交通运输局", "人社局", "教体局", "卫健局", "商务局",
    "农业农村局", "公安局", "民政局", "供电公司", "城管局", "市场监管局", "水利局",
    "自然资源局", "应急管理局", "文旅局", "信访局", "司法局", "医保局",
]  # fmt: skip

OPEN_STATES = {
    "reported": 0.08,
    "registered": 0.10,
    "dispatched": 0.15,
    "returned": 0.03,
    "handling": 0.45,
    "pause_requested": 0.02,
    "paused": 0.04,
    "handled": 0.13,
}
DONE_STATES = {"closed": 0.40, "archived": 0.52, "merged": 0.03, "split": 0.01, "cancelled": 0.04}
LAST_MOVE = {
    "registered": "register",
    "dispatched": "dispatch",
    "returned": "return",
    "handling": "accept",
    "pause_requested": "request_pause",
    "paused": "approve_pause",
    "handled": "report_handling",
    "closed": "verify_close",
    "archived": "archive",
    "merged": "merge",
    "split": "split",
    "cancelled": "cancel",
}
CHANNELS = {
    "hotline": 0.42,
    "app": 0.12,
    "wechat": 0.16,
    "web": 0.08,
    "grid": 0.18,
    "alarm": 0.01,
    "transfer": 0.03,
}
REQUEST_TYPES = {"enquiry": 0.2, "help": 0.25, "complaint": 0.35, "report": 0.1, "suggestion": 0.1}


# ---------------------------------------------------------------- marker


def ensure_marker() -> None:
    with connection.cursor() as c:
        c.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER} ("
            "part VARCHAR(30) PRIMARY KEY, params TEXT NOT NULL, counts TEXT NOT NULL, "
            "seconds DOUBLE PRECISION NOT NULL, made_at VARCHAR(40) NOT NULL)"
        )


def marker() -> dict[str, dict]:
    """Parts already generated in this database: part -> {params, counts, seconds}."""
    if MARKER not in connection.introspection.table_names():
        return {}
    with connection.cursor() as c:
        c.execute(f"SELECT part, params, counts, seconds FROM {MARKER}")
        return {
            part: {"params": json.loads(p), "counts": json.loads(n), "seconds": s}
            for part, p, n, s in c.fetchall()
        }


def mark(part: str, params: Params, counts: dict, seconds: float) -> None:
    ensure_marker()
    with connection.cursor() as c:
        c.execute(f"DELETE FROM {MARKER} WHERE part = %s", [part])
        c.execute(
            f"INSERT INTO {MARKER} (part, params, counts, seconds, made_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                part,
                json.dumps(params.as_dict(), sort_keys=True),
                json.dumps(counts),
                seconds,
                dt.datetime.now(dt.UTC).isoformat(),
            ],
        )


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def model(app_label: str, name: str):
    from django.apps import apps

    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def fields_of(m) -> set[str]:
    out = set()
    for f in m._meta.concrete_fields:
        out.add(f.name)
        out.add(f.attname)
    return out


def build(m, values: dict, known: set[str]):
    """A model instance from the values its model has (a renamed column is left out)."""
    return m(**{k: v for k, v in values.items() if k in known})


def weighted(rng: random.Random, table: dict[str, float]) -> Callable[[], str]:
    keys = list(table)
    cum = np.cumsum([table[k] for k in keys])
    cum = cum / cum[-1]
    cum_list = cum.tolist()

    def pick() -> str:
        x = rng.random()
        for k, c in zip(keys, cum_list, strict=True):
            if x <= c:
                return k
        return keys[-1]

    return pick


def split_counts(total: int, parts: int, rng: random.Random, spread: float = 0.3) -> list[int]:
    """`total` split into `parts` positive-ish shares around the mean."""
    if parts <= 0:
        return []
    w = [rng.uniform(1 - spread, 1 + spread) for _ in range(parts)]
    s = sum(w)
    out = [int(total * x / s) for x in w]
    for i in range(total - sum(out)):
        out[i % parts] += 1
    return out


Rect = tuple[float, float, float, float]


def cells(rect: Rect, n: int) -> list[Rect]:
    """`n` rectangles tiling `rect` in rows (no gap, no overlap)."""
    x0, y0, x1, y1 = rect
    rows = max(1, round(math.sqrt(n * (y1 - y0) / max(x1 - x0, 1e-9))))
    rows = min(rows, n)
    base, extra = divmod(n, rows)
    out: list[Rect] = []
    h = (y1 - y0) / rows
    for r in range(rows):
        k = base + (1 if r < extra else 0)
        w = (x1 - x0) / k
        for c in range(k):
            out.append((x0 + c * w, y0 + r * h, x0 + (c + 1) * w, y0 + (r + 1) * h))
    return out


def rect_geojson(r: tuple[float, ...]) -> dict:
    x0, y0, x1, y1 = (round(v, 7) for v in r)
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def geojson(geom) -> dict:
    geom = shapely.set_precision(geom, 1e-7)
    return json.loads(shapely.to_geojson(geom))


def name_from(syllables: str, i: int, size: int = 2) -> str:
    n = len(syllables)
    return "".join(syllables[(i * (7 + k * 13) + k) % n] for k in range(size))


# ---------------------------------------------------------------- part 1: territory


def territory(params: Params, say: Callable[[str], None], err: IO[str] | None = None) -> dict:
    """Divisions via the platform's importer, then grids in three levels (bulk)."""
    from jiceng.territory.models import Level, Region, RegionKind

    rng = random.Random(f"{params.seed}:territory")
    streets = cells(BBOX, params.streets)
    per_street = split_counts(params.villages, params.streets, rng, spread=0.25)
    per_street = [max(1, n) for n in per_street]
    street_rows = []
    village_rows = []
    for s, (rect, nv) in enumerate(zip(streets, per_street, strict=True), start=1):
        scode = f"{COUNTY_CODE}{s:03d}"
        sname = name_from(TOWN_SYLLABLES, s) + ("街道" if s <= 3 else "镇")
        street_rows.append((scode, sname, rect))
        for v, vrect in enumerate(cells(rect, nv), start=1):
            urban = v == 1  # the town seat is a community (about 1 in 12, as in 安康)
            vname = name_from(VILLAGE_SYLLABLES, s * 31 + v) + ("社区" if urban else "村")
            village_rows.append((f"{scode}{v:03d}", vname, vrect, urban))

    # Divisions through the platform's importer when it exists (the real path).
    t0 = time.perf_counter()
    how = "direct"
    if has_module("jiceng.territory.divisions"):
        from jiceng.territory.divisions import import_divisions

        with tempfile.TemporaryDirectory() as tmp:
            write_division_csvs(Path(tmp), street_rows, village_rows)
            import_divisions(tmp, COUNTY_CODE, source="jiceng bench")
        how = "territory.divisions.import_divisions"
    else:
        _divisions_direct(street_rows, village_rows)
    say(
        f"  区划：{len(street_rows)} 个乡镇、{len(village_rows)} 个村和社区"
        f"（{how}，{time.perf_counter() - t0:.1f} 秒）"
    )
    county = Region.objects.get(code=COUNTY_CODE)
    ids = dict(
        Region.objects.filter(code__under=COUNTY_CODE, level__lte=Level.VILLAGE).values_list(
            "code", "id"
        )
    )

    # Grids: a Voronoi tessellation of each village (level 3), grouped into level 2.
    households = split_counts(params.households, len(village_rows), rng, spread=0.35)
    expected = sum(1 + 4.5 + 18 for _ in village_rows)
    prog = Progress("网格", int(expected), err)
    pending: list[Region] = []
    grid_total = {1: 0, 2: 0, 3: 0}
    people_per_hh = params.residents / params.households
    updates: list[Region] = []

    def flush(level_rows: list[Region]) -> None:
        Region.objects.bulk_create(level_rows, batch_size=2000)
        if any(r.pk is None for r in level_rows):
            ids.update(
                Region.objects.filter(code__in=[r.code for r in level_rows]).values_list(
                    "code", "id"
                )
            )
        else:
            ids.update({r.code: r.pk for r in level_rows})
        prog.add(len(level_rows))

    village_grids: list[tuple[str, str, list, list, list, bool, int]] = []
    for (vcode, vname, vrect, urban), hh in zip(village_rows, households, strict=True):
        n3 = rng.randint(3, 8) if urban else rng.randint(14, 26)
        pts = np.column_stack(
            [
                [rng.uniform(vrect[0], vrect[2]) for _ in range(n3)],
                [rng.uniform(vrect[1], vrect[3]) for _ in range(n3)],
            ]
        )
        box = shapely.box(*vrect)
        if n3 > 1:
            vor = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box)
            parts = [shapely.intersection(g, box) for g in shapely.get_parts(vor)]
            parts = [p for p in parts if not p.is_empty and p.area > 0]
        else:
            parts = [box]
        parts.sort(key=lambda g: (g.centroid.x, g.centroid.y))
        per_group = rng.randint(3, 5) if urban else rng.randint(4, 7)
        n2 = max(1, round(len(parts) / per_group))
        groups = _chunks(parts, n2)
        grid_hh = split_counts(hh, len(parts), rng, spread=0.3)
        village_grids.append((vcode, vname, [box], groups, grid_hh, urban, hh))

    def region(code, name, parent, glevel, geom, hh, urban) -> Region:
        b = geom.bounds
        return Region(
            code=code,
            name=name,
            level=Level.GRID,
            parent_id=ids[parent],
            kind=RegionKind.COMPREHENSIVE,
            grid_level=glevel,
            urban=urban,
            households=hh,
            population=round(hh * people_per_hh),
            boundary=geojson(geom),
            min_lon=b[0],
            min_lat=b[1],
            max_lon=b[2],
            max_lat=b[3],
        )

    for glevel in (1, 2, 3):
        for vcode, vname, (box,), groups, grid_hh, urban, hh in village_grids:
            l1 = f"{vcode}001"
            if glevel == 1:
                pending.append(region(l1, f"{vname}一级网格", vcode, 1, box, hh, urban))
                continue
            k = 0
            for gi, group in enumerate(groups, start=1):
                l2 = f"{l1}{gi:03d}"
                ghh = grid_hh[k : k + len(group)]
                if glevel == 2:
                    geom = shapely.union_all(group)
                    pending.append(
                        region(l2, f"{vname}第{gi}二级网格", l1, 2, geom, sum(ghh), urban)
                    )
                else:
                    for j, (cell, h) in enumerate(zip(group, ghh, strict=True), start=1):
                        pending.append(
                            region(f"{l2}{j:03d}", f"{vname}第{k + j}网格", l2, 3, cell, h, urban)
                        )
                k += len(group)
            if len(pending) >= 2000:
                grid_total[glevel] += len(pending)
                flush(pending)
                pending = []
        grid_total[glevel] += len(pending)
        if pending:
            flush(pending)
        pending = []
    prog.finish()

    # Boundaries and sizes of the county, streets and villages (bulk update).
    county.boundary = rect_geojson(BBOX)
    county.min_lon, county.min_lat, county.max_lon, county.max_lat = BBOX
    county.households = params.households
    county.population = params.residents
    updates.append(county)
    hh_by_village = {v[0]: v[6] for v in village_grids}
    for code, _name, rect in street_rows:
        r = Region(id=ids[code], boundary=rect_geojson(rect))
        r.min_lon, r.min_lat, r.max_lon, r.max_lat = rect
        r.households = sum(h for c, h in hh_by_village.items() if c.startswith(code))
        r.population = round(r.households * people_per_hh)
        updates.append(r)
    for code, _name, rect, _urban in village_rows:
        r = Region(id=ids[code], boundary=rect_geojson(rect))
        r.min_lon, r.min_lat, r.max_lon, r.max_lat = rect
        r.households = hh_by_village[code]
        r.population = round(r.households * people_per_hh)
        updates.append(r)
    Region.objects.bulk_update(
        updates,
        ["boundary", "min_lon", "min_lat", "max_lon", "max_lat", "households", "population"],
        batch_size=500,
    )
    _bump_index()
    return {
        "streets": len(street_rows),
        "villages": len(village_rows),
        "grids": sum(grid_total.values()),
        "grids_by_level": grid_total,
        "divisions_via": how,
        "grids_via": "bulk insert",
    }


def _chunks(items: list, n: int) -> list[list]:
    base, extra = divmod(len(items), n)
    out, i = [], 0
    for g in range(n):
        k = base + (1 if g < extra else 0)
        out.append(items[i : i + k])
        i += k
    return [g for g in out if g]


def _bump_index() -> None:
    """Tell point→grid that boundaries changed (when the territory app offers it)."""
    if has_module("jiceng.territory.locate"):
        locate = importlib.import_module("jiceng.territory.locate")
        if hasattr(locate, "bump"):
            locate.bump()


def write_division_csvs(
    directory: Path, street_rows, village_rows, county: str = COUNTY_CODE, name: str = COUNTY_NAME
) -> None:
    """The china-division CSV format (modood), as `jiceng import-divisions` reads it."""
    directory.mkdir(parents=True, exist_ok=True)

    def write(name: str, header: list[str], rows: list[list[str]]) -> None:
        with open(directory / name, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)

    write("provinces.csv", ["code", "name"], [["61", "陕西省"]])
    write("cities.csv", ["code", "name", "provinceCode"], [["6109", "安康市", "61"]])
    write(
        "areas.csv",
        ["code", "name", "cityCode", "provinceCode"],
        [[county, name, "6109", "61"]],
    )
    write(
        "streets.csv",
        ["code", "name", "areaCode", "provinceCode", "cityCode"],
        [[c, n, county, "61", "6109"] for c, n, _ in street_rows],
    )
    write(
        "villages.csv",
        ["code", "name", "streetCode", "provinceCode", "cityCode", "areaCode"],
        [[c, n + ("居委会" if u else "委会"), c[:9], "61", "6109", county]
         for c, n, _, u in village_rows],
    )  # fmt: skip


def _divisions_direct(street_rows, village_rows) -> None:
    from jiceng.territory.models import Level, Region, RegionKind

    ids: dict[str, int] = {}
    for code, name, level, parent in [
        ("61", "陕西省", Level.PROVINCE, None),
        ("6109", "安康市", Level.CITY, "61"),
        (COUNTY_CODE, COUNTY_NAME, Level.COUNTY, "6109"),
    ]:
        r, _ = Region.objects.get_or_create(
            code=code, defaults=dict(name=name, level=level, parent_id=ids.get(parent or ""))
        )
        ids[code] = r.pk
    streets = [
        Region(
            code=c,
            name=n,
            level=Level.STREET,
            parent_id=ids[COUNTY_CODE],
            kind=RegionKind.STREET if n.endswith("街道") else RegionKind.TOWN,
        )
        for c, n, _ in street_rows
    ]
    Region.objects.bulk_create(streets, batch_size=2000)
    ids.update(Region.objects.filter(level=Level.STREET).values_list("code", "id"))
    Region.objects.bulk_create(
        [
            Region(
                code=c,
                name=n,
                level=Level.VILLAGE,
                parent_id=ids[c[:9]],
                kind=RegionKind.COMMUNITY if u else RegionKind.VILLAGE,
                urban=u,
            )
            for c, n, _, u in village_rows
        ],
        batch_size=2000,
    )


# ---------------------------------------------------------------- part 2: accounts

BENCH_USERS = {
    # username: (role, scope: county|street|grid, unit: district|street|dept|None)
    "bench-admin": ("district_admin", "county", "district"),
    "bench-street": ("street_dispatcher", "street", "street"),
    "bench-dept": ("department_handler", "county", "dept"),
    "bench-grid": ("grid_worker", "grid", None),
}


def accounts(params: Params, say: Callable[[str], None]) -> dict:
    from jiceng.accounts.models import Unit, UnitKind, User
    from jiceng.territory.models import Level, Region

    county = Region.objects.get(code=COUNTY_CODE)
    units = [Unit(code=county.code, name=f"{county.name}综治中心", kind=UnitKind.DISTRICT,
                  region=county, phone="0915-12345")]  # fmt: skip
    for r in Region.objects.filter(code__under=COUNTY_CODE, level=Level.STREET):
        units.append(Unit(code=r.code, name=f"{r.name}综治中心", kind=UnitKind.STREET, region=r))
    for r in Region.objects.filter(code__under=COUNTY_CODE, level=Level.VILLAGE):
        units.append(Unit(code=r.code, name=f"{r.name}委员会", kind=UnitKind.COMMUNITY, region=r))
    for i, d in enumerate(DEPARTMENTS, start=1):
        units.append(
            Unit(code=f"{COUNTY_CODE}-D{i:02d}", name=f"县{d}", kind=UnitKind.DEPARTMENT,
                 region=county, phone=f"0915-52{i:05d}")
        )  # fmt: skip
    Unit.objects.bulk_create(units, batch_size=2000)
    first_street = (
        Region.objects.filter(code__under=COUNTY_CODE, level=Level.STREET).order_by("code").first()
    )
    first_grid = (
        Region.objects.filter(code__under=COUNTY_CODE, level=Level.GRID, grid_level=3)
        .order_by("code")
        .first()
    )
    scopes = {"county": county, "street": first_street, "grid": first_grid}
    unit_for = {
        "district": Unit.objects.get(code=county.code),
        "street": Unit.objects.get(code=first_street.code) if first_street else None,
        "dept": Unit.objects.get(code=f"{COUNTY_CODE}-D01"),
        None: None,
    }
    for username, (role, sc, un) in BENCH_USERS.items():
        u = User(username=username, role=role, scope=scopes[sc], unit=unit_for[un],
                 full_name=f"基准{role}")  # fmt: skip
        u.set_unusable_password()
        u.save()
    say(f"  单位：{len(units)} 个；用户：{len(BENCH_USERS)} 个")
    return {"units": len(units), "users": len(BENCH_USERS)}


# ---------------------------------------------------------------- part 3: people


def id_number(region: str, born: dt.date, seq: int) -> str:
    """A valid 18-character identity number (GB 11643: odd sequence for men)."""
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]
    return first17 + check


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _hashers():
    """The people app's keyed hashes when it has them (what its own paths store)."""
    if has_module("jiceng.people.services"):
        services = importlib.import_module("jiceng.people.services")
        idh = getattr(services, "id_hash", None)
        ph = getattr(services, "phone_hash", None)
        if idh and ph:
            return idh, ph
    return (
        lambda t, n: hashlib.sha256(f"{t}:{n}".encode()).hexdigest(),
        lambda p: hashlib.sha256(p.encode()).hexdigest() if p else "",
    )


def resident_rows(
    params: Params,
    grids: list[tuple[int, str, int]],
    prefix: str = "BH",
    region: str = COUNTY_CODE,
) -> Iterator[tuple[dict, list[dict]]]:
    """(household values, [resident values]) for every household, deterministically.

    `grids` is [(grid id, grid code, households)]; residents per household follow the
    county's ratio (about 3.2).
    """
    rng = random.Random(f"{params.seed}:people:{prefix}")
    ratio = params.residents / params.households
    id_hash, phone_hash = _hashers()
    serial = 0
    used: dict[tuple[dt.date, bool], int] = {}  # identity numbers are unique: a serial per day
    relations = ["spouse", "child", "child", "parent", "grandchild", "sibling", "other"]
    for gid, gcode, hh in grids:
        for _ in range(hh):
            serial += 1
            n = max(1, min(8, round(rng.gauss(ratio, 1.2))))
            income = round(rng.lognormvariate(10.6, 0.6), -2)
            phone = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
            address = f"{gcode[-6:]}号院{rng.randint(1, 80)}号"
            household = dict(
                number=f"{prefix}{serial:08d}",
                grid_id=gid,
                grid_code=gcode,
                address=address,
                phone=phone,
                annual_income=income,
                safe_family_years=rng.randint(0, 10),
                members_count=n,
                colour="green" if rng.random() < 0.85 else ("yellow" if rng.random() < 0.7 else "red"),
            )  # fmt: skip
            members = []
            for k in range(n):
                male = rng.random() < 0.51
                age = rng.randint(25, 80) if k == 0 else rng.randint(0, 90)
                born = ANCHOR.date() - dt.timedelta(days=age * 365 + rng.randint(1, 364))
                k_used = used.get((born, male), 0)
                used[(born, male)] = k_used + 1
                # 500 serials per day and sex, then the next county code of the same city
                area = f"{region[:4]}{(int(region[4:]) - k_used // 500) % 100:02d}"
                number = id_number(area, born, (k_used % 500) * 2 + (1 if male else 0))
                mphone = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}" if age >= 16 else ""
                members.append(
                    dict(
                        relation="head" if k == 0 else rng.choice(relations),
                        grid_id=gid,
                        grid_code=gcode,
                        name=person_name(rng),
                        id_type="id_card",
                        id_number=number,
                        id_hash=id_hash("id_card", number),
                        sex="M" if male else "F",
                        birth_date=born,
                        kind="registered" if rng.random() < 0.9 else "floating",
                        phone=mphone,
                        phone_hash=phone_hash(mphone),
                        address=address,
                        party_member=rng.random() < 0.06,
                    )
                )
            yield household, members


def l3_grids(params: Params) -> list[tuple[int, str, int]]:
    from jiceng.territory.models import Level, Region

    return list(
        Region.objects.filter(code__under=COUNTY_CODE, level=Level.GRID, grid_level=3)
        .order_by("code")
        .values_list("id", "code", "households")
    )


def people(params: Params, say: Callable[[str], None], err: IO[str] | None = None) -> dict:
    from jiceng.bench.fastinsert import Inserter

    households = Inserter(model("people", "Household"), ANCHOR)
    residents = Inserter(model("people", "Resident"), ANCHOR)
    prog = Progress("居民", params.residents, err)
    hbuf: list[dict] = []
    rbuf: list[list[dict]] = []

    def flush() -> None:
        nonlocal hbuf, rbuf
        ids = households.insert(hbuf)
        rows = [{**m, "household_id": hid} for hid, ms in zip(ids, rbuf, strict=True) for m in ms]
        residents.insert(rows)
        prog.add(len(rows))
        hbuf, rbuf = [], []

    for household, members in resident_rows(params, l3_grids(params)):
        hbuf.append(household)
        rbuf.append(members)
        if len(hbuf) >= 2000:
            flush()
    if hbuf:
        flush()
    households.finish()
    residents.finish()
    prog.finish()
    say(f"  户：{households.rows:,}；居民：{residents.rows:,}（批量写入）")
    return {"households": households.rows, "residents": residents.rows, "via": "bulk insert"}


# ---------------------------------------------------------------- part 4: cases


def categories() -> list:
    """The matter tree (created once; leaves carry limits and a department)."""
    Category = model("cases", "Category")
    DispatchRule = model("cases", "DispatchRule")
    from jiceng.accounts.models import Unit

    known = fields_of(Category)
    depts = list(Unit.objects.filter(code__startswith=f"{COUNTY_CODE}-D").order_by("code"))
    leaves = []
    for i, (root_name, children) in enumerate(CATEGORY_TREE, start=1):
        root = build(Category, dict(code=f"B{i:02d}", name=root_name, depth=1, path=root_name,
                                    order=i), known)  # fmt: skip
        root.save()
        dept = depts[(i - 1) % len(depts)]
        if DispatchRule is not None:
            DispatchRule.objects.create(category=root, region_prefix="", lead_unit=dept)
        for j, name in enumerate(children, start=1):
            amount, unit = LIMITS[(i + j) % len(LIMITS)]
            leaf = build(
                Category,
                dict(code=f"B{i:02d}{j:02d}", name=name, parent=root, depth=2,
                     path=f"{root_name}/{name}", limit_amount=amount, limit_unit=unit,
                     handling_unit=dept, grid_can_fix=(j == 1), order=i * 100 + j),
                known,
            )  # fmt: skip
            leaf.save()
            leaves.append(leaf)
    return leaves


def cases(params: Params, say: Callable[[str], None], err: IO[str] | None = None) -> dict:
    from jiceng.accounts.models import Unit, UnitKind
    from jiceng.territory.models import Level, Region

    Case = model("cases", "Case")
    CaseEvent = model("cases", "CaseEvent")
    CaseAssignment = model("cases", "CaseAssignment")
    CaseCounter = model("cases", "CaseCounter")
    from jiceng.bench.fastinsert import Inserter

    ins_case = Inserter(Case, ANCHOR)
    ins_event = Inserter(CaseEvent, ANCHOR)
    ins_assign = Inserter(CaseAssignment, ANCHOR) if CaseAssignment is not None else None
    rng = random.Random(f"{params.seed}:cases")
    leaves = categories()
    grids = list(
        Region.objects.filter(code__under=COUNTY_CODE, level=Level.GRID, grid_level=3)
        .order_by("code")
        .values_list("code", "min_lon", "min_lat", "max_lon", "max_lat")
    )
    centres = {u.code: u.pk for u in Unit.objects.filter(kind__in=[UnitKind.STREET,
               UnitKind.COMMUNITY, UnitKind.DISTRICT])}  # fmt: skip
    depts = list(
        Unit.objects.filter(kind=UnitKind.DEPARTMENT, code__startswith=COUNTY_CODE).values_list(
            "pk", flat=True
        )
    )
    tz = ANCHOR.tzinfo
    pick_open = weighted(rng, OPEN_STATES)
    pick_done = weighted(rng, DONE_STATES)
    pick_channel = weighted(rng, CHANNELS)
    pick_type = weighted(rng, REQUEST_TYPES)
    year = 365 * 24 * 3600
    # Creation times: uniform over the year before the anchor, sorted so numbers follow time.
    offsets = sorted((rng.random() * year for _ in range(params.cases)), reverse=True)
    prog = Progress("诉求", params.cases, err)
    counters: dict[str, int] = {}
    buf: list[dict] = []
    meta: list[tuple[str, str, dt.datetime, int | None, int]] = []
    open_n = 0
    by_status: dict[str, int] = {}

    def flush() -> None:
        nonlocal buf, meta
        ids = ins_case.insert(buf)
        events, assigns = [], []
        for pk, c, (status, move, last_at, unit_id, level) in zip(ids, buf, meta, strict=True):
            events.append(dict(case_id=pk, at=c["created_at"], actor_label="系统", move="report",
                               from_status="", to_status="reported", tier=level, public=True,
                               data={"channel": c["channel"]}))  # fmt: skip
            if move:
                events.append(dict(case_id=pk, at=last_at, actor_label="基准", move=move,
                                   from_status="", to_status=status, tier=level,
                                   to_unit_id=unit_id, public=True, data={}))  # fmt: skip
            if unit_id and ins_assign is not None:
                assigns.append(dict(case_id=pk, unit_id=unit_id, role="lead", active=True,
                                    created_at=c["created_at"]))  # fmt: skip
        ins_event.insert(events)
        if assigns and ins_assign is not None:
            ins_assign.insert(assigns)
        prog.add(len(buf))
        buf, meta = [], []

    for off in offsets:
        created = (ANCHOR - dt.timedelta(seconds=off)).astimezone(tz)
        # working hours mostly
        if rng.random() < 0.85 and not 8 <= created.hour < 20:
            created = created.replace(hour=rng.randint(8, 19))
            if created >= ANCHOR:
                created = ANCHOR - dt.timedelta(minutes=rng.randint(1, 600))
        age_days = (ANCHOR - created).total_seconds() / 86400
        p_open = 0.62 if age_days < 30 else (0.15 if age_days < 90 else 0.03)
        is_open = rng.random() < p_open
        status = pick_open() if is_open else pick_done()
        leaf = leaves[rng.randrange(len(leaves))]
        amount, unit_kind = leaf.limit_amount or 7, leaf.limit_unit or "days"
        span = dt.timedelta(hours=amount) if unit_kind == "hours" else dt.timedelta(days=amount)
        deadline = created + span
        yellow = deadline - span * 0.2
        gcode, x0, y0, x1, y1 = grids[rng.randrange(len(grids))]
        assert x0 is not None and y0 is not None and x1 is not None and y1 is not None
        channel = pick_channel()
        level = 1 if channel == "grid" else rng.choice((2, 3, 3, 3, 4))
        street_unit = centres.get(gcode[:9])
        owner = centres.get(gcode[:12]) if level == 1 else street_unit
        unit_id = None
        if status not in ("reported", "registered", "cancelled", "split"):
            unit_id = rng.choice(depts) if rng.random() < 0.6 else (owner or street_unit)
        day = created.strftime("%Y%m%d")
        prefix = f"{COUNTY_CODE}-{day}"
        counters[prefix] = counters.get(prefix, 0) + 1
        last_at = min(created + span * rng.uniform(0.05, 1.3), ANCHOR)
        closed = status in ("closed", "archived")
        values = dict(
            number=f"{prefix}-{counters[prefix]:04d}",
            channel=channel,
            request_type=pick_type(),
            category_id=leaf.pk,
            title=f"{leaf.name}：{gcode[-9:]}附近",
            description=f"群众反映{leaf.path}问题，地点在{gcode}网格附近，请尽快处理。",
            urgency=3 if channel == "alarm" else (2 if rng.random() < 0.08 else 1),
            lon=round(rng.uniform(x0, x1), 6),
            lat=round(rng.uniform(y0, y1), 6),
            address=f"网格{gcode[-6:]}",
            region_code=gcode,
            reporter_name=person_name(rng),
            reporter_phone=f"1{rng.choice('35789')}{rng.randrange(10**9):09d}",
            status=status,
            tier=level,
            owner_unit_id=owner or street_unit,
            unit_id=unit_id,
            deadline=deadline,
            yellow_at=yellow,
            card="",
            created_at=created,
            registered_at=created + dt.timedelta(minutes=5) if status != "reported" else None,
            dispatched_at=created + dt.timedelta(minutes=30) if unit_id else None,
            first_response_at=created + dt.timedelta(hours=2) if unit_id else None,
            handled_at=last_at if status in ("handled", "closed", "archived") else None,
            closed_at=last_at if closed else None,
            closed_tier=level if closed else None,
            closed_on_time=(last_at <= deadline) if closed else None,
            archived_at=last_at if status == "archived" else None,
            satisfaction=rng.choice(["satisfied", "satisfied", "basic", "unsatisfied"])
            if closed and rng.random() < 0.7
            else "",
            updated_at=last_at,
        )
        buf.append(values)
        meta.append((status, LAST_MOVE.get(status, ""), last_at, unit_id, level))
        by_status[status] = by_status.get(status, 0) + 1
        open_n += is_open
        if len(buf) >= 2000:
            flush()
    if buf:
        flush()
    for ins in (ins_case, ins_event, ins_assign):
        if ins is not None:
            ins.finish()
    if CaseCounter is not None:
        CaseCounter.objects.bulk_create(
            [CaseCounter(prefix=p, last=n) for p, n in counters.items()], batch_size=2000
        )
    prog.finish()
    say(f"  诉求：{params.cases:,}（未办结 {open_n:,}；批量写入）")
    return {
        "cases": params.cases,
        "open": open_n,
        "by_status": by_status,
        "categories": len(leaves),
        "via": "bulk insert",
    }


# ---------------------------------------------------------------- orchestration

PARTS: list[tuple[str, str, list[str]]] = [
    # part, what it needs (a module), parts it depends on
    ("territory", "jiceng.territory.models", []),
    ("accounts", "jiceng.accounts.models", ["territory"]),
    ("people", "jiceng.people.models", ["territory"]),
    ("cases", "jiceng.cases.models", ["territory", "accounts"]),
]


def available(part: str) -> str | None:
    """None when the part can be generated, else the reason it cannot."""
    if part == "people":
        if model("people", "Household") is None or model("people", "Resident") is None:
            return "the people app has no Household/Resident models yet"
    if part == "cases":
        if model("cases", "Case") is None or model("cases", "CaseEvent") is None:
            return "the cases app has no Case/CaseEvent models yet"
    return None


class ForeignData(Exception):
    """The database holds data the benchmark did not generate."""


def check_database(params: Params) -> dict[str, dict]:
    """Parts present, after checking that they are ours and of these parameters."""
    from jiceng.territory.models import Region

    done = marker()
    stale = [part for part in done if not _present(part)]
    if stale:
        # The rows were removed behind the marker's back (a flush, a test teardown).
        with connection.cursor() as c:
            for part in stale:
                c.execute(f"DELETE FROM {MARKER} WHERE part = %s", [part])
                done.pop(part)
    if not done and Region.objects.exists():
        raise ForeignData(
            "这个数据库里已有不是基准测试生成的数据：请用空数据库运行（SQLite：另设 "
            "JICENG_DATA_DIR；PostgreSQL：DATABASE_URL 指向 jc_bench_* 之类的新库）"
        )
    want = params.as_dict()
    for part, info in done.items():
        if info["params"] != want:
            raise ForeignData(
                f"这个数据库里的基准数据（{part}）是用另一组参数生成的："
                f"{info['params']}；请换一个数据库，或加 --reset 清空后重新生成"
            )
    return done


def _present(part: str) -> bool:
    """A cheap check that a marked part's rows are still there."""
    from jiceng.accounts.models import User
    from jiceng.territory.models import Region

    if part == "territory":
        return Region.objects.filter(code=COUNTY_CODE).exists()
    if part == "accounts":
        return User.objects.filter(username="bench-admin").exists()
    m = model("people", "Household") if part == "people" else model("cases", "Case")
    return m is not None and m.objects.exists()


def generate(params: Params, say: Callable[[str], None], err: IO[str] | None = None) -> dict:
    """Generate the parts that are missing; returns {part: {status, counts|reason, seconds}}."""
    done = check_database(params)
    ensure_marker()
    out: dict[str, dict] = {}
    fast_sqlite = connection.vendor == "sqlite"
    if fast_sqlite:
        # Generation only: a crash mid-way leaves no marker, so the part is regenerated.
        with connection.cursor() as c:
            c.execute("PRAGMA synchronous=OFF")
            # Millions of rows into random-order indexes (identity hashes): a page cache of
            # 1 GB keeps the B-trees in memory instead of re-reading them from disk.
            c.execute("PRAGMA cache_size=-1000000")
    builders: dict[str, Callable[[], dict]] = {
        "territory": lambda: territory(params, say, err),
        "accounts": lambda: accounts(params, say),
        "people": lambda: people(params, say, err),
        "cases": lambda: cases(params, say, err),
    }
    try:
        for part, _module, deps in PARTS:
            if part in done:
                out[part] = {"status": "reused", **done[part]}
                continue
            reason = available(part)
            missing = [d for d in deps if out.get(d, {}).get("status") not in ("made", "reused")]
            if reason is None and missing:
                reason = f"needs {', '.join(missing)}"
            if reason:
                out[part] = {"status": "skipped", "reason": reason}
                say(f"  {part}：跳过（{reason}）")
                continue
            t0 = time.perf_counter()
            with transaction.atomic():
                counts = builders[part]()
                seconds = time.perf_counter() - t0
                mark(part, params, counts, seconds)
            out[part] = {"status": "made", "counts": counts, "seconds": round(seconds, 2)}
    finally:
        if fast_sqlite:
            with connection.cursor() as c:
                c.execute("PRAGMA synchronous=NORMAL")
                c.execute("PRAGMA cache_size=-64000")
    return out


def reset() -> None:
    """Empty the benchmark database (only one the benchmark made: checked by the caller)."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as c:
        c.execute(f"DROP TABLE IF EXISTS {MARKER}")
