"""Every endpoint and page refuses users outside the territory or without the role."""

import json

import pytest

from jiceng.testing import client_for

OUTSIDERS = ["other_street", "other_district", "no_scope", "resident", "department"]


def requests_for(p, t):
    h, r = p.h1.id, p.r1.id
    js = "application/json"
    return [
        ("get", f"/api/v1/people/households/{h}", None),
        ("post", f"/api/v1/people/households/{h}/reveal", json.dumps({"reason": "核实身份信息"})),
        ("patch", f"/api/v1/people/households/{h}", json.dumps({"annual_income": 1})),
        ("get", f"/api/v1/people/households/{h}/visits", None),
        ("post", f"/api/v1/people/households/{h}/visits", json.dumps({"found": "正常"})),
        ("get", f"/api/v1/people/households/{h}/colour-history", None),
        ("get", f"/api/v1/people/residents/{r}", None),
        ("post", f"/api/v1/people/residents/{r}/reveal", json.dumps({"reason": "核实身份信息"})),
        ("patch", f"/api/v1/people/residents/{r}", json.dumps({"name": "改名"})),
        (
            "post",
            f"/api/v1/people/residents/{r}/tags",
            json.dumps({"type": "key_youth", "values": {"category": "其他"}}),
        ),
        ("get", f"/api/v1/people/counts?region={t.grid3a.code}", None),
        ("get", f"/people/h/{h}/", None),
        ("post", f"/people/h/{h}/reveal/", {"reason": "核实身份信息"}),
        ("post", f"/people/h/{h}/visits/", {"found": "正常"}),
        ("post", f"/people/h/{h}/edit/", {"annual_income": "1"}),
        ("get", f"/people/r/{r}/", None),
        ("post", f"/people/r/{r}/reveal/", {"reason": "核实身份信息"}),
        ("post", f"/people/r/{r}/tags/", {"type": "key_youth", "f_key_youth_category": "其他"}),
        ("get", f"/people/m/h/{h}/", None),
        ("get", f"/people/overview/{t.grid3a.code}/", None),
        ("get", f"/people/overview/{t.grid3a.code}/export.csv", None),
    ], js


@pytest.mark.django_db
@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_are_refused_every_household_endpoint_and_page(who, users, territory, people):
    from jiceng.accounts.models import AccessLog
    from jiceng.people.models import CareTag, Visit

    c = client_for(getattr(users, who))
    reqs, js = requests_for(people, territory)
    for method, url, data in reqs:
        if url.startswith("/api/"):
            resp = (
                getattr(c, method)(url, data, content_type=js) if data else getattr(c, method)(url)
            )
        else:
            resp = getattr(c, method)(url, data) if data else getattr(c, method)(url)
        assert resp.status_code in (403, 404), (method, url, resp.status_code)
        body = resp.content.decode()
        assert people.r1.name not in body and people.r1.id_number not in body, url
    assert not AccessLog.objects.exists()
    assert not Visit.objects.exists()
    assert not CareTag.objects.exists()
    people.h1.refresh_from_db()
    assert people.h1.annual_income != 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", OUTSIDERS)
def test_lists_and_searches_never_show_households_outside_the_territory(who, users, people):
    c = client_for(getattr(users, who))
    for url in [
        "/api/v1/people/households",
        f"/api/v1/people/residents?q={people.r1.name}",
        f"/api/v1/people/residents?q={people.r1.id_number}",
    ]:
        resp = c.get(url)
        assert resp.status_code in (200, 403), url
        assert (
            "HY-A-001" not in resp.content.decode() and people.r1.name not in resp.content.decode()
        )


@pytest.mark.django_db
def test_another_street_sees_its_own_households_only(users, people):
    body = client_for(users.other_street).get("/api/v1/people/households").json()
    assert [h["number"] for h in body["items"]] == ["HY-C-001"]


@pytest.mark.django_db
def test_a_grid_worker_sees_only_their_own_grid(users, people):
    c = client_for(users.grid_worker)
    assert [h["number"] for h in c.get("/api/v1/people/households").json()["items"]] == ["HY-A-001"]
    assert c.get(f"/api/v1/people/households/{people.h2.id}").status_code == 404
    assert c.get(f"/people/h/{people.h2.id}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["grid_worker", "street", "community", "resident", "department"])
def test_only_the_auditor_and_district_admin_read_the_access_log(who, users, people):
    c = client_for(getattr(users, who))
    assert c.get("/api/v1/people/access-log").status_code == 403
    assert c.get("/people/access-log/").status_code == 403


@pytest.mark.django_db
def test_the_auditor_reads_the_access_log_on_a_page_and_through_the_api(users, people):
    client_for(users.grid_worker).get(f"/people/h/{people.h1.id}/")
    client_for(users.other_district).post(
        f"/api/v1/people/households/{people.h4.id}/reveal",
        json.dumps({"reason": "核实户籍信息"}),
        content_type="application/json",
    )
    c = client_for(users.auditor)
    items = c.get("/api/v1/people/access-log").json()["items"]
    assert {i["viewer"] for i in items} == {"gridworker"}  # not the other county's viewers
    assert {i["channel"] for i in items} == {"page"}
    page = c.get("/people/access-log/").content.decode()
    assert "本辖区日常服务" in page and "HY-A-001" in page
    # another county's administrator reads only their own county's entries
    other = client_for(users.other_district).get("/api/v1/people/access-log").json()["items"]
    assert {i["viewer"] for i in other} == {"otherdistrict"}
