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
