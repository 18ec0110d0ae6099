"""Demo county, cases part: a small category tree, dispatch rules, and a few hundred cases
in every state of the loop, made through the services (never raw inserts), so that every
demo login has something in its queue.

All texts here are written for the demo; none is copied from the shared complaint data.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from jiceng.accounts.models import Unit, User
from jiceng.cases import deadlines, services, worker
from jiceng.cases.models import Case, Category, DispatchRule, Satisfaction, Status
from jiceng.cases.workflow import MOVES
from jiceng.territory.models import Level, Region

# (code, path, dept short code or "", limit amount, unit, urgent amount, unit, grid_can_fix, extra)
WATER_EXTRA = [
    {"code": "households", "label": "影响户数", "datatype": "number", "required": True, "order": 1},
    {
        "code": "outage_kind",
        "label": "停水类型",
        "datatype": "singlevaluelist",
        "required": False,
        "order": 2,
        "values": [
            {"key": "planned", "name": "计划停水未通知"},
            {"key": "burst", "name": "爆管突发停水"},
            {"key": "low", "name": "水压不足"},
        ],
    },
]
NOISE_EXTRA = [
    {
        "code": "noise_source",
        "label": "噪音来源",
        "datatype": "multivaluelist",
        "required": True,
        "order": 1,
        "values": [
            {"key": "construction", "name": "建筑施工"},
            {"key": "shop", "name": "商铺喇叭"},
            {"key": "dance", "name": "广场舞"},
            {"key": "traffic", "name": "车辆鸣笛"},
        ],
    },
    {"code": "time_of_day", "label": "发生时段", "datatype": "string", "order": 2},
]
WAGE_EXTRA = [
    {"code": "workers", "label": "涉及人数", "datatype": "number", "required": True, "order": 1},
    {"code": "amount", "label": "拖欠金额（元）", "datatype": "number", "order": 2},
    {"code": "since", "label": "开始拖欠时间", "datatype": "datetime", "order": 3},
]

TREE = [
    ("01", "市政设施", "zjj", 7, "days", 24, "hours", False, []),
    ("0101", "市政设施/道路破损", "", 7, "days", 24, "hours", False, []),
    ("0102", "市政设施/路灯故障", "", 3, "workdays", None, "", False, []),
    ("0103", "市政设施/井盖缺失", "", 24, "hours", 2, "hours", False, []),
    ("02", "水电气暖", "zjj", 24, "hours", 2, "hours", False, []),
    ("0201", "水电气暖/停水", "", 24, "hours", 2, "hours", False, WATER_EXTRA),
    ("0202", "水电气暖/停电", "gdj", 24, "hours", 2, "hours", False, []),
    ("03", "环境卫生", "cgj", 7, "days", None, "", False, []),
    ("0301", "环境卫生/垃圾堆放", "", 2, "days", None, "", True, []),
    ("0302", "环境卫生/噪音扰民", "", 3, "workdays", None, "", False, NOISE_EXTRA),
    ("0303", "环境卫生/占道经营", "", 2, "days", None, "", True, []),
    ("04", "劳动社保", "rsj", 15, "workdays", None, "", False, []),
    ("0401", "劳动社保/拖欠工资", "", 15, "workdays", 5, "workdays", False, WAGE_EXTRA),
    ("0402", "劳动社保/低保救助", "mzj", 15, "workdays", None, "", False, []),
    ("05", "市场监管", "scjg", 7, "days", None, "", False, []),
    ("0501", "市场监管/食品安全", "", 7, "days", 24, "hours", False, []),
    ("06", "矛盾纠纷", "", 7, "days", None, "", True, []),
    ("0601", "矛盾纠纷/邻里纠纷", "", 7, "days", None, "", True, []),
    ("07", "安全隐患", "gaj", 2, "hours", 2, "hours", False, []),
    ("0701", "安全隐患/危房险情", "zjj", 2, "hours", 2, "hours", False, []),
    ("08", "农业农村", "nyj", 15, "days", None, "", False, []),
    ("0801", "农业农村/农田水利", "slj", 15, "days", None, "", False, []),
]

# Texts written for the demo: (category code, request type, title, description)
TEXTS = [
    (
        "0101",
        "complaint",
        "路面坑洞影响通行",
        "{place}主路中间有一个脸盆大的坑，下雨积水看不见，电动车已经摔了两回，请尽快修补。",
    ),
    (
        "0101",
        "complaint",
        "人行道砖松动",
        "{place}人行道砖块松动翘起，老人小孩走路容易绊倒，希望安排维修。",
    ),
    (
        "0102",
        "complaint",
        "路灯连续几晚不亮",
        "{place}通往学校的那段路灯已经一个星期不亮了，晚上放学孩子走夜路很不安全。",
    ),
    (
        "0102",
        "suggestion",
        "建议增设路灯",
        "{place}新修的便民路没有路灯，建议在转弯处加装两盏太阳能路灯。",
    ),
    (
        "0103",
        "report",
        "井盖丢失",
        "{place}菜市场门口的雨水井盖不见了，只用一根竹竿插着提醒，晚上非常危险。",
    ),
    (
        "0201",
        "complaint",
        "小区停水一整天",
        "{place}从早上七点停水到现在没有来水，也没有看到停水通知，家里有老人做饭都成问题。",
    ),
    (
        "0201",
        "help",
        "水压太小上不了楼",
        "{place}最近一个月水压很低，五楼以上基本没水，热水器都点不着。",
    ),
    (
        "0202",
        "complaint",
        "频繁停电",
        "{place}这周已经停了三次电，冰箱里的东西都坏了，请供电部门查一下线路。",
    ),
    (
        "0301",
        "complaint",
        "垃圾堆放无人清运",
        "{place}垃圾桶旁边堆了好几天的垃圾，天热发臭，苍蝇很多，请安排清运。",
    ),
    ("0301", "report", "河边倾倒建筑垃圾", "{place}河堤边有人晚上偷偷倒建筑垃圾，已经堆了一大片。"),
    (
        "0302",
        "complaint",
        "夜间施工噪音",
        "{place}工地每天晚上十一点以后还在打桩，吵得人整夜睡不着。",
    ),
    (
        "0302",
        "complaint",
        "广场舞音响太大",
        "{place}广场舞音响开得很大，一直跳到晚上十点，孩子没法写作业。",
    ),
    (
        "0303",
        "complaint",
        "占道摆摊堵路",
        "{place}早市摊贩把摊子摆到了马路中间，车辆过不去，经常堵车。",
    ),
    (
        "0401",
        "help",
        "工地拖欠工资",
        "我在{place}附近的工地干了四个月活，老板一直拖着不给工钱，一共二十多人。",
    ),
    (
        "0402",
        "enquiry",
        "低保怎么申请",
        "家里老人身体不好没有收入，想咨询{place}这边低保需要准备哪些材料。",
    ),
    ("0501", "report", "餐馆卫生差", "{place}一家小饭馆后厨很脏，吃完饭后家里两个人都拉肚子。"),
    (
        "0601",
        "help",
        "邻居占用公共通道",
        "{place}邻居在楼道里堆放杂物还养鸡，沟通多次不听，请社区协调。",
    ),
    (
        "0601",
        "help",
        "宅基地边界纠纷",
        "{place}两户人家因为宅基地边界起了争执，差点动手，请村里出面调解。",
    ),
    (
        "0701",
        "report",
        "老房墙体开裂",
        "{place}一栋老土房墙体出现大裂缝，里面还住着一位独居老人，下雨天很危险。",
    ),
    ("0801", "help", "灌溉渠堵塞", "{place}的灌溉水渠被泥沙堵住了，下游几十亩稻田放不进水。"),
    ("0501", "enquiry", "食品经营许可咨询", "想在{place}开一家早餐店，咨询需要办理哪些证照。"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["秀英", "建国", "桂兰", "志强", "海燕", "明", "丽", "军", "芳", "伟", "小红", "德胜"]
RESULTS = [
    "已安排人员到现场处置完毕，并拍照留存。",
    "经现场核实情况属实，已协调相关单位整改到位。",
    "已与诉求人电话沟通，说明了处理情况，诉求人表示认可。",
    "已修复完成，后续将加强日常巡查。",
]


def _centroid(boundary) -> tuple[float, float] | None:
    try:
        from shapely.geometry import shape

        p = shape(boundary).representative_point()
        return p.x, p.y
    except Exception:
        return None


def build(ctx) -> None:
    t0 = time.perf_counter()
    _admin_cache.clear()
    rng = ctx.child_rng("cases")
    # `jiceng demo --reset` flushes every table, the seeded calendar too
    from jiceng.cases.calendar_seed import seed
    from jiceng.cases.models import CalendarDay, CalendarYear

    seed(CalendarYear, CalendarDay)
    deadlines.invalidate()
    county = Region.objects.get(code=ctx.county_code)
    units = {u.code: u for u in Unit.objects.filter(code__startswith=county.code)}

    def dept(short):
        return units.get(f"{county.code}-{short}") if short else None

    # 1. categories
    made: dict[str, Category] = {}
    for code, path, short, amt, unit, uamt, uunit, fix, fields in TREE:
        parent = made.get(code[:-2]) if len(code) > 2 else None
        made[code] = Category.objects.create(
            code=code,
            name=path.split("/")[-1],
            path=path,
            parent=parent,
            depth=len(code) // 2,
            handling_unit=dept(short),
            limit_amount=amt,
            limit_unit=unit,
            urgent_limit_amount=uamt,
            urgent_limit_unit=uunit,
            grid_can_fix=fix,
            extra_fields=fields,
            order=int(code),
        )
    # 2. dispatch rules: a department per matter; lights with the power company as helper
    for code, short in [("01", "zjj"), ("03", "cgj"), ("04", "rsj"), ("05", "scjg"), ("08", "nyj")]:
        if dept(short):
            DispatchRule.objects.create(category=made[code], lead_unit=dept(short))
    if dept("zjj") and dept("gdj"):
        r = DispatchRule.objects.create(
            category=made["0102"], lead_unit=dept("zjj"), note="路灯：住建主办，供电协办"
        )
        r.helper_units.add(dept("gdj"))
    ctx.say(f"  诉求分类 {len(made)} 个，派单规则 {DispatchRule.objects.count()} 条")

    # 3. places: the deepest grids (with a point inside each) or villages
    grids = list(
        Region.objects.filter(code__under=county.code, level=Level.GRID)
        .order_by("-grid_level", "code")
        .values("code", "name", "boundary", "grid_level")
    )
    if grids:
        deepest = grids[0]["grid_level"]
        grids = [g for g in grids if g["grid_level"] == deepest]
    places = [
        (g["code"], g["name"], _centroid(g["boundary"]) if g["boundary"] else None) for g in grids
    ]
    if not places:
        places = [
            (v.code, v.name, None)
            for v in Region.objects.filter(code__under=county.code, level=Level.VILLAGE)
        ]
    users = {u.username: u for u in User.objects.filter(username__in=ctx_usernames())}
    street_user = users.get("street")
    home = street_user.scope_code if street_user and street_user.scope_code else county.code
    home_places = [p for p in places if p[0].startswith(home)] or places
    grid_user = users.get("grid")
    grid_places = [
        p
        for p in places
        if grid_user and grid_user.scope_code and p[0].startswith(grid_user.scope_code)
    ] or home_places[:1]
    district = users.get("district")

    n_cases = max(40, int(300 * ctx.scale))
    now = timezone.now()
    # the local day so far (Asia/Shanghai): the wall's "new today" counts from here
    day_start = now.astimezone(deadlines.tz()).replace(hour=0, minute=0, second=0, microsecond=0)
    counts: dict[str, int] = {}
    for i in range(n_cases):
        cat_code, rtype, title, text = rng.choice(TEXTS)
        local = i % 5 != 0  # most cases in the demo street, so its queues are full
        code, pname, pt = rng.choice(home_places if local else places)
        if i % 23 == 0 and grid_places:
            code, pname, pt = rng.choice(grid_places)
        target = _target_state(rng)
        cat = made[cat_code]
        urgency = 2 if rng.random() < 0.08 else 1
        # Open cases are placed within their own time limit so that the wall looks like a
        # county's: most in time, ~10% yellow, a few percent red. Closed ones spread over weeks.
        # (a duplicate to merge is recent, and stays open when it finds nothing to merge into)
        still_open = target not in ("closed", "visited", "archived", "cancelled")
        amount, lunit = deadlines.limit_for(cat, urgency)
        if still_open:
            p = _progress(rng)
            at = _start_for_progress(now, amount, lunit, p)
            if target in NEW_TARGETS and p < deadlines.YELLOW_SHARE and at < day_start:
                # a new case in time arrived today, whatever the hour the demo is built at
                # (just after midnight "today" is minutes long); later is still in time, and
                # no draw from rng here, so the cards do not depend on the hour
                at = now - (now - day_start) * ((i * 0.618034) % 1.0)
        else:
            at = now - timedelta(hours=rng.uniform(1, 24 * 25))
        # moves follow each other at a pace fitting the limit (a 2-hour matter is not
        # left 10 hours between dispatch and acceptance)
        span_min = (deadlines.compute(at, amount, lunit).deadline - at).total_seconds() / 60
        pace = (max(5.0, 0.02 * span_min), min(600.0, max(10.0, 0.15 * span_min)))
        extra = _extra_for(cat, rng)
        channel = rng.choice(["hotline", "hotline", "hotline", "web", "app", "wechat", "grid"])
        if channel == "grid":  # the demo grid worker reports from their own grid
            code, pname, pt = rng.choice(grid_places)
        if pt is not None:
            lon, lat = pt[0] + rng.uniform(-1e-4, 1e-4), pt[1] + rng.uniform(-1e-4, 1e-4)
        else:
            lon = lat = None
        taker = None
        if channel == "hotline":
            taker = district if not local else street_user
        elif channel == "grid":
            taker = grid_user
        reporter_name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        case = services.intake(
            channel=channel if taker is not None or channel not in ("hotline", "grid") else "web",
            request_type=rtype,
            category=cat,
            title=title,
            description=text.format(place=pname.replace("网格", "")),
            lon=lon,
            lat=lat,
            region_code=code,
            reporter_name=reporter_name,
            reporter_phone=f"139{rng.randrange(10**8):08d}",
            user=taker,
            extra=extra,
            urgency=urgency,
            now=at,
        )
        final = _drive(case, target, at, now, rng, users, pace)
        counts[final] = counts.get(final, 0) + 1

    _resident_cases(made, home_places, users, now)
    _whistles(users, units, county.code, now)
    # cards for what is already late (no notifications sent during the build)
    stats = worker.run_pass(send=False)
    states = "，".join(f"{Status(k).label} {v}" for k, v in sorted(counts.items()))
    ctx.say(
        f"  诉求 {Case.objects.count()} 件（{states}）；黄牌 {stats['yellow']}，红牌 {stats['red']}"
        f"，用时 {time.perf_counter() - t0:.1f} 秒"
    )


def ctx_usernames():
    return ["district", "street", "community", "grid", "dept", "resident"]


def _extra_for(cat: Category, rng) -> dict:
    out: dict = {}
    for f in cat.extra_fields:
        if f["datatype"] == "number":
            out[f["code"]] = rng.randint(2, 60)
        elif f["datatype"] == "singlevaluelist":
            out[f["code"]] = rng.choice(f["values"])["key"]
        elif f["datatype"] == "multivaluelist":
            out[f["code"]] = [v["key"] for v in rng.sample(f["values"], 2)]
        elif f["datatype"] == "datetime":
            out[f["code"]] = "2026-06-01T00:00"
        else:
            out[f["code"]] = "晚上"
    return out


STATES = [
    ("reported", 8),
    ("registered", 8),
    ("dispatched", 10),
    ("returned", 3),
    ("handling", 20),
    ("pause_requested", 2),
    ("paused", 2),
    ("handled", 8),
    ("closed", 17),
    ("visited", 14),
    ("archived", 4),
    ("merged", 2),
    ("cancelled", 2),
]


# targets that leave a case waiting for its first move: the wall's "new today"
NEW_TARGETS = ("reported", "registered")


def _target_state(rng) -> str:
    total = sum(w for _, w in STATES)
    x = rng.uniform(0, total)
    for s, w in STATES:
        x -= w
        if x <= 0:
            return s
    return "handling"


# Share of open (watched) cases by card on the demo wall: (red, yellow); the rest in time.
CARD_SHARE = (0.04, 0.11)


def _progress(rng) -> float:
    """How much of its time limit an open case has used: > 1 red, past the yellow share
    yellow, else in time."""
    x = rng.random()
    if x < CARD_SHARE[0]:
        return rng.uniform(1.03, 1.6)
    if x < CARD_SHARE[0] + CARD_SHARE[1]:
        return rng.uniform(deadlines.YELLOW_SHARE + 0.02, 0.97)
    return rng.uniform(0.02, deadlines.YELLOW_SHARE - 0.05)


def _start_for_progress(now, amount: float, unit: str, p: float):
    """The intake time at which a case of this limit has used share `p` of it by `now`
    (bisection: the limit may count working hours and skip weekends and holidays)."""
    span = (deadlines.compute(now, amount, unit).deadline - now).total_seconds()
    lo, hi = 0.0, span * (p + 1) + 5 * 86400
    for _ in range(24):
        age = (lo + hi) / 2
        at = now - timedelta(seconds=age)
        used = age / max(1.0, (deadlines.compute(at, amount, unit).deadline - at).total_seconds())
        if used < p:
            lo = age
        else:
            hi = age
    # A working-time limit jumps at evenings and weekends: keep the side of the jump that
    # has the wanted card (below p when in time or yellow, past it when red).
    return now - timedelta(seconds=lo if p < 1 else hi)


def _drive(case: Case, target: str, at, now, rng, users, pace=(10.0, 600.0)) -> str:
    """Move a fresh case towards `target` through the services, with plausible times."""
    t = at

    def step(move, user=None, **kw):
        nonlocal case, t
        t = min(t + timedelta(minutes=rng.uniform(*pace)), now)
        kw.setdefault("now", t)
        case = services.transition(case, move, user=user or _who(move, case, users), **kw)
        return case

    if case.tier == 1:  # a grid worker's own report: close on the spot or escalate
        grid = users.get("grid")
        if target in ("reported", "registered", "dispatched"):
            return case.status  # still in the grid worker's hands
        if (
            case.category
            and any(c.grid_can_fix for c in case.category.lineage())
            and rng.random() < 0.7
        ):
            step("close_on_spot", grid, reason=rng.choice(RESULTS))
            return _after_close(case, target, step, rng)
        step("escalate", grid, reason="超出网格处置能力，需社区协调")
        if target in ("reported", "registered"):
            return case.status
    if target == "reported":
        return case.status
    if case.status == Status.REPORTED:
        if target == "cancelled":
            step("cancel", reason="经电话核实为重复来电，诉求已在其他工单办理")
            return case.status
        step("register")
    if target == "registered":
        return case.status
    if target == "cancelled":
        step("cancel", reason="经核实不属于政务服务范围")
        return case.status
    if target == "merged":
        other = (
            Case.objects.filter(
                status__in=["registered", "handling"],
                category=case.category,
                region_code__startswith=case.region_code[:9],
            )
            .exclude(pk=case.pk)
            .first()
        )
        if other is not None:
            step("merge", reason="同一地点同一问题，合并办理", into=other.number)
            return case.status
    step("dispatch")
    if target == "dispatched" or case.unit is None:
        return case.status
    if target == "returned":
        step("return", reason="该事项不属于本单位职责范围，请重新研判")
        return case.status
    step("accept")
    if rng.random() < 0.3:
        step("handle", reason="已安排人员现场查看，正在协调处理", public=True)
    if target == "handling":
        return case.status
    if target in ("pause_requested", "paused"):
        step("request_pause", reason="需等待汛期结束后施工", days=rng.choice([5, 10]))
        if target == "paused":
            step("approve_pause")
        return case.status
    step("report_handling", reason=rng.choice(RESULTS))
    if target == "handled":
        return case.status
    if rng.random() < 0.1:
        step("rework", reason="现场核查发现仍未整改到位")
        step("report_handling", reason="已返工整改完毕")
    step("verify_close")
    return _after_close(case, target, step, rng)


def _after_close(case, target, step, rng) -> str:
    if target in ("visited", "archived"):
        sat = rng.choices(
            [Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.UNSATISFIED], [70, 20, 10]
        )[0]
        case = step("return_visit", satisfaction=sat, resolved=sat != Satisfaction.UNSATISFIED)
        if case.status == Status.HANDLING:  # reopened by the visit: reworked and closed again
            step("report_handling", reason="已按回访意见重新处理到位")
            case = step("verify_close")
        if target == "archived" and case.status == Status.CLOSED:
            case = step("archive")
    return case.status


def _who(move: str, case: Case, users) -> User:
    """A demo login who may make this move (so timelines show real names), else the admin."""
    need = MOVES[move].actors
    for name in ("street", "dept", "community", "district"):
        u = users.get(name)
        if u is not None and need & services.actor_kinds(u, case, need):
            return u
    return _admin()


_admin_cache: dict[str, User] = {}


def _admin() -> User:
    """The demo's superuser stands in for the many staff who are not demo logins."""
    if "u" not in _admin_cache:
        u = User.objects.filter(is_superuser=True).order_by("id").first()
        if u is None:
            u = User.objects.create(username="cases-demo-bot", is_superuser=True, full_name="系统")
        _admin_cache["u"] = u
    return _admin_cache["u"]


def _resident_cases(made, places, users, now) -> None:
    """The demo resident has one case in progress and one closed, waiting for a rating."""
    resident = users.get("resident")
    street = users.get("street")
    if resident is None or street is None:
        return
    code, pname, pt = places[0]
    lon, lat = pt if pt else (None, None)
    a = services.intake(
        channel="app",
        request_type="complaint",
        category=made["0102"],
        description=f"{pname}楼下的路灯坏了半个月了，晚上出门要打手电。",
        lon=lon,
        lat=lat,
        region_code=code,
        user=resident,
        now=now - timedelta(days=2),
    )
    services.transition(a, "register", user=street, now=now - timedelta(days=2))
    b = services.intake(
        channel="app",
        request_type="complaint",
        category=made["0301"],
        description=f"{pname}垃圾收集点好几天没人清运了，味道很大。",
        lon=lon,
        lat=lat,
        region_code=code,
        user=resident,
        now=now - timedelta(days=4),
    )
    for move, kw in [
        ("register", {}),
        ("dispatch", {}),
        ("accept", {}),
        ("report_handling", {"reason": "已安排环卫车辆清运，并增加清运频次"}),
        ("verify_close", {}),
    ]:
        b = services.transition(b, move, user=_admin(), now=now - timedelta(days=3), **kw)


def _whistles(users, units, county_code, now) -> None:
    """吹哨报到: the demo street summons departments to three hard cases; one reports in."""
    street, dept = users.get("street"), users.get("dept")
    if street is None or not street.scope_code:
        return
    called = [units.get(f"{county_code}-{s}") for s in ("zjj", "cgj", "gaj")]
    called = [u for u in called if u is not None]
    if not called:
        return
    hard = (
        Case.objects.filter(
            status__in=[Status.REGISTERED, Status.HANDLING],
            region_code__startswith=street.scope_code,
            category__code__startswith="07",
        ).order_by("created_at")[:2]
        or Case.objects.filter(
            status=Status.HANDLING, region_code__startswith=street.scope_code
        ).order_by("created_at")[:2]
    )
    for i, case in enumerate(hard):
        services.transition(
            case,
            "whistle",
            user=street,
            reason="危房险情涉及多个部门，请各部门到场联合处置",
            units=[u.code for u in called],
            limit_hours=24,
            now=now - timedelta(hours=3),
        )
        if i == 0 and dept is not None:
            services.transition(
                case,
                "report_in",
                user=dept,
                reason="住建局安全鉴定人员已到场",
                now=now - timedelta(hours=2),
            )
            services.transition(
                case,
                "rate_report_in",
                user=street,
                unit=dept.unit.code,
                rating=5,
                reason="响应迅速",
                now=now - timedelta(hours=1),
            )
