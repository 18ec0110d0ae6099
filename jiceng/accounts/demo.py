"""Demo county, part 2: handling units and one login per role."""

from __future__ import annotations

from jiceng.accounts.models import Role, Unit, UnitKind, User
from jiceng.territory.models import GridStaff, Level, Region

# Printed by `jiceng demo` in this order; the password is the demo password.
DEMO_USERS = [
    "district",
    "hotline",
    "street",
    "community",
    "grid",
    "dept",
    "resident",
    "auditor",
    "admin",
]
# What the login list says instead of the role's name, where the role alone misleads: the
# 12345 operator has the street dispatcher's role, over the whole county (decision 0101).
DEMO_TITLES = {"hotline": "12345话务员"}

DEPARTMENTS = [
    ("zjj", "县住房和城乡建设局"),
    ("slj", "县水利局"),
    ("jtj", "县交通运输局"),
    ("sthj", "市生态环境局汉阴分局"),
    ("scjg", "县市场监督管理局"),
    ("jtj2", "县教育体育和科技局"),
    ("wjj", "县卫生健康局"),
    ("rsj", "县人力资源和社会保障局"),
    ("mzj", "县民政局"),
    ("gaj", "县公安局"),
    ("cgj", "县城市管理执法局"),
    ("nyj", "县农业农村局"),
    ("zrzy", "县自然资源局"),
    ("gdj", "国网汉阴县供电分公司"),
]


def build(ctx) -> None:
    county = Region.objects.get(code=ctx.county_code)
    towns = list(county.children.order_by("code"))
    villages = list(
        Region.objects.filter(level=Level.VILLAGE, code__under=county.code).order_by("code")
    )

    units = [
        Unit(
            code=county.code,
            name=f"{county.name}综治中心（12345）",
            kind=UnitKind.DISTRICT,
            region=county,
        )
    ]
    units += [
        Unit(code=t.code, name=f"{t.name}综治中心", kind=UnitKind.STREET, region=t) for t in towns
    ]
    units += [
        Unit(
            code=v.code,
            name=f"{v.name}{'居委会' if v.kind == 'community' else '村委会'}",
            kind=UnitKind.COMMUNITY,
            region=v,
        )
        for v in villages
    ]
    units += [
        Unit(
            code=f"{county.code}-{short}",
            name=name.replace("县", county.name, 1) if name.startswith("县") else name,
            kind=UnitKind.DEPARTMENT,
            region=county,
        )
        for short, name in DEPARTMENTS
    ]
    Unit.objects.bulk_create(units, batch_size=500)
    ctx.say(f"  处置单位 {len(units)} 个（其中职能部门 {len(DEPARTMENTS)} 个）")

    town = towns[0]
    village = next(v for v in villages if v.code.startswith(town.code))
    grid = (
        Region.objects.filter(level=Level.GRID, grid_level=3, code__under=village.code)
        .order_by("code")
        .first()
        or village
    )

    def user(username, role, scope, unit=None, full_name="", **extra):
        u = User(username=username, role=role, scope=scope, unit=unit, full_name=full_name, **extra)
        u.set_password(ctx.password)
        u.save()
        return u

    user(
        "district",
        Role.DISTRICT_ADMIN,
        county,
        Unit.objects.get(code=county.code),
        "县综治中心 王主任",
    )
    # The 12345 hotline operator (话务员) of the county centre: takes calls on the hotline form
    # for any place of the county, looks up a caller's earlier cases, dispatches what the
    # centre sends on (派单) — a street dispatcher's role over the county, at the county
    # centre's unit; never the district administrator's territory, rules, metrics,
    # calendar or keys (decision 0101).
    user(
        "hotline",
        Role.STREET_DISPATCHER,
        county,
        Unit.objects.get(code=county.code),
        "12345热线话务员 周婷",
    )
    user(
        "street",
        Role.STREET_DISPATCHER,
        town,
        Unit.objects.get(code=town.code),
        f"{town.name}调度员 李娟",
    )
    user(
        "community",
        Role.COMMUNITY_STAFF,
        village,
        Unit.objects.get(code=village.code),
        f"{village.name} 张书记",
    )
    grid_user = user("grid", Role.GRID_WORKER, grid, None, "网格员 陈晓梅", phone="13991500001")
    user(
        "dept",
        Role.DEPARTMENT_HANDLER,
        county,
        Unit.objects.get(code=f"{county.code}-zjj"),
        "住建局 刘工",
    )
    user("resident", Role.RESIDENT, None, None, "居民 赵大爷", phone="13991500099")
    user("auditor", Role.AUDITOR, county, None, "审计员 孙明")
    user("admin", Role.DISTRICT_ADMIN, county, None, "系统管理员", is_staff=True, is_superuser=True)
    # The demo grid worker is the grid's own 网格员 on its contact card.
    post = GridStaff.objects.filter(grid=grid, role="grid_worker").order_by("id").first()
    if post is not None:
        post.user = grid_user
        post.name = "陈晓梅"
        post.phone = grid_user.phone
        post.save(update_fields=["user", "name", "phone"])
    ctx.say(f"  演示账号 {len(DEMO_USERS)} 个")
