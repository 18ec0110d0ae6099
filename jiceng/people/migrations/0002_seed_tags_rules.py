"""Seed the care-tag types (GB/T 31000-2015 "9": the kinds of people every county cares
for), the three-colour rules and the service of each colour (安康 "321"). All are data:
a county edits them or adds its own ("X") without a code change."""

from django.db import migrations

HEALTH = ["良好", "一般", "较差", "失能/半失能"]

TAG_TYPES = [
    # code, name, group, sensitive, schema
    ("living_alone_elderly", "独居老人", "关爱对象", False, [
        {"name": "health", "label": "健康状况", "type": "choice", "choices": HEALTH, "required": True},
        {"name": "children_contact", "label": "子女/监护人联系方式", "type": "text"},
        {"name": "pension", "label": "享受养老补贴", "type": "bool"},
    ]),
    ("left_behind_elderly", "留守老人", "三留守", False, [
        {"name": "health", "label": "健康状况", "type": "choice", "choices": HEALTH, "required": True},
        {"name": "children_workplace", "label": "子女务工地", "type": "text"},
    ]),
    ("left_behind_woman", "留守妇女", "三留守", False, [
        {"name": "spouse_workplace", "label": "配偶务工地", "type": "text"},
        {"name": "employed", "label": "本地就业", "type": "bool"},
    ]),
    ("left_behind_child", "留守儿童", "三留守", False, [
        {"name": "guardian", "label": "监护人姓名", "type": "text", "required": True},
        {"name": "guardian_relation", "label": "监护人关系", "type": "choice",
         "choices": ["祖父母", "外祖父母", "父亲", "母亲", "其他亲属", "其他"], "required": True},
        {"name": "school", "label": "就读学校", "type": "text"},
        {"name": "parents_workplace", "label": "父母务工地", "type": "text"},
    ]),
    ("disabled", "残疾人", "关爱对象", False, [
        {"name": "type", "label": "残疾类别", "type": "choice",
         "choices": ["视力", "听力", "言语", "肢体", "智力", "精神", "多重"], "required": True},
        {"name": "grade", "label": "残疾等级", "type": "choice",
         "choices": ["一级", "二级", "三级", "四级"], "required": True},
        {"name": "certificate", "label": "残疾人证号", "type": "text"},
    ]),
    ("low_income", "低保/特困", "关爱对象", False, [
        {"name": "category", "label": "救助类别", "type": "choice",
         "choices": ["城市低保", "农村低保", "特困供养", "低保边缘"], "required": True},
        {"name": "monthly_amount", "label": "月救助金额(元)", "type": "number", "min": 0},
        {"name": "since_year", "label": "纳入年份", "type": "int", "min": 1990, "max": 2100},
    ]),
    ("released_prisoner", "刑满释放人员", "特殊人群", True, [
        {"name": "release_date", "label": "释放日期", "type": "date", "required": True},
        {"name": "offence", "label": "原罪名", "type": "text"},
        {"name": "risk", "label": "风险等级", "type": "choice", "choices": ["低", "中", "高"]},
        {"name": "resettled", "label": "已安置帮教", "type": "bool"},
    ]),
    ("community_correction", "社区矫正对象", "特殊人群", True, [
        {"name": "correction_type", "label": "矫正类别", "type": "choice",
         "choices": ["管制", "缓刑", "假释", "暂予监外执行"], "required": True},
        {"name": "start", "label": "矫正起始日", "type": "date", "required": True},
        {"name": "end", "label": "矫正终止日", "type": "date"},
    ]),
    ("severe_mental_illness", "严重精神障碍患者", "特殊人群", True, [
        {"name": "risk_level", "label": "危险性评估等级(0–5)", "type": "int", "min": 0, "max": 5,
         "required": True},
        {"name": "guardian", "label": "监护人", "type": "text"},
        {"name": "managed", "label": "纳入规范管理", "type": "bool"},
    ]),
    ("key_youth", "重点青少年", "重点青少年", True, [
        {"name": "category", "label": "类别", "type": "choice",
         "choices": ["闲散青少年", "不良行为青少年", "流浪乞讨未成年人", "服刑人员未成年子女", "其他"],
         "required": True},
        {"name": "helper", "label": "帮扶人", "type": "text"},
    ]),
]


def c(fact, op, value):
    return {"fact": fact, "op": op, "value": value}


RULES = [
    # colour, name, conditions
    ("red", "家庭人均收入不足本村平均的40%", [c("income_ratio", "lt", 0.4)]),
    ("red", "特困供养家庭", [c("tagvalue.low_income.category", "any_in", ["特困供养"])]),
    ("red", "有社区矫正对象", [c("tag.community_correction", "ge", 1)]),
    ("red", "有高风险严重精神障碍患者（3级以上）",
     [c("tagvalue.severe_mental_illness.risk_level", "any_in", [3, 4, 5])]),
    ("red", "有一、二级重度残疾人", [c("tagvalue.disabled.grade", "any_in", ["一级", "二级"])]),
    ("yellow", "家庭人均收入低于本村平均的70%", [c("income_ratio", "lt", 0.7)]),
    ("yellow", "低保家庭", [c("tag.low_income", "ge", 1)]),
    ("yellow", "有独居老人", [c("tag.living_alone_elderly", "ge", 1)]),
    ("yellow", "有留守老人", [c("tag.left_behind_elderly", "ge", 1)]),
    ("yellow", "有留守妇女", [c("tag.left_behind_woman", "ge", 1)]),
    ("yellow", "有留守儿童", [c("tag.left_behind_child", "ge", 1)]),
    ("yellow", "有残疾人", [c("tag.disabled", "ge", 1)]),
    ("yellow", "有刑满释放人员", [c("tag.released_prisoner", "ge", 1)]),
    ("yellow", "有严重精神障碍患者", [c("tag.severe_mental_illness", "ge", 1)]),
    ("yellow", "有重点青少年", [c("tag.key_youth", "ge", 1)]),
    ("yellow", "尚未评为平安家庭", [c("safe_family_years", "eq", 0)]),
]

SERVICES = [
    ("green", "放心户", "线上等候：通过村情通、微信群和热线随时响应诉求，网格员日常巡查", None, ""),
    ("yellow", "关心户", "定期走访：由就近的三线联系人（党员、人大代表、中心户长）每月上门了解情况", 30, ""),
    ("red", "连心户", "一对一帮扶：明确结对帮扶人，开通热线直联，每周至少联系一次", 7, "12345"),
]


def seed(apps, schema_editor):
    CareTagType = apps.get_model("people", "CareTagType")
    ColourRule = apps.get_model("people", "ColourRule")
    ColourService = apps.get_model("people", "ColourService")
    for i, (code, name, group, sensitive, schema) in enumerate(TAG_TYPES):
        CareTagType.objects.update_or_create(
            code=code,
            defaults=dict(name=name, group=group, sensitive=sensitive, schema=schema,
                          builtin=True, order=(i + 1) * 10),
        )
    for i, (colour, name, conditions) in enumerate(RULES):
        ColourRule.objects.create(colour=colour, name=name, conditions=conditions,
                                  priority=(i + 1) * 10)
    for colour, name, service, days, hotline in SERVICES:
        ColourService.objects.update_or_create(
            colour=colour,
            defaults=dict(name=name, service=service, visit_every_days=days, hotline=hotline),
        )


def unseed(apps, schema_editor):
    apps.get_model("people", "ColourRule").objects.all().delete()
    apps.get_model("people", "ColourService").objects.all().delete()
    apps.get_model("people", "CareTagType").objects.filter(builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
