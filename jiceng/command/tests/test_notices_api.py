"""The notices JSON API (/api/v1/command/notices…): send, my list, read receipt,
acknowledgement, completion report, the sender's lists — each rule with a refused user."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from jiceng.command.models import Notice, NoticeRecipient
from jiceng.testing import client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/command/notices"


def _post(c, url, data):
    return c.post(url, json.dumps(data), content_type="application/json")


def _instruction(users, due=None):
    due = due or timezone.now() + timedelta(days=1)
    r = _post(
        client_for(users.district),
        API,
        {
            "kind": "instruction",
            "title": "防汛检查",
            "body": "请各网格于明日前完成河道巡查",
            "region_codes": ["610921001"],
            "roles": ["grid_worker", "community_staff"],
            "due_at": due.isoformat(),
        },
    )
    assert r.status_code == 201, r.content
    return r.json()


def test_an_instruction_through_the_api_read_acknowledged_completed_and_overdue(users):
    sent = _instruction(users)
    nid = sent["id"]
    assert {x["name"] for x in sent["receipts"]} and len(sent["receipts"]) == 2
    gw = client_for(users.grid_worker)
    mine = gw.get(API).json()
    assert [n["id"] for n in mine] == [nid] and mine[0]["read_at"] is None
    assert gw.get(f"{API}?kind=announcement").json() == []
    one = gw.get(f"{API}/{nid}").json()
    assert one["read_at"] and one["receipts"] is None  # a recipient sees no one else's
    ack = _post(gw, f"{API}/{nid}/ack", {}).json()
    assert ack["acked_at"] and ack["done_at"] is None
    empty = _post(gw, f"{API}/{nid}/complete", {"report": "  "})
    assert empty.status_code == 400 and "请填写办结情况" in empty.json()["error"]["message"]
    done = _post(gw, f"{API}/{nid}/complete", {"report": "已巡查，无险情"}).json()
    assert done["done_at"] and done["report"] == "已巡查，无险情"
    again = _post(gw, f"{API}/{nid}/complete", {"report": "改一下"})
    assert again.status_code == 400 and "不能重复报告" in again.json()["error"]["message"]
    assert NoticeRecipient.objects.get(user=users.grid_worker).report == "已巡查，无险情"
    # the sender: counts, receipts, and nothing overdue before the deadline
    d = client_for(users.district)
    (row,) = d.get(f"{API}/sent").json()
    assert (row["total"], row["read"], row["acked"], row["done"], row["overdue"]) == (2, 1, 1, 1, 0)
    assert d.get(f"{API}/overdue").json() == []
    detail = d.get(f"{API}/{nid}").json()
    assert [r["report"] for r in detail["receipts"] if r["done_at"]] == ["已巡查，无险情"]
    # past the deadline: the community staff has not finished → listed as overdue
    Notice.objects.filter(pk=nid).update(due_at=timezone.now() - timedelta(minutes=1))
    (late,) = d.get(f"{API}/overdue").json()
    assert late["id"] == nid and late["overdue"] == 1 and late["total"] == 2
    c = client_for(users.community)
    assert c.get(API).json()[0]["overdue"] is True


def test_who_is_refused_what(users):
    nid = _instruction(users)["id"]
    # my list holds only what was sent to me
    for u in (users.other_street, users.department, users.resident, users.street):
        assert client_for(u).get(API).json() == []
    # reading, acknowledging, completing: only the recipients (404 for anyone else)
    for u in (users.other_street, users.department, users.resident):
        c = client_for(u)
        for r in (
            c.get(f"{API}/{nid}"),
            _post(c, f"{API}/{nid}/ack", {}),
            _post(c, f"{API}/{nid}/complete", {"report": "完成"}),
        ):
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert not NoticeRecipient.objects.filter(acked_at__isnull=False).exists()
    # the author cannot acknowledge its own instruction
    assert _post(client_for(users.district), f"{API}/{nid}/ack", {}).status_code == 400
    # sender lists: only those who may send (403), and only their own notices
    for u in (users.resident, users.grid_worker):
        for path in ("sent", "overdue"):
            r = client_for(u).get(f"{API}/{path}")
            assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert client_for(users.street).get(f"{API}/sent").json() == []
    # sending: refused to a resident, outside the sender's street, or to an empty group
    body = {"kind": "announcement", "title": "通知", "body": "内容", "region_codes": ["610921002"]}
    assert _post(client_for(users.resident), API, body).status_code == 403
    r = _post(client_for(users.street), API, body)
    assert r.status_code == 404 and "不在您的管辖范围内" in r.json()["error"]["message"]
    # an announcement to a read-only recipient cannot be acknowledged
    ann = _post(client_for(users.district), API, {**body, "region_codes": ["610921001"]}).json()
    r = _post(client_for(users.grid_worker), f"{API}/{ann['id']}/ack", {})
    assert r.status_code == 400 and "只有指令的接收人可以签收" in r.json()["error"]["message"]
    assert anonymous_refused()


def anonymous_refused() -> bool:
    from django.test import Client

    return Client().get(API).status_code == 401


def test_an_instruction_to_an_empty_group_is_a_clear_400_and_nothing_is_sent(users):
    r = _post(
        client_for(users.district),
        API,
        {
            "kind": "instruction",
            "title": "排查",
            "body": "内容",
            "region_codes": ["610921002"],
            "roles": ["department_handler"],
            "due_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
    )
    assert r.status_code == 400
    assert r.json()["error"] == {
        "code": "invalid",
        "message": "所选区域和角色中没有接收人，未发送（请调整区域或角色）",
    }
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    "url,method,data",
    [
        (f"{API}?kind=memo", "get", None),
        (f"{API}/100000000000000000000", "get", None),
        (f"{API}/0/ack", "post", {}),
        (f"{API}/1/complete", "post", {"report": "x" * 2001}),
        (API, "post", {"kind": "memo", "title": "t", "body": "b", "region_codes": ["610921"]}),
        (API, "post", {"kind": "instruction", "title": "t", "body": "b", "region_codes": ["1"] * 51}),
        (API, "post", {"kind": "instruction", "title": "t", "body": "b", "region_codes": ["610921"], "due_at": "明天"}),
    ],
)  # fmt: skip
def test_bad_parameters_are_422_never_a_500(users, url, method, data):
    c = client_for(users.district)
    r = c.get(url) if method == "get" else _post(c, url, data)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    "url",
    [
        f"{API}?size=0",
        f"{API}?size=201",
        f"{API}?page=100000000000000000000",
        f"{API}/sent?size=100000000000000000000",
        f"{API}/overdue?page=abc",
    ],
)
def test_a_bad_page_or_size_is_a_400_naming_it(users, url):
    # paging outside its bounds: 400 invalid_page, like a bad filter (decision 0106)
    r = client_for(users.district).get(url)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_page"
    assert r.json()["error"]["details"][0]["loc"][0] == "query"


def test_the_notices_api_declares_its_errors(users):
    doc = client_for(users.district).get("/api/v1/openapi.json").json()
    for path, method in (
        ("/api/v1/command/notices", "get"),
        ("/api/v1/command/notices", "post"),
        ("/api/v1/command/notices/sent", "get"),
        ("/api/v1/command/notices/overdue", "get"),
        ("/api/v1/command/notices/{notice_id}", "get"),
        ("/api/v1/command/notices/{notice_id}/ack", "post"),
        ("/api/v1/command/notices/{notice_id}/complete", "post"),
    ):
        responses = doc["paths"][path][method]["responses"]
        assert {"400", "403", "404", "422"} <= set(responses), (path, method)
