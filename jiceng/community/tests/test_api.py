"""The API answers like the pages: public boards without credentials, structured errors."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jiceng.community import board
from jiceng.community.models import VillageSettings
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


def test_a_public_board_is_read_without_credentials_and_a_private_one_is_not(users, territory):
    code = territory.village1.code
    board.publish(users.community, code, kind="notice", title="停水通知", body="周六停水")
    anon = Client()
    r = anon.get(f"/api/v1/community/villages/{code}/board")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    VillageSettings.objects.create(village_code=code, public_board=True)
    r = anon.get(f"/api/v1/community/villages/{code}/board")
    assert r.status_code == 200 and [p["title"] for p in r.json()] == ["停水通知"]


def test_messages_through_the_api(users, territory, people):
    code = territory.village1.code
    c = client_for(people.resident)
    r = c.post(
        f"/api/v1/community/villages/{code}/messages",
        json.dumps({"body": "  "}),
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["error"]["message"] == "留言内容不能为空"
    r = c.post(
        f"/api/v1/community/villages/{code}/messages",
        json.dumps({"body": "桥栏杆松了", "public_consent": True}),
        content_type="application/json",
    )
    assert r.status_code == 201
    mid = r.json()["id"]
    r = client_for(users.other_street).post(
        f"/api/v1/community/messages/{mid}/reply",
        json.dumps({"reply": "好"}),
        content_type="application/json",
    )
    assert r.status_code == 404
    r = client_for(users.community).post(
        f"/api/v1/community/messages/{mid}/reply",
        json.dumps({"reply": "已加固"}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["reply"] == "已加固"
    assert [
        m["reply"]
        for m in client_for(people.resident).get(f"/api/v1/community/villages/{code}/echo").json()
    ] == ["已加固"]
    assert (
        client_for(people.other_resident).get(f"/api/v1/community/villages/{code}/echo").status_code
        == 404
    )


def test_the_openapi_document_declares_the_error_shape(users):
    doc = client_for(users.district).get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/community/messages/{pk}/reply"]["post"]
    assert {"400", "403", "404"} <= set(op["responses"])


def test_disputes_through_the_api_masked_until_revealed(users, territory):
    body = {
        "village_code": territory.village1.code,
        "kind": "neighbour",
        "place": "三组",
        "summary": "两家因排水沟改道发生争执，要求赔偿菜地损失",
        "amount": "3000",
        "parties": [
            {"role": "applicant", "name": "李建国", "phone": "13912345678"},
            {"role": "respondent", "name": "王德福"},
        ],
    }
    c = client_for(users.community)
    r = c.post("/api/v1/community/disputes", json.dumps(body), content_type="application/json")
    assert r.status_code == 201
    number = r.json()["number"]
    assert [p["name"] for p in r.json()["parties"]] == ["李**", "王**"]
    r = client_for(users.other_street).get(f"/api/v1/community/disputes/{number}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = c.post(
        f"/api/v1/community/disputes/{number}/reveal",
        json.dumps({"reason": "短"}),
        content_type="application/json",
    )
    assert r.status_code == 400
    r = c.post(
        f"/api/v1/community/disputes/{number}/reveal",
        json.dumps({"reason": "电话通知调解"}),
        content_type="application/json",
    )
    assert r.json()["parties"][0]["phone"] == "13912345678"
    r = c.post(
        f"/api/v1/community/disputes/{number}/escalate",
        json.dumps({"reason": "村级无法认定"}),
        content_type="application/json",
    )
    assert r.json()["level"] == "town"
    bad = {**body, "summary": "短", "parties": []}
    r = c.post("/api/v1/community/disputes", json.dumps(bad), content_type="application/json")
    assert r.status_code == 400 and "至少 10 个字" in r.json()["error"]["message"]
    r = client_for(users.street).get("/api/v1/community/mediation/rates")
    assert r.json()["levels"]["village"]["escalated"] == 1
    assert client_for(users.resident).get("/api/v1/community/mediation/rates").status_code == 403


def test_a_second_vote_through_the_api_is_a_clear_error(users, territory, people):
    from jiceng.community import deliberation

    t = deliberation.raise_topic(
        users.community, territory.village1.code, "健身器材", "村广场增设健身器材十件。"
    )
    deliberation.open_vote(users.community, t)
    c = client_for(people.resident)
    r = c.post(
        f"/api/v1/community/topics/{t.pk}/vote",
        json.dumps({"choice": "yes"}),
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["tally"]["yes"] == 1
    r = c.post(
        f"/api/v1/community/topics/{t.pk}/vote",
        json.dumps({"choice": "no"}),
        content_type="application/json",
    )
    assert r.status_code == 400 and "已经表决过" in r.json()["error"]["message"]
    r = client_for(people.other_resident).post(
        f"/api/v1/community/topics/{t.pk}/vote",
        json.dumps({"choice": "no"}),
        content_type="application/json",
    )
    assert r.status_code == 403
    r = c.get(f"/api/v1/community/villages/{territory.village1.code}/points?month=2026-13")
    assert r.status_code == 400
