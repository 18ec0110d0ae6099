"""Demo county, service hall part: 汉阴's catalogue, window clerks at village, town and
county, proxy agents (松阳 1+N) in the first town's villages, applications in every state
over the last four weeks, ratings with one open rectification, bookings, agent reviews and
a 跑一次没办成 record. Everything goes through the same functions as the pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from jiceng.accounts import scope
from jiceng.accounts.models import Role, User
from jiceng.servicehall import applications as apps
from jiceng.servicehall import catalogue, proxy, ratings
from jiceng.servicehall.demo_items import guides
from jiceng.servicehall.models import MaterialState, ProxyAgent, ProxyKind, ServiceItem, VainVisit
from jiceng.servicehall.schemas import (
    AgentReviewIn,
    ApplicationIn,
    MaterialCheck,
    MoveIn,
    ProxyRequestIn,
)
from jiceng.territory.models import Level, Region

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "秀兰",
    "德福",
    "春梅",
    "建国",
    "桂英",
    "志强",
    "玉珍",
    "明华",
    "淑芬",
    "长顺",
    "兰芳",
    "有才",
]
AGENT_NAMES = ["任春河", "沈小燕", "欧阳军", "罗秀芝", "潘文斌", "冯丽"]
# the state each demo application is moved to, in turn (every state shows in the demo)
# ("town_queue": waiting at the town's window, where the demo clerk works)
TARGETS = ["approved", "delivered", "in_review", "accepted", "awaiting", "approved", "suspended",
           "refused", "town_queue", "delivered", "in_review", "approved", "withdrawn",
           "town_queue"]  # fmt: skip
OPEN_TARGETS = ("accepted", "in_review", "awaiting", "town_queue")
REASONS_BAD = ["窗口说材料不全，又让我回去开证明", "等了一个多小时，没人解释"]


def _at_work(dt: datetime) -> datetime:
    """Move a time onto a weekday at 9:00–16:00 so demo intakes look like office hours."""
    local = timezone.localtime(dt)
    while local.weekday() >= 5:
        local -= timedelta(days=1)
    hour = 9 + (local.minute % 7)
    return local.replace(hour=hour, minute=local.minute % 60, second=0, microsecond=0)


def build(ctx) -> None:
    rng = ctx.child_rng("servicehall")
    for g in guides():
        catalogue.publish(g)
    county = Region.objects.get(code=ctx.county_code)
    town = county.children.order_by("code").first()
    if town is None:
        return
    villages = list(
        Region.objects.filter(level=Level.VILLAGE, code__under=town.code).order_by("code")[:6]
    )
    if not villages:
        return

    def user(username: str, role: str, scope: Region, name: str, phone: str = "") -> User:
        u = User(username=username, role=role, scope=scope, full_name=name, phone=phone)
        u.set_password(ctx.password)
        u.save()
        return u

    vclerk = user("vclerk", Role.WINDOW_CLERK, villages[0], f"{villages[0].name}便民服务站 周敏")
    clerk = user("clerk", Role.WINDOW_CLERK, town, f"{town.name}便民服务中心 刘芳")
    cclerk = user("cclerk", Role.WINDOW_CLERK, county, f"{county.name}政务服务中心 何静")
    agents = []
    for i, v in enumerate(villages):
        name = AGENT_NAMES[i % len(AGENT_NAMES)]
        u = user("agent" if i == 0 else f"agent{i + 1}", Role.PROXY_AGENT, v, f"代办员 {name}",
                 phone=f"1399150{1000 + i:04d}")  # fmt: skip
        kind = [ProxyKind.STATION, ProxyKind.CADRE, ProxyKind.GRID, ProxyKind.SECRETARY][i % 4]
        agents.append(ProxyAgent.objects.create(user=u, region=v, region_code=v.code, kind=kind))
    ctx.say(
        f"  便民服务：事项 {ServiceItem.objects.count()} 项；窗口 vclerk（{villages[0].name}）、"
        f"clerk（{town.name}）、cclerk（{county.name}）；代办员 agent 等 {len(agents)} 名"
    )

    now = timezone.now()
    village_items = [c for c, *_r in _codes() if "village" in _accept(c)]
    town_items = [c for c, *_r in _codes() if "town" in _accept(c)]
    n = max(24, int(60 * ctx.scale))
    made = 0
    for k in range(n):
        target = TARGETS[k % len(TARGETS)]
        v = villages[k % len(villages)]
        by_agent = k % 4 == 3
        if by_agent:  # each agent in turn, for their own village (the first one first)
            ag = agents[(k // 4) % len(agents)]
            v = next(x for x in villages if x.code == ag.region_code)
            who, code = ag.user, rng.choice(village_items + town_items[:3])
        elif v == villages[0]:
            who, code = vclerk, rng.choice(village_items)
        else:
            who, code = clerk, rng.choice(town_items)
        # open applications are recent, some past their promised limit (the desk shows
        # yellow and red cards); finished ones older
        back = rng.randint(0, 8) if target in OPEN_TARGETS else rng.randint(5, 26)
        start = _at_work(now - timedelta(days=back, minutes=rng.randint(0, 59)))
        if start > now:
            start = now - timedelta(hours=1)
        item = ServiceItem.objects.get(code=code)
        assert item.current is not None
        mats = list(item.current.materials.all())
        states: dict[int, str] = {m.id: MaterialState.PROVIDED for m in mats}
        if target == "awaiting" or (k % 9 == 1):  # came without two materials: one notice
            for m in [m for m in mats if m.required][:2]:
                states[m.id] = MaterialState.MISSING
        elif item.current.allows_pending and k % 3 == 0:
            pend = [m for m in mats if m.pendable]
            if pend:
                states[pend[0].id] = MaterialState.PENDING
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        id_number = ""
        # 免证办: a resident on file in the village gives the ID card and household register
        # by reference (the people demo's residents), half of the time
        from_file = [m for m in mats if m.on_file_kind in ("resident_id", "household")]
        if from_file and rng.random() < 0.5:
            person = _resident_in(v.code, rng)
            if person is not None:
                name, id_number = person
                for m in from_file:
                    if states[m.id] == MaterialState.PROVIDED:
                        states[m.id] = MaterialState.ON_FILE
        try:
            app = apps.intake(
                who,
                ApplicationIn(
                    item_code=code, applicant_name=name,
                    applicant_phone=f"139{rng.randint(10000000, 99999999)}",
                    applicant_id_last4=f"{rng.randint(0, 9999):04d}", region_code=v.code,
                    channel="home" if by_agent and k % 8 == 3 else "window",
                    delivery="proxy" if by_agent else "collect",
                    materials=[MaterialCheck(material_id=i, state=s) for i, s in states.items()],  # type: ignore[arg-type]
                    applicant_id_number=id_number,
                ),
                now=start,
            )  # fmt: skip
        except apps.Refused:
            continue
        made += 1
        _advance(app, rng, target, start, now, vclerk, clerk, cclerk, agents)
    # bookings for the first agent, reviews for the quarter, one 跑一次没办成
    for k in range(3):
        proxy.request(
            ProxyRequestIn.model_validate({
                "kind": ["home", "appointment", "online"][k], "item_code": village_items[k],
                "resident_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "resident_phone": f"137{rng.randint(10000000, 99999999)}",
                "region_code": villages[0].code, "address": f"{villages[0].name}{k + 2}组",
                "note": "老人腿脚不便" if k == 0 else "",
            }),
            now=now,
        )  # fmt: skip
    street = User.objects.filter(username="street").first()
    quarter = proxy.quarter_of(now)
    for a in agents if street is not None and scope.can(street, "servicehall.agents") else []:
        for _ in range(3):
            try:
                proxy.review(street, a.pk, AgentReviewIn(quarter=quarter, reviewer="村民代表", comment="",
                                                          score=rng.choice([5, 5, 4, 4, 3])),
                             now=now)  # fmt: skip
            except apps.Refused:  # the demo street user covers another town
                break
    from jiceng.servicehall import whereabouts

    whereabouts.set_status(clerk, "on_duty", now=now - timedelta(hours=1))
    whereabouts.set_status(vclerk, "on_duty", now=now - timedelta(hours=1))
    whereabouts.set_status(agents[0].user, "out", f"上门为{villages[0].name}老人代办",
                           until=now + timedelta(hours=2), now=now - timedelta(minutes=30))  # fmt: skip
    if len(agents) > 1:
        whereabouts.set_status(agents[1].user, "leave", "病假", now=now - timedelta(hours=3))
    VainVisit.objects.create(
        resident_name="黄桂英", resident_phone="13991502233", region=villages[0],
        region_code=villages[0].code, item=ServiceItem.objects.get(code="YB-002"),
        what_happened="带来的票据是复印件，窗口要原件，第一次没办成", recorded_by=clerk,
        at=now - timedelta(days=1),
    )  # fmt: skip
    ctx.say(f"  便民服务：办件 {made} 件（各种状态），代办预约 3 件，好差评与整改")


def _codes():
    from jiceng.servicehall.demo_items import ITEMS

    return ITEMS


def _accept(code: str) -> list[str]:
    for row in _codes():
        if row[0] == code:
            return list(row[6])
    return []


def _advance(app, rng, target, start, now, vclerk, clerk, cclerk, agents) -> None:
    """Move a fresh application along its flow towards `target`, then maybe rate it."""
    t = start

    def step(actor, move: str, reason: str = "", ids=()) -> None:
        nonlocal t
        t += timedelta(hours=rng.randint(2, 20))
        t = min(t, now - timedelta(minutes=5))
        data = MoveIn.model_validate({"move": move, "reason": reason, "material_ids": list(ids)})
        apps.move(actor, app.number, data, now=t)
        app.refresh_from_db()

    if app.status == "awaiting":
        if target == "awaiting":
            return  # still waiting for the materials listed in the notice
        ids = app.materials.filter(state="missing").values_list("material_id", flat=True)
        step(_actor(app, vclerk, clerk, cclerk, agents), "supplement", ids=list(ids))
    if target == "withdrawn":
        step(_actor(app, vclerk, clerk, cclerk, agents), "withdraw", "申请人决定暂不办理")
        return
    flow = app.version.flow
    while app.status in ("accepted", "in_review"):
        last = app.step >= len(flow) - 1
        if target == "accepted":
            return
        if target == "in_review" and app.status == "in_review":
            return
        if target == "town_queue" and app.current_level == Level.STREET:
            return
        if target == "suspended" and app.version.may_suspend:
            step(_actor(app, vclerk, clerk, cclerk, agents, holding=True), "suspend",
                 "等待入户核查家庭情况")  # fmt: skip
            return
        if app.pending_until:
            ids = app.materials.filter(state="pending").values_list("material_id", flat=True)
            step(_actor(app, vclerk, clerk, cclerk, agents), "supplement", ids=list(ids))
            continue
        actor = _actor(app, vclerk, clerk, cclerk, agents, holding=True)
        if not last:
            step(actor, "pass", "材料齐全，同意上报")
        elif target == "refused":
            step(actor, "refuse", "经核查家庭收入超过保障标准")
        else:
            step(actor, "approve", "符合条件，同意")
    if app.status == "approved" and target == "delivered":
        step(_actor(app, vclerk, clerk, cclerk, agents), "deliver")
    if app.status in ratings.RATEABLE and rng.random() < 0.85:
        t = min(t + timedelta(hours=6), now - timedelta(minutes=1))
        score = rng.choice([5, 5, 5, 4, 4, 3, 2])
        r = ratings.rate(app.number, app.applicant_phone, score,
                         rng.choice(REASONS_BAD) if score <= 2 else "", now=t)  # fmt: skip
        if r.bad and rng.random() < 0.5:
            ratings.rectify(clerk, r.rectification.pk, "已约谈窗口人员，推行一次性告知书，并电话致歉",
                            now=min(t + timedelta(days=1), now))  # fmt: skip


def _actor(app, vclerk, clerk, cclerk, agents, holding: bool = False):
    """Who acts: the holding level's clerk, or at the accepting level whoever took it."""
    level = app.current_level if holding else app.accepted_level
    if level == Level.COUNTY:
        return cclerk
    if level == Level.STREET:
        return clerk
    if app.agent_id:
        return app.agent.user
    if vclerk.scope.code == app.region_code:
        return vclerk
    ag = next((a for a in agents if a.region_code == app.region_code), None)
    return ag.user if ag and not holding else clerk


def _resident_in(village_code: str, rng) -> tuple[str, str] | None:
    """(name, ID number) of a resident with a household in the village, if the people
    demo made any (its residents are fictitious)."""
    from jiceng.people.models import Resident

    rows = list(
        Resident.objects.filter(grid_code__under=village_code, household__isnull=False,
                                id_type=Resident.IdType.ID_CARD)
        .order_by("id").values_list("name", "id_number")[:50]
    )  # fmt: skip
    return rng.choice(rows) if rows else None
