"""Personal data never leaks to a role that may not see it; every full view is logged."""

import json
from datetime import date

import pytest

from jiceng.accounts.models import AccessLog
from jiceng.lib import idcard, phones
from jiceng.testing import client_for

MASKED_ROLES = ["street", "district", "auditor"]


def secrets_of(p):
    return [p.r1.id_number, p.r1.phone, p.spouse.id_number, p.spouse.phone, "5组17号"]


def assert_no_secrets(body: str, p):
    for s in secrets_of(p):
        assert s not in body, f"{s} leaked"


def masked_views(p, territory):
    code = territory.grid3a.code
    return [
        f"/api/v1/people/households?region={code}",
        f"/api/v1/people/households/{p.h1.id}",
        f"/api/v1/people/residents?q={p.r1.id_number}",
        f"/api/v1/people/residents?q={p.r1.phone}",
        "/api/v1/people/residents?q=张秀兰",
        f"/api/v1/people/residents/{p.r1.id}",
        f"/people/h/{p.h1.id}/",
        f"/people/r/{p.r1.id}/",
        ("post", "/people/search/", {"q": p.r1.id_number}),
        ("post", "/people/search/", {"q": p.r1.phone}),
        f"/people/overview/{code}/",
        f"/people/overview/{code}/export.csv",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", MASKED_ROLES)
def test_roles_that_may_not_see_personal_data_get_it_masked_everywhere(
    role, users, territory, people
):
    c = client_for(getattr(users, role))
    for url in masked_views(people, territory):
        if isinstance(url, tuple):
            _, url, data = url
            resp = c.post(url, data)
        else:
            resp = c.get(url)
        if role == "auditor" and "residents?q=" in url and url[-1].isdigit():
            assert resp.status_code == 403  # a lookup by a number is a view of it
            continue
        if role == "auditor" and "export" in url:
            assert resp.status_code == 403  # the auditor reads the log, not the people
            continue
        assert resp.status_code == 200, url
        body = (
            b"".join(resp.streaming_content).decode() if resp.streaming else resp.content.decode()
        )
        assert_no_secrets(body, people)
        if role == "auditor" and "search" in url:
            # a lookup by a number is a view of it: the auditor may not (accounts.lookups)
            assert "不能按证件号码或电话查找" in body, url
            continue
        if (
            "households/" in url
            or "/h/" in url
            or "residents" in url
            or "search" in url
            or "export" in url
        ):
            assert idcard.mask(people.r1.id_number) in body or "HY-A-001" in body, url
    # no full view; the street's searches by number are logged as lookups
    assert not AccessLog.objects.exclude(subject_type__startswith="lookup:").exists()


@pytest.mark.django_db
def test_masked_export_in_excel_holds_no_full_numbers(users, territory, people):
    import io

    from openpyxl import load_workbook

    from jiceng.people.tests.test_export_jobs import xlsx_export

    data = xlsx_export(client_for(users.street), f"/people/overview/{territory.grid3a.code}/")
    ws = load_workbook(io.BytesIO(data)).active
    cells = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
    assert_no_secrets(cells, people)
    assert idcard.mask(people.r1.id_number) in cells


@pytest.mark.django_db
def test_a_grid_worker_sees_the_full_household_file_of_their_grid_and_each_view_is_logged(
    users, people
):
    c = client_for(users.grid_worker)
    body = c.get(f"/people/h/{people.h1.id}/").content.decode()
    assert people.r1.id_number in body and people.spouse.phone in body
    api = c.get(f"/api/v1/people/households/{people.h1.id}").json()
    assert api["members"][0]["id_number"] in (people.r1.id_number, people.spouse.id_number)
    # one row per view, about the household, listing the people seen (decision 0071)
    logged = AccessLog.objects.filter(viewer=users.grid_worker)
    assert {(e.subject_type, e.subject_id, e.channel) for e in logged} == {
        ("household", str(people.h1.id), "page"),
        ("household", str(people.h1.id), "api"),
    }
    for e in logged:
        assert {(s.subject_type, s.subject_id) for s in e.subjects.all()} == {
            ("resident", str(people.r1.id)),
            ("resident", str(people.spouse.id)),
        }
    assert all(e.reason == "本辖区日常服务" for e in logged)


@pytest.mark.django_db
def test_search_results_are_masked_even_for_a_grid_worker(users, people):
    body = client_for(users.grid_worker).get(f"/api/v1/people/residents?q={people.r1.phone}").json()
    assert body["total"] == 1
    assert body["items"][0]["phone"] == phones.mask(people.r1.phone)
    assert body["items"][0]["id_number"] == idcard.mask(people.r1.id_number)


@pytest.mark.django_db
def test_a_dispatcher_sees_full_data_only_after_giving_a_reason_which_is_logged(users, people):
    c = client_for(users.street)
    url = f"/api/v1/people/households/{people.h1.id}/reveal"
    short = c.post(url, json.dumps({"reason": "看"}), content_type="application/json")
    assert short.status_code == 400 and "事由" in short.json()["error"]["message"]
    assert not AccessLog.objects.exists()
    ok = c.post(url, json.dumps({"reason": "核实低保申请材料"}), content_type="application/json")
    assert ok.status_code == 200
    assert people.r1.id_number in ok.content.decode()
    entries = AccessLog.objects.filter(
        viewer=users.street, reason="核实低保申请材料", channel="api"
    )
    assert entries.count() == 1
    assert entries.filter(subject_type="household", subject_id=str(people.h1.id)).exists()
    assert entries.about("resident", people.r1.id).exists()
    # on the page too
    page = c.post(f"/people/h/{people.h1.id}/reveal/", {"reason": "入户核查安全隐患"})
    assert people.r1.id_number in page.content.decode()
    on_page = AccessLog.objects.filter(
        viewer=users.street, channel="page", reason="入户核查安全隐患"
    )
    assert on_page.count() == 1 and on_page.get().subjects.count() == 2


@pytest.mark.django_db
def test_the_auditor_may_not_reveal_personal_data(users, people):
    c = client_for(users.auditor)
    resp = c.post(
        f"/api/v1/people/residents/{people.r1.id}/reveal",
        json.dumps({"reason": "抽查个人信息"}),
        content_type="application/json",
    )
    assert resp.status_code == 403
    assert people.r1.id_number not in resp.content.decode()
    page = c.post(f"/people/r/{people.r1.id}/reveal/", {"reason": "抽查个人信息"})
    assert page.status_code == 403
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
def test_a_full_export_needs_a_reason_and_logs_every_person_exported(users, territory, people):
    c = client_for(users.grid_worker)
    url = f"/people/overview/{territory.grid3a.code}/export.csv"
    masked = b"".join(c.get(url).streaming_content).decode()
    assert_no_secrets(masked, people)
    full = b"".join(c.get(url + "?reason=年度人口核查").streaming_content).decode()
    assert people.r1.id_number in full
    logged = AccessLog.objects.get(channel="export", viewer=users.grid_worker)
    assert (logged.subject_type, logged.subject_id) == ("region", territory.grid3a.code)
    assert {s.subject_id for s in logged.subjects.all()} == {
        str(people.r1.id),
        str(people.spouse.id),
    }
    # a dispatcher may not export in full
    refused = client_for(users.street).get(url + "?reason=年度人口核查")
    assert refused.status_code == 403


@pytest.mark.django_db
def test_sensitive_care_tags_are_named_only_to_viewers_with_full_access(users, people):
    from jiceng.people import services

    services.add_tag(
        users.district,
        people.r1,
        "community_correction",
        {"correction_type": "缓刑", "start": "2025-09-01"},
    )
    masked = client_for(users.street).get(f"/api/v1/people/residents/{people.r1.id}").json()
    assert [t["name"] for t in masked["tags"]] == ["特殊人群"]
    assert "缓刑" not in json.dumps(masked, ensure_ascii=False)
    full = client_for(users.grid_worker).get(f"/api/v1/people/residents/{people.r1.id}").json()
    assert [t["name"] for t in full["tags"]] == ["社区矫正对象"]
    assert full["tags"][0]["values"]["correction_type"] == "缓刑"


@pytest.mark.django_db
def test_contact_line_phones_are_masked_and_logged_like_members(users, territory, people):
    """Issue 9 item 5: the 中心户长's phone was shown in full on a masked household file."""
    from jiceng.people.models import ContactLink, ContactPerson

    head = ContactPerson.objects.create(
        kind="central_head",
        name="周长富",
        phone="13700007777",
        grid=territory.grid3a,
        grid_code=territory.grid3a.code,
    )
    ContactLink.objects.create(contact=head, household=people.h1)
    for user in (users.street, users.auditor):
        c = client_for(user)
        page = c.get(f"/people/h/{people.h1.id}/").content.decode()
        api = c.get(f"/api/v1/people/households/{people.h1.id}").json()
        assert "13700007777" not in page and "137****7777" in page
        assert api["contacts"] == [
            {"kind": "中心户长", "name": "周长富", "phone": "137****7777", "title": ""}
        ]
    assert not AccessLog.objects.exists()
    c = client_for(users.grid_worker)
    assert "13700007777" in c.get(f"/people/h/{people.h1.id}/").content.decode()
    logged = AccessLog.objects.about("contact", head.id).filter(viewer=users.grid_worker)
    assert [(e.subject_type, e.channel) for e in logged] == [("household", "page")]


@pytest.mark.django_db
def test_one_household_view_of_five_people_is_one_row_and_each_person_is_found(
    users, territory, people
):
    """Issue 17 item 13: a household view wrote one access-log row per person seen. Now one
    view = one row listing the five people (four members and a contact), and the auditor's
    "who viewed this person" still finds the view for each of them, on the page and in the
    API, on the desktop page and on the phone page."""
    from jiceng.people import services
    from jiceng.people.models import ContactLink, ContactPerson

    h = people.h1
    for n, name in enumerate(("王小明", "王小红"), start=1):
        services.create_resident(
            users.district,
            {
                "household_id": h.id,
                "name": name,
                "id_number": idcard.make("610921", date(2010, 1, n), 50 + n),
                "relation": "child",
            },  # fmt: skip
        )
    head = ContactPerson.objects.create(
        kind="central_head", name="周长富", phone="13700007777", grid=territory.grid3a,
        grid_code=territory.grid3a.code,
    )  # fmt: skip
    ContactLink.objects.create(contact=head, household=h)
    members = list(h.members.all())
    assert len(members) == 4
    for url in (f"/people/h/{h.id}/", f"/people/m/h/{h.id}/"):
        before = AccessLog.objects.count()
        assert client_for(users.grid_worker).get(url).status_code == 200
        assert AccessLog.objects.count() == before + 1, url
        view = AccessLog.objects.order_by("-id").first()
        assert (view.subject_type, view.subject_id) == ("household", str(h.id))
        assert sorted((s.subject_type, s.subject_label) for s in view.subjects.all()) == sorted(
            [("resident", m.name) for m in members] + [("contact", "周长富")]
        )
    # the auditor finds each person's views: by record and by name, page and API
    auditor = client_for(users.auditor)
    for kind, pk, name in [("resident", m.id, m.name) for m in members] + [
        ("contact", head.id, "周长富")
    ]:
        api = auditor.get(f"/api/v1/people/access-log?subject_type={kind}&subject_id={pk}").json()
        assert api["total"] == 2, name
        assert {i["subject_label"] for i in api["items"]} == {"HY-A-001"}
        assert name in {s["label"] for s in api["items"][0]["subjects"]}
        assert auditor.get(f"/api/v1/people/access-log?subject={name}").json()["total"] == 2
        page = auditor.get(f"/people/access-log/?subject={kind}%23{pk}").content.decode()
        assert page.count("HY-A-001") == 2 and name in page, name
        by_name = auditor.get(f"/people/access-log/?subject={name}").content.decode()
        assert by_name.count("HY-A-001") == 2, name
    # in English the page says so in English (names are data)
    from jiceng.lib.tests.test_language import _english, leftover_chinese

    english = _english(client_for(users.auditor)).get("/people/access-log/").content.decode()
    assert "viewed 5 people:" in english and leftover_chinese(english) == []
    # a person in no view is in no row; another household's resident finds nothing
    nobody = auditor.get(
        f"/api/v1/people/access-log?subject_type=resident&subject_id={people.r2.id}"
    )
    assert nobody.json()["total"] == 0
    # the listed people are as append-only as the log
    s = AccessLog.objects.first().subjects.first()
    with pytest.raises(ValueError):
        s.delete()
    with pytest.raises(ValueError):
        s.save()
