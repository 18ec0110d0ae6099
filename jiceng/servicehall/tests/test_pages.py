"""The pages through the test client: who may open them, and bad input stays a Chinese
message on the page (never a 500, nothing lost)."""

from __future__ import annotations

import pytest
from django.test import Client

from jiceng.servicehall import applications as apps
from jiceng.servicehall.models import Application, Rating, VainVisit
from jiceng.servicehall.tests.test_applications import MON, form, mv
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


def test_the_public_guide_and_an_items_ten_elements(hall):
    assert Client().get("/servicehall/").url == "/servicehall/guide/"
    assert client_for(hall.town_clerk).get("/servicehall/").url == "/servicehall/desk/"
    assert client_for(hall.agent_user).get("/servicehall/").url == "/servicehall/agent/"
    r = Client().get("/servicehall/guide/")
    assert r.status_code == 200 and "高龄老人生活补贴申请" in r.content.decode()
    page = Client().get("/servicehall/item/MZ-001/").content.decode()
    for label in ("办理依据", "办理条件", "受理单位及办理地点", "基本流程", "收费依据及标准",
                  "办理时限", "工作时间", "咨询电话", "监督电话", "居民身份证"):  # fmt: skip
        assert label in page
    assert Client().get("/servicehall/item/NOPE/").status_code == 404


def test_the_desk_is_for_intake_roles_only(hall):
    assert client_for(hall.town_clerk).get("/servicehall/desk/").status_code == 200
    assert client_for(hall.users.auditor).get("/servicehall/desk/").status_code == 403
    assert Client().get("/servicehall/desk/").status_code == 302  # to the login page


def test_intake_on_the_desk_with_a_bad_phone_keeps_what_was_typed(hall):
    c = client_for(hall.village_clerk)
    item = hall.items["MZ-001"]
    data = {"item_code": "MZ-001", "applicant_name": "任春早", "applicant_phone": "12",
            "region_code": hall.t.village2.code}  # fmt: skip
    data |= {f"m{m.id}": "provided" for m in item.current.materials.all()}
    r = c.post("/servicehall/desk/", data)
    body = r.content.decode()
    assert r.status_code == 200 and "手机号（11 位）" in body and 'value="任春早"' in body
    assert not Application.objects.exists()
    data["applicant_phone"] = "13912345678"
    r = c.post("/servicehall/desk/", data)
    assert r.status_code == 302
    assert Application.objects.get().status == "accepted"


def test_a_move_refused_on_the_page_says_why(hall):
    app = apps.intake(hall.village_clerk, form(hall, "MZ-001"), now=MON)
    c = client_for(hall.village_clerk)
    r = c.post(f"/servicehall/a/{app.number}/", {"move": "refuse", "reason": ""}, follow=True)
    assert "须填写理由" in r.content.decode()
    r = c.post(f"/servicehall/a/{app.number}/", {"move": "bogus"}, follow=True)
    assert r.status_code == 200
    assert client_for(hall.other_town_clerk).get(f"/servicehall/a/{app.number}/").status_code == 404


def test_the_applicant_tracks_signs_and_rates_without_login(hall):
    app = apps.intake(hall.village_clerk, form(hall, "RS-001"), now=MON)
    c = Client()
    r = c.post("/servicehall/track/", {"number": app.number, "phone": "13000000000"})
    assert "未找到该办件" in r.content.decode()
    r = c.post("/servicehall/track/", {"number": app.number, "phone": app.applicant_phone})
    assert "确认并签名" in r.content.decode()
    r = c.post("/servicehall/track/", {"number": app.number, "phone": app.applicant_phone,
               "action": "sign", "signed_hash": "0" * 64,
               "signature": "data:image/png;base64,iVBORw0KGgo="})  # fmt: skip
    assert "申请内容已变更" in r.content.decode()
    mv(hall.village_clerk, app, "pass", now=MON)
    mv(hall.town_clerk, app, "approve", now=MON)
    r = c.post("/servicehall/track/", {"number": app.number, "phone": app.applicant_phone,
               "action": "rate", "score": "1", "comment": "态度差"})  # fmt: skip
    assert "已转整改" in r.content.decode()
    assert Rating.objects.get().rectification.due is not None


def test_the_vain_visit_desk_records_and_follows_up(hall):
    c = client_for(hall.town_clerk)
    r = c.post("/servicehall/vain/", {"resident_name": "黄桂英", "resident_phone": "139",
               "region_code": hall.t.village2.code, "what_happened": "没带原件"})  # fmt: skip
    assert "手机号应为 11 位数字" in r.content.decode() and not VainVisit.objects.exists()
    c.post("/servicehall/vain/", {"resident_name": "黄桂英", "resident_phone": "13991502233",
           "region_code": hall.t.village2.code, "what_happened": "没带原件"})  # fmt: skip
    row = VainVisit.objects.get()
    # another town's clerk cannot close it
    client_for(hall.other_town_clerk).post("/servicehall/vain/", {"resolve": row.pk,
                                           "follow_up": "x"})  # fmt: skip
    row.refresh_from_db()
    assert row.resolved_at is None
    assert (
        "黄桂英" not in client_for(hall.other_town_clerk).get("/servicehall/vain/").content.decode()
    )
    c.post("/servicehall/vain/", {"resolve": row.pk, "follow_up": "代办员上门取件已办成"})
    row.refresh_from_db()
    assert row.resolved_at is not None


def test_the_agent_page_lists_the_agents_bookings(hall):
    from jiceng.servicehall import proxy
    from jiceng.servicehall.tests.test_ratings_proxy import MON, req

    proxy.request(req(hall), now=MON)
    body = client_for(hall.agent_user).get("/servicehall/agent/").content.decode()
    assert "王德福" in body and "上门代办" in body
    assert client_for(hall.users.street).get("/servicehall/agent/").status_code == 403


def test_a_resident_books_a_proxy_on_the_phone_page(hall):
    c = Client()
    r = c.post("/servicehall/book/", {"item_code": "MZ-001", "kind": "home",
               "resident_name": "王德福", "resident_phone": "1370000",
               "region_code": hall.t.village2.code})  # fmt: skip
    assert "手机号（11 位）" in r.content.decode()
    r = c.post("/servicehall/book/", {"item_code": "MZ-001", "kind": "home",
               "resident_name": "王德福", "resident_phone": "13700001111",
               "region_code": hall.t.village2.code})  # fmt: skip
    assert "预约成功" in r.content.decode() and "代办员" in r.content.decode()


def test_the_import_page_lists_every_error_and_refuses_others(hall):
    assert client_for(hall.town_clerk).get("/servicehall/import/").status_code == 403
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client_for(hall.users.district).post("/servicehall/import/",
                                             {"file": SimpleUploadedFile("x.xlsx", b"junk")})  # fmt: skip
    assert "不是 Excel 工作簿" in r.content.decode()


def test_the_board_shows_towns_weeks_and_agents_and_records_a_review(hall):
    c = client_for(hall.users.street)
    body = c.get("/servicehall/board/").content.decode()
    assert "城关镇" in body and "涧池镇" not in body and hall.agent_user.display_name in body
    r = c.post("/servicehall/board/", {"agent": hall.agent.pk, "reviewer": "", "score": "5"},
               follow=True)  # fmt: skip
    assert "评议须填写评议人" in r.content.decode()
    c.post("/servicehall/board/", {"agent": hall.agent.pk, "reviewer": "村民代表", "score": "4"})
    assert hall.agent.reviews.get().score == 4
    # another town's dispatcher sees no agent of 城关镇 and cannot review one
    other = client_for(hall.users.other_street)
    assert hall.agent_user.display_name not in other.get("/servicehall/board/").content.decode()
    r = other.post("/servicehall/board/", {"agent": hall.agent.pk, "reviewer": "x", "score": "1"},
                   follow=True)  # fmt: skip
    assert "不在您的管辖范围内" in r.content.decode() and hall.agent.reviews.count() == 1
    assert client_for(hall.users.resident).get("/servicehall/board/").status_code == 403


def test_the_whereabouts_board_shows_the_latest_status_in_the_territory(hall):
    c = client_for(hall.village_clerk)
    c.post("/servicehall/whereabouts/", {"status": "out", "note": "上门代办"})
    c.post("/servicehall/whereabouts/", {"status": "on_duty"})
    r = client_for(hall.users.resident).post("/servicehall/whereabouts/", {"status": "out"})
    assert r.status_code == 403
    r = client_for(hall.users.street).post("/servicehall/whereabouts/", {"status": "out"},
                                           follow=True)  # fmt: skip
    assert "只有窗口工作人员和代办员登记去向" in r.content.decode()
    r = c.post("/servicehall/whereabouts/", {"status": "out", "until": "2020-01-01T10:00"},
               follow=True)  # fmt: skip
    assert "预计返回时间应晚于现在" in r.content.decode()
    from jiceng.servicehall import whereabouts

    rows = {r["name"]: r for r in whereabouts.board(hall.users.street)}
    assert rows[hall.village_clerk.display_name]["label"] == "在岗"
    assert rows[hall.agent_user.display_name]["label"] == "未登记"
    assert hall.other_town_clerk.display_name not in rows


def test_the_catalogue_export_page_is_for_staff_and_gives_a_workbook(hall):
    r = client_for(hall.town_clerk).get("/servicehall/catalogue.xlsx")
    assert r.status_code == 200 and r.content.startswith(b"PK")
    assert client_for(hall.users.resident).get("/servicehall/catalogue.xlsx").status_code == 403
    assert (
        "导出 Excel"
        not in client_for(hall.users.resident).get("/servicehall/guide/").content.decode()
    )
    assert (
        "导入 Excel" in client_for(hall.users.district).get("/servicehall/guide/").content.decode()
    )
