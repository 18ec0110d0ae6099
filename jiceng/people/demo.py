"""Demo county, part 3: households and residents of every grid, at 安康's proportions.

1. Read the level-3 grids of `ctx.county_code` (any leaf grid, or the villages, if the
   territory has no level-3 grids) with the household count the territory builder set.
2. Choose a target colour for each household (about 83.5% green, 11% yellow, 5.5% red) and
   give it facts that lead there: income against its village, years as 平安家庭, care tags.
3. Write everything with bulk inserts, then let the real colour service classify the
   households (`services.recompute`), so the demo shows what the rules give, not a guess.
Names are drawn from the surname frequency list; ID numbers are fictitious but well-formed
(region 610921, a valid birth date, the right check digit). The full county (~95,000
households) is more than the demo needs to start quickly, so above `MAX_HOUSEHOLDS` only a
share of grids is filled — always including the demo users' own grids — and the log says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.lib import creditcode, idcard
from jiceng.people import bulk, names, services
from jiceng.people.models import (
    Building,
    CareTag,
    CareTagType,
    ContactLink,
    ContactPerson,
    Household,
    Organisation,
    Resident,
    Room,
    Visit,
)
from jiceng.territory.models import Level, Region

MAX_HOUSEHOLDS = 30000  # at scale 1.0; scales with ctx.scale
COLOURS = (("green", 0.835), ("yellow", 0.11), ("red", 0.055))
TODAY = date(2026, 5, 1)
FLOATING_ORIGINS = ["610902", "610923", "610924", "610925", "610722", "500101", "420303"]
SIZES = ([1, 2, 3, 4, 5, 6], [10, 25, 26, 20, 12, 7])
YELLOW_WAYS = [
    "low_income_ratio",
    "dibao",
    "living_alone_elderly",
    "left_behind_elderly",
    "left_behind_child",
    "left_behind_woman",
    "disabled",
    "released_prisoner",
    "key_youth",
    "not_safe",
]
COMPANY_KINDS = [
    "富硒茶业有限公司",
    "农业专业合作社",
    "魔芋产业有限公司",
    "建材有限公司",
    "蚕桑专业合作社",
    "电子商务有限公司",
]
SOCIAL_KINDS = ["老年协会", "红白理事会", "志愿服务队", "乡贤理事会"]
SHOPS = ["便民超市", "农资店", "卫生室", "快递服务点"]
RED_WAYS = ["very_low_income", "tekun", "community_correction", "mental_high", "severe_disabled"]


def _grids(county: str) -> list[Region]:
    grids = list(
        Region.objects.filter(code__under=county, level=Level.GRID, grid_level=3).order_by("code")
    )
    if not grids:
        parents = set(
            Region.objects.filter(code__under=county, level__gte=Level.GRID).values_list(
                "parent_id", flat=True
            )
        )
        grids = [
            g
            for g in Region.objects.filter(code__under=county, level__gte=Level.GRID).order_by(
                "code"
            )
            if g.id not in parents
        ]
    if not grids:
        grids = list(
            Region.objects.filter(code__under=county, level=Level.VILLAGE).order_by("code")
        )
    return grids


def build(ctx) -> None:
    started = time.perf_counter()
    rng = ctx.child_rng("people")
    grids = _grids(ctx.county_code)
    if not grids:
        ctx.say("  人口与户：没有网格，跳过")
        return
    sizes = {g.id: (g.households or rng.randint(20, 30)) for g in grids}
    total = sum(sizes.values())
    limit = int(MAX_HOUSEHOLDS * max(ctx.scale, 0.01))
    chosen = grids
    if total > limit:
        # the demo logins of a village or a grid must find their own households
        must = {
            c
            for c in User.objects.filter(scope__isnull=False).values_list("scope__code", flat=True)
            if len(c) >= 12
        }
        keep = [g for g in grids if any(g.code.startswith(m) or m.startswith(g.code) for m in must)]
        keep_ids = {g.id for g in keep}
        # every step-th grid: the share is spread over all towns and villages
        rest = [g for g in grids if g.id not in keep_ids]
        n = sum(sizes[g.id] for g in keep)
        step = max(1, round(total / limit))
        for g in rest[::step]:
            if n >= limit:
                break
            keep.append(g)
            n += sizes[g.id]
        chosen = sorted(keep, key=lambda g: g.code)
    villages = {
        v.code: v
        for v in Region.objects.filter(code__in={g.code[:12] for g in chosen}, level=Level.VILLAGE)
    }
    gen = _Generator(rng, villages)
    with transaction.atomic():
        for g in chosen:
            gen.grid(g, sizes[g.id])
        gen.flush()
        ids = list(
            Household.objects.filter(grid_code__under=ctx.county_code).values_list("id", flat=True)
        )
        services.recompute(ids, "demo")
        gen.contacts_and_visits()
    counts = {c: Household.objects.filter(colour=c).count() for c in ("green", "yellow", "red")}
    n = sum(counts.values()) or 1
    share = (
        ""
        if len(chosen) == len(grids)
        else f"（为启动快，只生成了 {len(chosen)}/{len(grids)} 个网格，约占全县 {100 * sum(sizes[g.id] for g in chosen) // total}% 的户）"
    )
    ctx.say(
        f"  户 {n} 户、居民 {gen.resident_count} 人{share}；"
        f"放心户 {100 * counts['green'] / n:.1f}%、关心户 {100 * counts['yellow'] / n:.1f}%、"
        f"连心户 {100 * counts['red'] / n:.1f}%；用时 {time.perf_counter() - started:.1f} 秒"
    )


@dataclass(slots=True)
class _P:
    """A resident before it is written (model instances cost ~30 µs each to build)."""

    relation: str
    grid_id: int
    grid_code: str
    name: str
    id_type: str
    id_number: str
    id_hash: str
    sex: str
    birth_date: date
    kind: str
    phone: str
    phone_hash: str
    address: str
    party_member: bool
    ethnicity: str
    household_id: int | None = None


P_FIELDS = [f for f in _P.__dataclass_fields__]


class _Generator:
    def __init__(self, rng, villages):
        self.rng = rng
        self.villages = villages
        self.ids: set[str] = set()
        self.households: list[Household] = []
        self.members: list[list[_P]] = []
        self.tags: list[
            tuple[int, int, str, dict]
        ] = []  # household index, member index, type, values
        self.resident_count = 0
        self.types = {t.code: t for t in CareTagType.objects.all()}
        self.grids: list[Region] = []
        self.serial = 0
        self.village_base: dict[str, int] = {}
        self.building_no: dict[str, int] = {}

    # -- people --
    def id_number(self, born: date, sex: str, region: str = "610921") -> str:
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            n = idcard.make(region, born, seq)
            if n not in self.ids:
                self.ids.add(n)
                return n

    def person(self, hh, relation, sex, age, family=None, kind="registered"):
        rng = self.rng
        born = TODAY - timedelta(days=int(age * 365.25) + rng.randrange(0, 360))
        region = "610921" if kind == "registered" else rng.choice(FLOATING_ORIGINS)
        number = self.id_number(born, sex, region)
        phone = ""
        if 16 <= age <= 75 and rng.random() < 0.85:
            phone = f"1{rng.choice('3578')}{rng.randrange(0, 10)}{rng.randrange(10**7, 10**8)}"
        return _P(
            relation=relation,
            grid_id=hh.grid_id,
            grid_code=hh.grid_code,
            name=names.full(rng, sex, family),
            id_type="id_card",
            id_number=number,
            id_hash=services.id_hash("id_card", number),
            sex=sex,
            birth_date=born,
            kind=kind,
            phone=phone,
            phone_hash=services.phone_hash(phone),
            address=hh.address,
            party_member=age >= 25 and rng.random() < 0.07,
            ethnicity="汉族" if rng.random() > 0.01 else rng.choice(["回族", "土家族", "满族"]),
        )

    # -- one grid --
    def grid(self, g: Region, n: int) -> None:
        rng = self.rng
        self.grids.append(g)
        village = self.villages.get(g.code[:12])
        vname = village.name if village else g.name
        urban = bool(village and (village.urban or village.kind == "community"))
        base = self.village_base.setdefault(g.code[:12], rng.randint(9000, 16000))
        rooms: list[Room] = []
        if urban:
            n_buildings = max(1, n // 24)
            first = self.building_no.get(g.code[:12], 0)
            self.building_no[g.code[:12]] = first + n_buildings
            buildings = Building.objects.bulk_create(
                [
                    Building(
                        grid=g,
                        grid_code=g.code,
                        name=f"{first + i + 1}号楼",
                        address=f"{vname}{first + i + 1}号楼",
                        floors=rng.choice([6, 7, 11, 18]),
                        units=rng.choice([2, 3, 4]),
                    )
                    for i in range(n_buildings)
                ]
            )
            rooms = Room.objects.bulk_create(
                [
                    Room(
                        building=b,
                        number=f"{u}-{f}0{k}",
                        use=rng.choices(["owner", "rented", "vacant"], [80, 15, 5])[0],
                    )
                    for b in buildings
                    for u in range(1, (b.units or 2) + 1)
                    for f in range(1, (b.floors or 6) + 1)
                    for k in (1, 2)
                ][: n + 10]
            )
        for i in range(n):
            self.serial += 1
            room = rooms[i] if rooms and i < len(rooms) else None
            if room is not None:
                address = f"{vname}{room.building.name}{room.number}室"
            else:
                address = f"{vname}{rng.randint(1, 9)}组{rng.randint(1, 80)}号"
            colour = rng.choices([c for c, _ in COLOURS], [w for _, w in COLOURS])[0]
            hh = Household(
                number=f"{g.code[:12]}-{self.serial:06d}",
                grid_id=g.id,
                grid_code=g.code,
                address=address,
                building_id=room.building_id if room else None,
                room_id=room.id if room else None,
                safe_family_years=rng.randint(1, 10),
            )
            self.household(hh, colour, base)

    def household(self, hh: Household, colour: str, base: int) -> None:
        rng = self.rng
        way = None
        if colour == "yellow":
            way = rng.choice(YELLOW_WAYS)
        elif colour == "red":
            way = rng.choice(RED_WAYS)
        size = rng.choices(*SIZES)[0]
        if way == "living_alone_elderly":
            size = 1
        family = names.surname(rng)
        kind = "floating" if rng.random() < 0.07 else "registered"
        members: list[_P] = []
        head_sex = "M" if rng.random() < 0.8 else "F"
        head_age = (
            rng.randint(62, 88)
            if way in ("living_alone_elderly", "left_behind_elderly")
            else rng.randint(26, 75)
        )
        members.append(self.person(hh, "head", head_sex, head_age, family, kind))
        if size >= 2:
            members.append(
                self.person(
                    hh,
                    "spouse",
                    "F" if head_sex == "M" else "M",
                    max(20, head_age + rng.randint(-5, 3)),
                    None,
                    kind,
                )
            )
        for _ in range(size - len(members)):
            if head_age > 50 and rng.random() < 0.5:
                sex = rng.choice("MF")
                members.append(
                    self.person(hh, "child", sex, rng.randint(18, head_age - 22), family, kind)
                )
            elif head_age < 60:
                sex = rng.choice("MF")
                members.append(
                    self.person(
                        hh, "child", sex, rng.randint(1, max(1, head_age - 22)), family, kind
                    )
                )
            else:
                members.append(
                    self.person(
                        hh, "grandchild", rng.choice("MF"), rng.randint(1, 16), family, kind
                    )
                )
        # income per head relative to the village base
        # (the village average comes out near 1.22 × base with these draws)
        ratio = rng.uniform(1.0, 1.6)
        if way == "low_income_ratio":
            ratio = rng.uniform(0.58, 0.8)
        elif way == "very_low_income":
            ratio = rng.uniform(0.2, 0.42)
        elif way in ("dibao", "tekun"):
            ratio = rng.uniform(0.55, 0.8)
        if rng.random() < 0.04:
            hh.annual_income = None  # not yet collected
        else:
            hh.annual_income = Decimal(int(base * ratio * len(members) / 100) * 100)
        if way == "not_safe":
            hh.safe_family_years = 0
        if members[0].phone:
            hh.phone = members[0].phone
        idx = len(self.households)
        self.households.append(hh)
        self.members.append(members)
        self.resident_count += len(members)
        self._tags(idx, members, way)

    def _tags(self, idx: int, members: list[_P], way: str | None) -> None:
        rng = self.rng
        oldest = max(range(len(members)), key=lambda i: TODAY.year - members[i].birth_date.year)
        youngest = min(range(len(members)), key=lambda i: TODAY.year - members[i].birth_date.year)
        health = ["良好", "一般", "较差", "失能/半失能"]
        add = self.tags.append
        if way == "living_alone_elderly":
            add((idx, 0, "living_alone_elderly", {"health": rng.choice(health), "pension": True}))
        elif way == "left_behind_elderly":
            add(
                (
                    idx,
                    oldest,
                    "left_behind_elderly",
                    {
                        "health": rng.choice(health),
                        "children_workplace": rng.choice(["西安", "深圳", "苏州", "安康"]),
                    },
                )
            )
        elif way == "left_behind_child":
            add(
                (
                    idx,
                    youngest,
                    "left_behind_child",
                    {
                        "guardian": members[0].name,
                        "guardian_relation": "祖父母",
                        "school": "城关小学",
                    },
                )
            )
        elif way == "left_behind_woman":
            women = [i for i, m in enumerate(members) if m.sex == "F"] or [0]
            add(
                (
                    idx,
                    women[0],
                    "left_behind_woman",
                    {"spouse_workplace": rng.choice(["西安", "广州", "宁波"])},
                )
            )
        elif way == "disabled":
            add(
                (
                    idx,
                    rng.randrange(len(members)),
                    "disabled",
                    {
                        "type": rng.choice(["肢体", "视力", "听力", "智力"]),
                        "grade": rng.choice(["三级", "四级"]),
                    },
                )
            )
        elif way == "severe_disabled":
            add(
                (
                    idx,
                    rng.randrange(len(members)),
                    "disabled",
                    {
                        "type": rng.choice(["肢体", "精神", "多重"]),
                        "grade": rng.choice(["一级", "二级"]),
                    },
                )
            )
        elif way == "dibao":
            add(
                (
                    idx,
                    0,
                    "low_income",
                    {
                        "category": "农村低保",
                        "monthly_amount": 420,
                        "since_year": rng.randint(2015, 2025),
                    },
                )
            )
        elif way == "tekun":
            add(
                (
                    idx,
                    0,
                    "low_income",
                    {
                        "category": "特困供养",
                        "monthly_amount": 780,
                        "since_year": rng.randint(2010, 2025),
                    },
                )
            )
        elif way == "released_prisoner":
            add(
                (
                    idx,
                    0,
                    "released_prisoner",
                    {
                        "release_date": f"{rng.randint(2019, 2025)}-0{rng.randint(1, 9)}-15",
                        "risk": "低",
                        "resettled": True,
                    },
                )
            )
        elif way == "community_correction":
            add(
                (
                    idx,
                    0,
                    "community_correction",
                    {"correction_type": rng.choice(["缓刑", "假释"]), "start": "2025-09-01"},
                )
            )
        elif way == "mental_high":
            add(
                (
                    idx,
                    rng.randrange(len(members)),
                    "severe_mental_illness",
                    {"risk_level": rng.randint(3, 4), "guardian": members[0].name, "managed": True},
                )
            )
        elif way == "key_youth":
            add((idx, youngest, "key_youth", {"category": "闲散青少年"}))

    def flush(self) -> None:
        now = timezone.now()
        hh_fields = [
            "number",
            "grid",
            "grid_code",
            "address",
            "building",
            "room",
            "phone",
            "annual_income",
            "safe_family_years",
            "members_count",
            "colour",
            "colour_reasons",
            "note",
            "created_at",
            "updated_at",
        ]
        bulk.insert(
            Household,
            hh_fields,
            [
                [
                    h.number,
                    h.grid_id,
                    h.grid_code,
                    h.address,
                    h.building_id,
                    h.room_id,
                    h.phone,
                    h.annual_income,
                    h.safe_family_years,
                    0,
                    "",
                    [],
                    "",
                    now,
                    now,
                ]
                for h in self.households
            ],
        )
        ids = dict(
            Household.objects.filter(number__in=[h.number for h in self.households]).values_list(
                "number", "id"
            )
            if len(self.households) < 900
            else Household.objects.values_list("number", "id")
        )
        for h in self.households:
            h.id = ids[h.number]
        rows = []
        for hh, members in zip(self.households, self.members, strict=True):
            for m in members:
                m.household_id = hh.id
                rows.append([*(getattr(m, f) for f in P_FIELDS), "", "", "", now, now])
        bulk.insert(
            Resident,
            [*P_FIELDS, "nationality", "occupation", "note", "created_at", "updated_at"],
            rows,
        )
        by_hash = dict(Resident.objects.values_list("id_hash", "id"))
        bulk.insert(
            CareTag,
            ["resident", "type", "values", "since", "note", "created_at"],
            [
                [
                    by_hash[self.members[i][j].id_hash],
                    self.types[code].id,
                    values,
                    TODAY - timedelta(days=self.rng.randint(30, 2000)),
                    "",
                    now,
                ]
                for i, j, code, values in self.tags
                if code in self.types
            ],
        )

    def contacts_and_visits(self) -> None:
        """Per grid: a party member and a central household head linked to its yellow and red
        households; per village: a people's deputy. Recent visits to red and yellow households."""
        rng = self.rng
        contacts: list[ContactPerson] = []
        by_grid: dict[int, list[ContactPerson]] = {}
        deputies: dict[str, ContactPerson] = {}
        for g in self.grids:
            pair = [
                ContactPerson(
                    kind="party_member",
                    name=names.full(rng, rng.choice("MF")),
                    phone=f"139{rng.randrange(10**7, 10**8)}",
                    title="党员中心户",
                    grid=g,
                    grid_code=g.code,
                ),
                ContactPerson(
                    kind="central_head",
                    name=names.full(rng, rng.choice("MF")),
                    phone=f"135{rng.randrange(10**7, 10**8)}",
                    title="中心户长",
                    grid=g,
                    grid_code=g.code,
                ),
            ]
            by_grid[g.id] = pair
            contacts += pair
            v = g.code[:12]
            if v not in deputies:
                deputies[v] = ContactPerson(
                    kind="deputy",
                    name=names.full(rng, rng.choice("MF")),
                    phone=f"138{rng.randrange(10**7, 10**8)}",
                    title="县人大代表",
                    grid=g,
                    grid_code=g.code,
                )
                contacts.append(deputies[v])
        ContactPerson.objects.bulk_create(contacts, batch_size=2000)
        links: list[ContactLink] = []
        visits: list[Visit] = []
        now = timezone.now()
        found = {
            "red": [
                "老人行动不便，需协助办理医保报销",
                "家中房屋漏雨，已联系村上维修",
                "低保年审材料需代办",
                "了解到看病支出大，建议申请临时救助",
            ],
            "yellow": [
                "家庭情况稳定，子女常打电话",
                "询问养老保险缴费事宜，已解答",
                "孩子上学交通不便",
                "身体状况一般，提醒按时服药",
            ],
            "green": ["家中一切正常", "宣传防诈骗知识", "收集到修路建议"],
        }
        for hh in Household.objects.filter(id__in=[h.id for h in self.households]).only(
            "id", "grid_id", "grid_code", "colour"
        ):
            if hh.grid_id not in by_grid:
                continue
            pair = by_grid[hh.grid_id]
            if hh.colour in ("red", "yellow") or rng.random() < 0.3:
                links.append(ContactLink(contact=pair[1], household_id=hh.id))
            if hh.colour == "red" or rng.random() < 0.2:
                links.append(ContactLink(contact=pair[0], household_id=hh.id))
            if hh.colour == "red":
                links.append(ContactLink(contact=deputies[hh.grid_code[:12]], household_id=hh.id))
            visits_n = {"red": 3, "yellow": 1, "green": 1 if rng.random() < 0.15 else 0}.get(
                hh.colour, 0
            )
            for _ in range(visits_n):
                visits.append(
                    Visit(
                        household_id=hh.id,
                        grid_code=hh.grid_code,
                        visitor_name=rng.choice([p.name for p in pair]),
                        kind=rng.choice(["home", "home", "phone"]),
                        visited_at=now
                        - timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 8)),
                        found=rng.choice(found[hh.colour]),
                        follow_up="持续关注" if hh.colour != "green" else "",
                    )
                )
        ContactLink.objects.bulk_create(links, batch_size=5000)
        Visit.objects.bulk_create(visits, batch_size=5000)
        self.organisations()

    def organisations(self) -> None:
        """Per village: a few companies and co-operatives, a social organisation, shops."""
        rng = self.rng
        orgs: list[Organisation] = []
        first_grid: dict[str, Region] = {}
        for g in self.grids:
            first_grid.setdefault(g.code[:12], g)
        serial = 0
        for code, g in first_grid.items():
            village = self.villages.get(code)
            vname = (village.name if village else g.name).removesuffix("社区").removesuffix("村")
            plan = [
                ("company", f"汉阴县{vname}{rng.choice(COMPANY_KINDS)}"),
                ("company", f"安康{vname}{rng.choice(COMPANY_KINDS)}"),
                ("social", f"{vname}{rng.choice(SOCIAL_KINDS)}"),
                ("individual", f"{vname}{rng.choice(SHOPS)}"),
            ]
            for kind, name in plan[: rng.randint(2, 4)]:
                serial += 1
                orgs.append(
                    Organisation(
                        name=name,
                        kind=kind,
                        credit_code=creditcode.make(
                            ("91" if kind != "social" else "52") + "610921" + f"MA{serial:07d}"
                        )
                        if kind != "individual"
                        else "",
                        legal_person=names.full(rng, rng.choice("MF")),
                        phone=f"0915-52{rng.randrange(10000, 99999)}",
                        address=f"{village.name if village else g.name}{rng.randint(1, 60)}号",
                        employees=rng.randint(2, 80) if kind == "company" else rng.randint(1, 8),
                        party_organisation=kind == "company" and rng.random() < 0.3,
                        grid=g,
                        grid_code=g.code,
                    )
                )
        Organisation.objects.bulk_create(orgs, batch_size=2000)
