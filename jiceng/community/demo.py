"""Demo county, community part: the first town's villages get their boards (三务公开 with a
finance table and a correction), a policy sent to villages and a company, residents'
messages (answered, on the 回音墙, open, overdue, one turned into a case), committees and
mediators, disputes in every state, and a deliberation with its follow-up tasks.

Everything goes through the app's own functions (the same rules as the pages)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from jiceng.accounts.models import Role, User
from jiceng.community import board, inbox, mediation
from jiceng.community.board import Row
from jiceng.community.mediation import PartyIn
from jiceng.community.models import Committee, Mediator, Membership, VillageSettings
from jiceng.lib import idcard
from jiceng.territory.models import Level, Region

RESIDENTS = [
    ("cunmin_chen", "陈秀英", "13991500101"),
    ("cunmin_liu", "刘建华", "13991500102"),
    ("cunmin_zhang", "张桂兰", "13991500103"),
    ("cunmin_wang", "王明", "13991500104"),
]

FINANCE = [
    ("income", "集体土地租金（茶园流转）", "48600.00"),
    ("income", "上级转移支付（村级组织运转经费）", "60000.00"),
    ("income", "光伏扶贫电站收益", "21350.40"),
    ("income", "村集体经济合作社分红", "15000.00"),
    ("spending", "村干部基本报酬", "54000.00"),
    ("spending", "办公及水电费", "6820.50"),
    ("spending", "三组通组路维修", "23800.00"),
    ("spending", "公益性岗位补贴（保洁员 4 人）", "14400.00"),
    ("spending", "森林防火物资", "3260.00"),
    ("assets", "村委会办公楼", "386000.00"),
    ("assets", "光伏扶贫电站（60 千瓦）", "420000.00"),
    ("assets", "银行存款", "152680.35"),
]

MESSAGES = [
    # (author index, body, consent, days ago, reply or None, replied after days)
    (
        0,
        "三组通往河边的路灯坏了两个多月，晚上接孩子放学很不方便，麻烦村上看看。",
        True,
        20,
        "已联系镇供电所，三组 4 盏路灯于 11 月 12 日全部修复，今后路灯故障可直接拨打村委会电话。",
        2,
    ),
    (
        1,
        "村口垃圾桶太少，周末收垃圾不及时，天热有味道。",
        True,
        16,
        "已新增分类垃圾桶 6 个，保洁员周六周日各加一次清运。",
        3,
    ),
    (
        2,
        "想问一下明年城乡居民医保什么时候缴费？多少钱？",
        True,
        12,
        "2027 年度城乡居民医保缴费期为 9 月至 12 月，个人缴费标准以县医保局公布为准，可在村便民服务站代缴。",
        1,
    ),
    (
        3,
        "我家低保复核的结果什么时候出来？",
        False,
        9,
        "您家的复核材料已于上周报镇民政办，预计本月底公示，届时网格员会上门告知。",
        2,
    ),
    (0, "建议在村广场装几个健身器材，老人孩子都能用。", True, 3, None, 0),
    (1, "二组有户人家在河道边倒建筑垃圾，影响排洪，希望尽快处理。", False, 11, None, 0),
]

DISPUTES = [
    # (kind, place, amount, summary, applicant, respondent, outcome)
    (
        "neighbour",
        "一组张家院坝",
        "2000",
        "两户因屋檐滴水和排水沟走向发生争执，一方要求赔偿被冲毁的菜地。",
        "张德全",
        "李春花",
        "agreed",
    ),
    (
        "land",
        "三组后山茶园",
        "8500",
        "茶园承包地界不清，双方各自主张多出的约半亩茶地归己。",
        "王永贵",
        "王永福",
        "agreed",
    ),
    (
        "family",
        "二组",
        "",
        "赡养纠纷：三个子女对母亲的赡养费分担和轮流照料有分歧。",
        "陈兰英",
        "陈国强",
        "agreed",
    ),
    (
        "damages",
        "村道与县道交叉口",
        "12600",
        "农用三轮车与摩托车相撞，双方对责任划分和医疗费赔偿有争议。",
        "刘志刚",
        "周大海",
        "agreed",
    ),
    (
        "wages",
        "村茶叶加工厂",
        "9600",
        "季节工 4 人被拖欠 2 个月工资，与加工厂负责人协商未果。",
        "何秀珍",
        "汉阴县某茶叶加工厂",
        "agreed",
    ),
    (
        "neighbour",
        "四组",
        "",
        "邻居家养狗夜间吠叫、散养鸡鸭进入菜地，多次口角。",
        "赵明",
        "孙桂芳",
        "agreed",
    ),
    (
        "contract",
        "村便民超市",
        "3200",
        "超市赊账货款结算金额有争议。",
        "黄建设",
        "杨小平",
        "failed",
    ),
    (
        "land",
        "五组河滩地",
        "",
        "宅基地边界争议，涉及早年口头调换土地，村级无法认定权属。",
        "罗正清",
        "罗正明",
        "escalated",
    ),
    (
        "damages",
        "县道旁鱼塘",
        "46000",
        "上游养殖场排污致下游鱼塘死鱼，赔偿金额差距大。",
        "吴德顺",
        "汉阴县某生态养殖场",
        "county",
    ),
    (
        "neighbour",
        "二组",
        "",
        "相邻两户新建房屋采光遮挡，一方要求对方降低屋顶。",
        "郑红梅",
        "冯志强",
        "mediating",
    ),
    ("family", "六组", "", "兄弟分家时老宅归属意见不一。", "钱海", "钱涛", "registered"),
    ("contract", "三组", "1800", "农机租用费用结算争议。", "邱志成", "姜红军", "withdrawn"),
]


# Earlier in the year the village settled these (agreed, performed): with the disputes
# above the village's own rate comes to 18 / 21 = 85.7 %, 三台's figure (seed 004).
EARLIER = [
    ("neighbour", "宅前晾晒场地占用", "邓志华", "邓志平"),
    ("damages", "耕牛踩坏秧苗赔偿", "田茂林", "孔德兵"),
    ("family", "老人赡养费分担", "吕翠英", "吕长江"),
    ("land", "自留山界桩移位", "贺永林", "谭国富"),
    ("neighbour", "共用水井清淘分摊", "龚玉梅", "卢建平"),
    ("wages", "建房帮工工钱结算", "程大勇", "侯明"),
    ("contract", "茶青收购款结算", "汪德胜", "沈家富"),
    ("neighbour", "化粪池渗漏影响邻居", "石桂香", "崔文明"),
    ("damages", "放养山羊啃食茶苗", "段建军", "雷光荣"),
    ("family", "婚约彩礼返还", "范小娟", "潘俊"),
    ("land", "承包田灌溉用水顺序", "董庆华", "夏永红"),
    ("neighbour", "建房占用通行小路", "方秀兰", "陆长顺"),
]


def _at(days: float, hour: int = 10) -> datetime:
    t = timezone.localtime() - timedelta(days=days)
    return t.replace(hour=hour, minute=0, second=0, microsecond=0)


def build(ctx) -> None:
    county = Region.objects.get(code=ctx.county_code)
    town = county.children.order_by("code").first()
    if town is None:
        return
    villages = list(
        Region.objects.filter(level=Level.VILLAGE, code__under=town.code).order_by("code")[:4]
    )
    if not villages:
        return
    staff = User.objects.get(username="community")
    street = User.objects.get(username="street")
    district = User.objects.get(username="district")
    home = staff.scope_code or villages[0].code
    v0 = next((v for v in villages if v.code == home), villages[0])
    others = [v for v in villages if v.code != v0.code]

    # Settings: the demo village and one more open their boards; the rest keep them private.
    VillageSettings.objects.create(village_code=v0.code, public_board=True, reply_days=5)
    if others:
        VillageSettings.objects.create(
            village_code=others[0].code, public_board=True, reply_days=7, reply_unit="days"
        )

    # Residents of the demo village (the demo login "resident" is one, a household head).
    resident = User.objects.get(username="resident")
    Membership.objects.create(user=resident, village_code=v0.code, household_rep=True)
    people = [resident]
    for username, name, phone in RESIDENTS:
        u = User(username=username, role=Role.RESIDENT, full_name=name, phone=phone)
        u.set_password(ctx.password)
        u.save()
        Membership.objects.create(user=u, village_code=v0.code, household_rep=True)
        people.append(u)
    authors = people[1:]

    _boards(v0, others, staff, street)
    _policy(villages, street, staff, town)
    n_msg = _messages(v0, others, authors, staff, people)
    n_disp = _disputes(v0, others, town, county, staff, street, district)
    n_topics = _deliberation(v0, staff, people)
    _points(v0, staff, street, resident)
    _cobuild(v0, staff)
    ctx.say(
        f"  村务公开 {len(villages)} 个村（社区），居民留言 {n_msg} 条，"
        f"矛盾纠纷 {n_disp} 件，议事议题 {n_topics} 个"
    )


def _boards(v0: Region, others: list[Region], staff: User, street: User) -> None:
    board.publish(
        staff,
        v0.code,
        kind="notice",
        title="关于做好2026年冬季森林防火工作的通知",
        body="进入森林防火期，严禁野外用火、烧田埂草和祭祀烧纸。发现火情请立即拨打 12119 或村委会电话。"
        "各组组长负责本组巡查，网格员每日上报。",
        now=_at(6),
    )
    board.publish(
        staff,
        v0.code,
        kind="party",
        title="2026年第三季度党务公开",
        body="一、本季度召开支部党员大会 3 次，主题党日活动 3 次。\n二、确定发展对象 1 名，预备党员转正 1 名。\n"
        "三、收缴党费 2,316.00 元，已全额上缴镇党委。",
        period_label="2026年第三季度",
        period_start=date(2026, 7, 1),
        period_end=date(2026, 9, 30),
        now=_at(30),
    )
    board.publish(
        staff,
        v0.code,
        kind="village",
        title="2026年第三季度村务公开",
        body="一、经村民代表会议评议，新纳入低保 2 户、退出 1 户。\n二、公益性岗位保洁员 4 名，每人每月 300 元。\n"
        "三、三组通组路维修工程已完工验收，全长 1.2 公里。",
        period_label="2026年第三季度",
        period_start=date(2026, 7, 1),
        period_end=date(2026, 9, 30),
        now=_at(29),
    )
    tables = board.build_tables(
        [Row(i, t, item, amt) for i, (t, item, amt) in enumerate(FINANCE, 2)]
    )
    pub = board.publish(
        staff,
        v0.code,
        kind="finance",
        title="2026年第三季度财务公开",
        body="村级财务收支情况如下，村民如有疑问可向村务监督委员会反映。",
        tables=tables,
        period_label="2026年第三季度",
        period_start=date(2026, 7, 1),
        period_end=date(2026, 9, 30),
        now=_at(28),
    )
    fixed = [dict(r) for r in tables["spending"]]
    fixed[2] = {"item": "三组通组路维修", "amount": "23080.00"}
    board.correct(
        staff,
        pub,
        reason="三组通组路维修支出录入有误（应为 23,080.00 元，见工程结算单）",
        title="2026年第三季度财务公开",
        body=pub.current.body if pub.current else "",
        tables={**tables, "spending": fixed},
        now=_at(25),
    )
    for v in others:
        board.publish(
            street,
            v.code,
            kind="notice",
            title="冬季用电安全提示",
            body="取暖季请勿私拉乱接电线，电热毯、取暖器不用时及时断电。",
            now=_at(4),
        )
        board.publish(
            street,
            v.code,
            kind="finance",
            title="2026年第三季度财务公开",
            body="村级财务收支情况。",
            tables=board.build_tables(
                [
                    Row(2, "income", "上级转移支付", "52000"),
                    Row(3, "income", "集体林地租金", "9800"),
                    Row(4, "spending", "村干部基本报酬", "48000"),
                    Row(5, "spending", "办公费", "5120.80"),
                ]
            ),
            period_label="2026年第三季度",
            now=_at(27),
        )


def _policy(villages: list[Region], street: User, staff: User, town: Region) -> None:
    p = board.publish_policy(
        street,
        title="2026年耕地地力保护补贴政策解读",
        body="一、补贴对象：拥有耕地承包权的种地农民。\n二、补贴标准：每亩 105 元，按确权面积发放到户。\n"
        "三、办理方式：由村委会统一核实面积，张榜公示 7 天无异议后，通过“一卡通”直接发放。",
        region_codes=[v.code for v in villages],
        companies=[("汉阴县富硒茶业有限公司", town.code), ("汉阴县某生态养殖场", town.code)],
        now=_at(8),
    )
    t = p.targets.filter(region_code=staff.scope_code or "-").first()
    if t is not None:
        board.mark_read(t, user=staff, now=_at(7))
    company = p.targets.filter(kind="company").order_by("id").first()
    if company is not None:
        board.mark_read(company, reader_name="茶业公司 办公室 黄敏", now=_at(6))


def _messages(v0, others, authors, staff, people) -> int:
    n = 0
    for who, body, consent, ago, reply, after in MESSAGES:
        m = inbox.write(authors[who % len(authors)], v0.code, body, consent, now=_at(ago))
        n += 1
        if reply:
            inbox.answer(staff, m, reply, now=_at(ago - after, 16))
    # the demo resident's own: one answered and on the wall, one waiting
    m = inbox.write(
        people[0], v0.code, "村里的自来水这几天早上浑浊，能不能检查一下？", True, now=_at(5)
    )
    inbox.answer(
        staff,
        m,
        "已请镇水厂检测，系管网冲洗所致，现已恢复正常。如再发现请及时反映。",
        now=_at(4, 15),
    )
    inbox.write(people[0], v0.code, "请问村里明年还组织免费体检吗？", True, now=_at(1))
    n += 2
    # a message that is really a case: into the case loop
    m = inbox.write(
        authors[2 % len(authors)],
        v0.code,
        "四组排水沟被淤泥堵死，下雨就倒灌进两户人家里，请尽快组织清淤。",
        False,
        now=_at(2),
    )
    inbox.to_case(staff, m)
    n += 1
    return n


def _committees(v0, others, town, county) -> dict[str, list[Mediator]]:
    out: dict[str, list[Mediator]] = {}
    names = {
        v0.code: [("周志强", "13991500201"), ("何丽", "13991500202")],
        town.code: [("赵德明", "13991500211"), ("钟晓燕", "13991500212")],
        county.code: [("刘振华", "13991500221")],
    }
    spare = [("孙学文", "13991500203"), ("马红", "13991500204"), ("彭建军", "13991500205")]
    for i, v in enumerate(others):
        names[v.code] = [spare[i % len(spare)]]
    for region, level, cname in [
        (v0, "village", f"{v0.name}人民调解委员会"),
        *[(v, "village", f"{v.name}人民调解委员会") for v in others],
        (town, "town", f"{town.name}人民调解委员会"),
        (county, "county", f"{county.name}矛盾纠纷多元化解中心"),
    ]:
        c = Committee.objects.create(name=cname, region_code=region.code, level=level)
        out[region.code] = [
            Mediator.objects.create(committee=c, name=n, phone=p) for n, p in names[region.code]
        ]
    return out


def _disputes(v0, others, town, county, staff, street, district) -> int:
    meds = _committees(v0, others, town, county)
    n = 0
    for i, (kind, place, amount, summary, a, b, outcome) in enumerate(DISPUTES):
        ago = 40 - i * 3
        d = mediation.register(
            staff,
            v0.code,
            kind=kind,
            place=place,
            amount=amount,
            summary=summary,
            parties=[
                PartyIn(
                    "applicant",
                    a,
                    f"139{9150030 + i:08d}",
                    idcard.make(v0.code[:6], date(1968 + i, 3, 12), 20 + i),
                ),
                PartyIn("respondent", b, f"139{9150060 + i:08d}", ""),
            ],
            now=_at(ago),
        )
        n += 1
        if outcome == "registered":
            continue
        med = meds[v0.code][i % 2]
        mediation.assign(staff, d, med.pk, now=_at(ago - 0.5))
        if outcome in ("escalated", "county"):
            mediation.add_session(
                staff,
                d,
                at=_at(ago - 1, 9),
                minutes="双方各执一词，对早年土地调换无书面凭据，村调委会无法认定。",
                place="村委会调解室",
                now=_at(ago - 1),
            )
            mediation.escalate(staff, d, "涉及权属认定，村级调解不成，报镇调委会", now=_at(ago - 2))
            mediation.assign(street, d, meds[town.code][0].pk, now=_at(ago - 2.5))
            mediation.add_session(
                street,
                d,
                at=_at(ago - 4, 9),
                minutes="镇调委会组织双方及国土所现场踏勘，测量争议地块。",
                place="争议地块现场",
                now=_at(ago - 4),
            )
            if outcome == "county":
                mediation.escalate(
                    street,
                    d,
                    "赔偿金额大、涉及环保鉴定，报县矛盾纠纷多元化解中心",
                    now=_at(ago - 5),
                )
                mediation.assign(district, d, meds[county.code][0].pk, now=_at(ago - 6))
            continue
        mediation.add_session(
            staff,
            d,
            at=_at(ago - 1, 9),
            minutes="调解员分别听取双方陈述，讲解相关法律规定，双方同意再行协商。",
            place="村委会调解室",
            attendees=f"{a}、{b}、{med.name}",
            now=_at(ago - 1),
        )
        if outcome == "mediating":
            continue
        if outcome == "withdrawn":
            mediation.withdraw(staff, d, "双方已自行和解，申请人撤回调解申请", now=_at(ago - 2))
            continue
        if outcome == "failed":
            mediation.fail(staff, d, "双方对账目分歧较大，已告知可向人民法院起诉", now=_at(ago - 3))
            continue
        mediation.agree(
            staff,
            d,
            text=f"一、双方确认争议事实，{b}于协议签订后 15 日内履行约定义务。\n二、双方今后和睦相处，不再就此事发生争执。",
            perform_by=(_at(ago - 17)).date(),
            now=_at(ago - 2),
        )
        if ago > 25:
            mediation.record_performance(
                staff, d, "performed", "回访双方，已按协议履行", now=_at(ago - 18)
            )
    for i, (kind, what, a, b) in enumerate(EARLIER):
        ago = 300 - i * 20
        med = meds[v0.code][i % 2]
        d = mediation.register(
            staff,
            v0.code,
            kind=kind,
            place=f"{i % 6 + 1}组",
            summary=f"{what}：{a}与{b}协商不成，申请村调委会调解。",
            parties=[PartyIn("applicant", a), PartyIn("respondent", b)],
            now=_at(ago),
        )
        mediation.assign(staff, d, med.pk, now=_at(ago))
        mediation.add_session(
            staff,
            d,
            at=_at(ago - 1, 9),
            minutes="调解员到现场了解情况，双方各自让步。",
            now=_at(ago - 1),
        )
        mediation.agree(staff, d, text=f"双方就{what}达成一致，按约定履行。", now=_at(ago - 2))
        mediation.record_performance(staff, d, "performed", "回访已履行", now=_at(ago - 15))
        n += 1
    # another village: two agreed, two failed — it lands on the black board
    if others:
        v = others[0]
        med = meds[v.code][0]
        pairs = [
            ("冯建平", "韩玉兰"),
            ("许国华", "邓春梅"),
            ("曹文军", "彭秀兰"),
            ("袁志明", "蒋丽"),
        ]
        for j, ok in enumerate([True, False, False, True]):
            d = mediation.register(
                street,
                v.code,
                kind="neighbour",
                place=f"{j + 1}组",
                summary="邻里之间因宅前道路通行和堆放柴草发生争执。",
                parties=[PartyIn("applicant", pairs[j][0]), PartyIn("respondent", pairs[j][1])],
                now=_at(30 - j),
            )
            mediation.assign(street, d, med.pk, now=_at(30 - j))
            mediation.add_session(
                street, d, at=_at(29 - j, 9), minutes="组织双方面对面协商。", now=_at(29 - j)
            )
            if ok:
                mediation.agree(
                    street, d, text="双方同意各自清理柴草，保持道路通畅。", now=_at(28 - j)
                )
            else:
                mediation.fail(street, d, "一方拒不到场，调解终止", now=_at(28 - j))
            n += 1
    return n


def _deliberation(v0: Region, staff: User, people: list[User]) -> int:
    """One topic carried through to tasks (one done, one under way, one late), one in
    voting (the demo resident has not voted yet), one just raised by a resident."""
    from jiceng.community import deliberation

    t = deliberation.raise_topic(
        people[1],
        v0.code,
        "三组至五组通组路硬化及路灯安装",
        "三组到五组的通组路仍是土路，雨天泥泞，学生上学和茶叶外运都不方便，建议申请一事一议项目硬化并安装路灯。",
        now=_at(45),
    )
    deliberation.record_meeting(
        staff,
        t,
        at=_at(40, 19),
        place="村委会会议室（院坝会）",
        expected=35,
        attended=31,
        minutes="村干部说明一事一议财政奖补政策：硬化 1.8 公里，概算 54 万元，财政奖补 70%，"
        "其余由村集体经济收益和群众投工投劳解决。与会代表逐户发表意见。",
        now=_at(39),
    )
    deliberation.open_vote(staff, t)
    for i, u in enumerate(people):
        deliberation.vote(u, t, "no" if i == 4 else "yes", now=_at(40))
    d = deliberation.decide(
        staff,
        t,
        "通过三组至五组通组路硬化及路灯安装项目，申报一事一议财政奖补，群众投工投劳。",
        now=_at(39),
    )
    today = timezone.localdate()
    for title, owner, due_days, steps in [
        (
            "编制项目申报材料并报镇审核",
            "村文书 何丽",
            -30,
            [(50, "已完成测量和概算"), (100, "已报镇农经站审核通过")],
        ),
        (
            "组织施工，完成路面硬化",
            "村主任 周志强",
            20,
            [(30, "完成路基平整 0.6 公里"), (60, "完成硬化 1.1 公里")],
        ),
        ("安装太阳能路灯 40 盏", "村监委会主任 马红", -3, [(20, "路灯已采购到货")]),
    ]:
        task = deliberation.add_task(staff, d, title, owner, today + timedelta(days=due_days))
        for k, (progress, note) in enumerate(steps):
            deliberation.update_task(staff, task, progress, note, now=_at(35 - k * 10))
    v = deliberation.raise_topic(
        staff,
        v0.code,
        "修订村规民约：红白喜事简办标准",
        "红白理事会提出：宴席不超过 15 桌、礼金不超过 200 元，请户代表表决是否写入村规民约。",
        now=_at(6),
    )
    deliberation.open_vote(staff, v)
    for u in people[1:4]:
        deliberation.vote(u, v, "yes", now=_at(5))
    deliberation.raise_topic(
        people[2],
        v0.code,
        "村广场增设健身器材",
        "村广场晚上跳舞散步的人多，建议增设一批健身器材，并划定停车区域。",
        now=_at(2),
    )
    return 3


POINT_RULES = [
    ("环境卫生", "参加义务劳动（河道清淤、道路清扫）", 5, "村规民约第八条"),
    ("环境卫生", "庭院整洁评为“美丽庭院”", 10, "村规民约第八条"),
    ("孝老爱亲", "评为“好婆婆”“好媳妇”", 10, "村规民约第五条"),
    ("移风易俗", "红白喜事简办", 5, "村规民约第十一条"),
    ("环境卫生", "乱倒垃圾、乱堆乱放", -5, "村规民约第八条"),
    ("遵纪守法", "违规燃放烟花、野外用火", -10, "村规民约第十三条"),
]
HOUSEHOLDS = [
    ("HY-0001", "赵大爷"),
    ("HY-0002", "陈秀英"),
    ("HY-0003", "刘建华"),
    ("HY-0004", "张桂兰"),
    ("HY-0005", "王明"),
    ("HY-0006", "李春花"),
    ("HY-0007", "周大海"),
    ("HY-0008", "黄建设"),
]
ENTRIES = [
    # (household index, rule index, months ago, day)
    (0, 0, 0, 3),
    (0, 3, 0, 8),
    (1, 1, 0, 5),
    (1, 0, 0, 12),
    (2, 2, 0, 6),
    (2, 0, 0, 3),
    (3, 0, 0, 3),
    (4, 4, 0, 9),
    (5, 5, 0, 15),
    (5, 4, 0, 18),
    (6, 0, 0, 3),
    (7, 1, 0, 2),
    (0, 2, 1, 10),
    (1, 0, 1, 5),
    (3, 4, 1, 20),
    (4, 0, 1, 5),
    (6, 3, 1, 22),
    (7, 0, 1, 5),
]


def _points(v0: Region, staff: User, street: User, resident: User) -> None:
    from jiceng.community import points

    grid = User.objects.filter(username="grid").first() or staff
    rules = [
        points.add_rule(staff, v0.code, category=c, name=n, points=p, source=s)
        for c, n, p, s in POINT_RULES
    ]
    Membership.objects.filter(user=resident).update(household_number=HOUSEHOLDS[0][0])
    today = timezone.localdate()
    for h, r, months_ago, day in ENTRIES:
        first = today.replace(day=1)
        for _ in range(months_ago):
            first = (first - timedelta(days=1)).replace(day=1)
        on = min(first.replace(day=day), today)
        number, name = HOUSEHOLDS[h]
        e = points.record(
            grid,
            v0.code,
            household_number=number,
            household_name=name,
            rule_id=rules[r].pk,
            evidence=f"{on:%m月%d日}网格员核实：{rules[r].name}",
            on=on,
        )
        points.approve(staff if grid != staff else street, e)
    # one waiting for approval
    points.record(
        grid,
        v0.code,
        household_number=HOUSEHOLDS[2][0],
        household_name=HOUSEHOLDS[2][1],
        rule_id=rules[0].pk,
        evidence="参加村道积雪清扫",
        on=today,
    )


def _cobuild(v0: Region, staff: User) -> None:
    from jiceng.community import cobuild

    a = cobuild.start(
        staff,
        v0.code,
        partner="国网汉阴县供电分公司",
        title="党建共建·安全用电进社区",
        now=_at(120),
    )
    c1 = cobuild.add_commitment(staff, a, "每季度上门检查独居老人家中电路", True, None)
    c2 = cobuild.add_commitment(staff, a, "社区提供党员活动室作为用电服务点", False, None)
    for days in (110, 108, 100):
        a = cobuild.advance(staff, a, now=_at(days))
    cobuild.fulfil(staff, c1, "检查独居老人家庭 23 户，更换老化线路 6 处", now=_at(60))
    cobuild.fulfil(staff, c2, "服务点每周三开放", now=_at(90))
    cobuild.advance(staff, a, "双方履约良好，群众满意", {c1.pk: 5, c2.pk: 4}, now=_at(20))

    b = cobuild.start(
        staff, v0.code, partner="汉阴县中医医院", title="医社共建·家门口健康服务", now=_at(40)
    )
    d1 = cobuild.add_commitment(staff, b, "每月一次义诊和健康讲座", True, None)
    cobuild.add_commitment(
        staff, b, "为 65 岁以上老人建立健康档案", True, timezone.localdate() + timedelta(days=60)
    )
    cobuild.add_commitment(staff, b, "社区组织居民参加、提供场地", False, None)
    for days in (35, 33, 30):
        b = cobuild.advance(staff, b, now=_at(days))
    cobuild.fulfil(staff, d1, "本月义诊 86 人次", now=_at(10))

    c = cobuild.start(
        staff, v0.code, partner="汉阴县富硒茶业有限公司", title="村企共建·茶农技能培训", now=_at(5)
    )
    cobuild.add_commitment(staff, c, "每年两期茶叶采摘加工培训", True, None)
