"""A demo catalogue of everyday town and village items (texts written for jiceng, after the
kinds of item 平邑's 76, 邱县's 100 and 松阳's village lists name; not any county's wording).

Each entry: (code, name, department, topic, legal days, promised days, accept levels, flow,
allows pending, may extend (days), conditions, basis, materials) where a material is
(name, copies, original needed, pendable, on-file source: resident_id | household |
earlier_result:<item code> — 免证办).
"""

from __future__ import annotations

from jiceng.servicehall.schemas import GuideIn, MaterialIn

V, T, C = "village", "town", "county"
ID = ("居民身份证", 1, True, False, "resident_id")
HR = ("户口簿", 1, True, False, "household")
PHOTO = ("近期免冠照片", 2, False, True, "")
BANK = ("本人社会保障卡或银行卡", 1, True, True, "")

ITEMS: list[tuple] = [
    ("MZ-001", "高龄老人生活补贴申请", "县民政局", "养老服务", 20, 5, [V, T], [V, T, C], True, 0,
     "本县户籍、年满80周岁的老年人。", "《陕西省老年人权益保障条例》；县高龄补贴实施办法",
     [ID, HR, BANK]),
    ("MZ-002", "城乡居民最低生活保障申请", "县民政局", "社会救助", 30, 15, [V, T], [V, T, C], True,
     10, "家庭人均收入低于当地低保标准、财产状况符合规定的本县户籍居民。",
     "《社会救助暂行办法》；《陕西省最低生活保障审核确认办法》",
     [ID, HR, ("家庭收入及财产状况申报表", 1, True, False, ""),
      ("家庭经济状况核对授权书", 1, True, False, ""), BANK]),
    ("MZ-003", "特困人员救助供养申请", "县民政局", "社会救助", 30, 15, [V, T], [V, T, C], False, 10,
     "无劳动能力、无生活来源、无法定赡养抚养扶养义务人或其无履行能力的老年人、残疾人和未成年人。",
     "《社会救助暂行办法》；《特困人员认定办法》",
     [ID, HR, ("特困人员救助供养申请书", 1, True, False, "")]),
    ("MZ-004", "临时救助申请", "县民政局", "社会救助", 15, 5, [V, T], [V, T], True, 0,
     "因火灾、交通事故、突发重大疾病等导致基本生活暂时出现严重困难的家庭或个人。",
     "《社会救助暂行办法》", [ID, HR, ("困难情况说明及相关证明", 1, False, True, "")]),
    ("CL-001", "困难残疾人生活补贴申请", "县残联", "残疾人服务", 20, 7, [V, T], [V, T, C], True, 0,
     "持有第二代残疾人证、享受最低生活保障的本县户籍残疾人。",
     "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》",
     [ID, HR, ("中华人民共和国残疾人证", 1, True, False, ""), BANK]),
    ("CL-002", "重度残疾人护理补贴申请", "县残联", "残疾人服务", 20, 7, [V, T], [V, T, C], True, 0,
     "残疾等级为一、二级且需要长期照护的本县户籍重度残疾人。",
     "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》",
     [ID, ("中华人民共和国残疾人证", 1, True, False, ""), BANK]),
    ("RS-001", "城乡居民基本养老保险参保登记", "县人力资源和社会保障局", "社会保障", 10, 1, [V, T],
     [V, T], False, 0, "年满16周岁（不含在校学生）、未参加职工基本养老保险的本县户籍居民。",
     "《国务院关于建立统一的城乡居民基本养老保险制度的意见》", [ID, HR]),
    ("RS-002", "城乡居民养老保险待遇领取资格认证", "县人力资源和社会保障局", "社会保障", 5, 1,
     [V, T], [V, T], False, 0, "正在领取城乡居民养老保险待遇的人员，每年认证一次。",
     "《人力资源社会保障部关于改进和规范基本养老保险待遇领取资格认证工作的通知》", [ID]),
    ("RS-003", "城乡居民养老保险待遇申领", "县人力资源和社会保障局", "社会保障", 20, 10, [V, T],
     [V, T, C], True, 0, "参保缴费满15年、年满60周岁的参保人员。",
     "《国务院关于建立统一的城乡居民基本养老保险制度的意见》", [ID, HR, BANK]),
    ("YB-001", "城乡居民医疗保险参保登记", "县医疗保障局", "医疗保障", 10, 1, [V, T], [V, T], False, 0,
     "未参加职工基本医疗保险的本县城乡居民。", "《中华人民共和国社会保险法》", [ID, HR]),
    ("YB-002", "医疗费用手工报销", "县医疗保障局", "医疗保障", 30, 15, [T], [T, C], True, 10,
     "参保人员因急诊、异地就医等未能直接结算的合规医疗费用。", "《医疗保障基金使用监督管理条例》",
     [ID, BANK, ("医疗费用票据原件", 1, True, False, ""), ("费用明细清单", 1, False, True, ""),
      ("出院小结或诊断证明", 1, False, True, "")]),
    ("WJ-001", "生育登记", "县卫生健康局", "生育服务", 5, 1, [V, T], [V, T], False, 0,
     "本县户籍或在本县居住的夫妻，生育子女时均可登记。", "《陕西省人口与计划生育条例》",
     [("夫妻双方居民身份证", 1, True, False, "resident_id"), ("结婚证", 1, True, False, "earlier_result:MZ-005")]),
    ("WJ-002", "计划生育家庭特别扶助金申请", "县卫生健康局", "生育服务", 30, 15, [V, T], [V, T, C],
     False, 0, "独生子女死亡或伤残、母亲年满49周岁、未再生育或合法收养子女的夫妻。",
     "《全国独生子女伤残死亡家庭扶助制度试点方案》",
     [ID, HR, ("独生子女父母光荣证", 1, True, False, ""), ("子女死亡或伤残证明", 1, True, False, "")]),
    ("WJ-003", "农村部分计划生育家庭奖励扶助申请", "县卫生健康局", "生育服务", 30, 15, [V, T],
     [V, T, C], False, 0, "农业户口、只有一个子女或两个女孩、年满60周岁的夫妻。",
     "《农村部分计划生育家庭奖励扶助制度试点方案》", [ID, HR]),
    ("NY-001", "农村宅基地和建房（规划许可）申请", "县农业农村局", "农村建房", 20, 15, [V],
     [V, T], True, 10, "本村集体经济组织成员、符合一户一宅和村庄规划的农户。",
     "《中华人民共和国土地管理法》；《农村宅基地审批管理办法》",
     [ID, HR, ("农村宅基地和建房（规划许可）申请表", 1, True, False, ""),
      ("村民小组会议记录", 1, True, True, ""), ("建房设计图或通用图", 1, False, True, "")]),
    ("NY-002", "耕地地力保护补贴信息变更", "县农业农村局", "农业补贴", 15, 5, [V, T], [V, T], False,
     0, "承包耕地信息或补贴发放账户发生变化的农户。", "县耕地地力保护补贴实施方案",
     [ID, ("土地承包经营权证", 1, True, False, ""), BANK]),
    ("GA-001", "居民身份证换领受理", "县公安局", "户籍证件", 60, 20, [T], [T, C], False, 0,
     "居民身份证有效期满、证件损坏或登记内容变更的本县户籍居民。", "《中华人民共和国居民身份证法》",
     [HR, ("原居民身份证", 1, True, False, "resident_id")]),
    ("GA-002", "户口迁入（投靠）", "县公安局", "户籍证件", 20, 10, [T], [T, C], False, 0,
     "符合投靠直系亲属条件的人员。", "《中华人民共和国户口登记条例》",
     [ID, HR, ("亲属关系证明", 1, True, False, ""), ("房屋产权证明", 1, False, False, "")]),
    ("TY-001", "退役军人优待证申领", "县退役军人事务局", "退役军人服务", 20, 10, [V, T], [V, T, C],
     True, 0, "本县户籍的退役军人和其他优抚对象。", "《退役军人保障法》",
     [ID, ("退役证或相关证明", 1, True, False, ""), PHOTO]),
    ("ZJ-001", "农村危房改造申请", "县住房和城乡建设局", "住房保障", 30, 20, [V], [V, T, C], True, 10,
     "经鉴定为C级或D级危房的农村低收入群体等重点对象。", "《农村危房改造补助资金管理办法》",
     [ID, HR, ("农村危房改造申请书", 1, True, False, ""), ("房屋现状照片", 2, False, True, "")]),
    ("JY-001", "家庭经济困难学生资助申请", "县教育体育和科技局", "教育服务", 20, 10, [V, T],
     [V, T, C], True, 0, "在读学生、家庭经济困难的本县户籍家庭。", "《学生资助资金管理办法》",
     [ID, HR, ("学生资助申请表", 1, True, False, ""), ("在读证明", 1, True, True, "")]),
    ("SC-001", "个体工商户设立登记", "县市场监督管理局", "市场准入", 15, 1, [T], [T], False, 0,
     "有经营能力的自然人在本县从事工商业经营。", "《促进个体工商户发展条例》",
     [ID, ("经营场所使用证明", 1, False, False, ""), ("个体工商户登记申请书", 1, True, False, "")]),
    ("SC-002", "食品小作坊登记", "县市场监督管理局", "市场准入", 20, 10, [T], [T, C], True, 10,
     "从事食品生产加工、有固定场所、从业人员少的生产者。", "《陕西省食品小作坊小餐饮及摊贩管理条例》",
     [ID, ("个体工商户营业执照", 1, False, False, "earlier_result:SC-001"),
      ("经营场所使用证明", 1, False, False, ""), ("从业人员健康证明", 1, True, True, "")]),
    ("MZ-005", "结婚登记（预约）", "县民政局", "婚姻登记", 1, 1, [C], [C], False, 0,
     "双方均为完全民事行为能力人、达到法定婚龄、非近亲、无配偶。", "《婚姻登记条例》",
     [("双方居民身份证", 1, True, False, "resident_id"), ("双方户口簿", 1, True, False, "household"),
      PHOTO]),
]  # fmt: skip

DEMO_PHONES = ("0915-5212345", "0915-12345")


def guides() -> list[GuideIn]:
    out = []
    for (code, name, dept, topic, legal, promised, accept, flow, pending, extend, cond, basis,
         mats) in ITEMS:  # fmt: skip
        top = {
            "village": "村（社区）便民服务站",
            "town": "镇便民服务中心",
            "county": "县政务服务中心",
        }
        out.append(
            GuideIn(
                code=code,
                name=name,
                department=dept,
                topic=topic,
                basis=basis,
                conditions=cond,
                accepting_unit=f"{top[min(accept, key=lambda x: ['village', 'town', 'county'].index(x))]}",
                place="所在村（社区）便民服务站或镇便民服务中心综合窗口"
                if "village" in accept
                else "镇便民服务中心综合窗口"
                if "town" in accept
                else "县政务服务中心",
                process="→".join(
                    {"village": "村级受理初审", "town": "镇级审核", "county": "县级审批办结"}[x]
                    for x in flow
                )
                + "→结果送达",
                fees="不收费",
                legal_days=legal,
                promised_days=promised,
                hours="工作日 8:30–12:00，14:00–17:30（村便民服务站可预约上门）",
                enquiry_phone=DEMO_PHONES[0],
                supervision_phone=DEMO_PHONES[1],
                accept_levels=accept,
                flow=flow,
                allows_pending=pending,
                pending_days=5,
                may_suspend=True,
                may_extend=extend > 0,
                extension_days=extend,
                note="",
                materials=[
                    MaterialIn(
                        name=m[0],
                        copies=m[1],
                        original=m[2],
                        required=True,
                        pendable=m[3] and pending,
                        on_file_kind=m[4],
                    )
                    for m in mats
                ],
            )
        )
    return out
