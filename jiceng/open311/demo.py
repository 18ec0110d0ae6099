"""Demo: one API key for a named demo client application, and a few requests it sent.

The key is printed once in the demo output (a demo installation only; a real county
creates keys with `jiceng open311 create-key` or on the keys page). Requests go through
the same code path as `POST requests`, so they are real Open311 cases.
"""

from __future__ import annotations

from django.http import QueryDict

from jiceng.open311.models import ApiKey

DEMO_CLIENT = "演示客户端：汉阴随手拍"
# (the service it should go to, by name; the text)
SAMPLES = [
    ("道路破损", "城关镇新街口人行道地砖松动，老人经过容易绊倒，请尽快修复。"),
    ("路灯故障", "小区门口路灯连续三晚不亮，晚上出行很不方便。"),
    ("垃圾堆放", "河堤步道旁有垃圾堆放多日，气味很大，希望清理。"),
]


def build(ctx) -> None:
    from jiceng.open311 import resources
    from jiceng.open311.render import Open311Error
    from jiceng.territory.models import Level, Region

    obj, key = ApiKey.issue(DEMO_CLIENT, note="jiceng demo")
    ctx.say(f"  Open311 演示客户端“{obj.name}”的 API 密钥（只显示这一次）：{key}")
    ctx.data["open311_demo_key"] = key

    rng = ctx.child_rng("open311")
    services = resources.service_list()
    grids = list(
        Region.objects.filter(
            code__under=ctx.county_code, level=Level.GRID, min_lon__isnull=False
        ).only("code", "min_lon", "max_lon", "min_lat", "max_lat")[:200]
    )
    if not services:
        return
    made = 0
    by_name = {s["service_name"]: s for s in services}
    for name, text in SAMPLES:
        svc = by_name.get(name) or rng.choice(services)
        q = QueryDict(mutable=True)
        q.update({"api_key": key, "service_code": svc["service_code"], "description": text})
        if grids:
            g = rng.choice(grids)
            q["lat"] = f"{(g.min_lat + g.max_lat) / 2:.6f}"  # type: ignore[operator]
            q["long"] = f"{(g.min_lon + g.max_lon) / 2:.6f}"  # type: ignore[operator]
        else:
            q["address_string"] = "汉阴县城关镇"
        for a in resources.service_definition(svc["service_code"])["attributes"]:
            if not a["required"]:
                continue
            code = f"attribute[{a['code']}]"
            if a["values"]:
                q[code] = a["values"][0]["key"]
            elif a["datatype"] == "number":
                q[code] = "1"
            elif a["datatype"] == "datetime":
                q[code] = "2026-11-20T09:00:00+08:00"
            else:
                q[code] = "演示"
        try:
            resources.create_request(q)
            made += 1
        except Open311Error as e:  # a demo category the sample cannot fill: skip it
            ctx.say(f"  Open311 演示诉求未提交（{'；'.join(e.descriptions)}）")
    ctx.say(f"  Open311 演示客户端已提交 {made} 条诉求")
