"""Issue 17 on the people pages: the grid worker's day starts on today's visits and stays
on the phone."""

from __future__ import annotations

import pytest

from jiceng.people.models import ColourService, Household
from jiceng.testing import client_for


@pytest.mark.django_db
def test_saving_a_visit_on_the_phone_page_stays_on_the_phone_page(users, people):
    c = client_for(users.grid_worker)
    back = f"/people/m/h/{people.h1.id}/"
    r = c.post(f"/people/h/{people.h1.id}/visits/", {"found": "老人身体健康", "back": back})
    assert r.status_code == 302 and r["Location"] == back
    # never to another site
    r = c.post(
        f"/people/h/{people.h1.id}/visits/", {"found": "一切正常", "back": "https://evil.example/"}
    )
    assert r["Location"].startswith(f"/people/h/{people.h1.id}/")


@pytest.mark.django_db
def test_the_grid_worker_lands_on_todays_visits_and_open_reports(users, people):
    ColourService.objects.update_or_create(
        colour="red", defaults={"name": "连心户", "service": "一对一", "visit_every_days": 7}
    )
    Household.objects.filter(pk=people.h1.pk).update(colour="red")
    body = client_for(users.grid_worker).get("/").content.decode()
    assert 'id="grid-day"' in body and "今日工作" in body
    visits = body.split('id="visits-due"')[1].split("</ul>")[0]
    assert people.h1.number in visits and "连心户" in visits
    # another grid's household is not on this worker's day
    assert people.h2.number not in body
    # the other roles land on their own work
    assert client_for(users.department).get("/")["Location"] == "/cases/inbox/"
    assert client_for(users.resident).get("/")["Location"] == "/cases/"


@pytest.mark.django_db
def test_the_template_names_a_grid_of_the_users_own_territory_and_imports_as_it_is(
    users, territory
):
    from jiceng.people.tests.test_import import upload

    c = client_for(users.street)  # 城关镇: its first grid, not a made-up code
    csv = c.get("/people/import/template.csv").content.decode("utf-8-sig")
    sample = csv.splitlines()[1].split(",")
    assert sample[1] == territory.grid3a.code and sample[2].startswith("城关社区第1网格")
    resp = upload(c, "template.csv", csv.encode("utf-8")).json()
    assert resp["ok"], resp["errors"]


@pytest.mark.django_db
def test_a_bad_row_reports_every_error_not_only_the_first(users, territory):
    from jiceng.people import testdata
    from jiceng.people.tests.test_import import upload

    row = testdata.rows(1, [territory.grid3a.code])[0]
    row[9] = "610921198001010011"  # bad check digit
    row[11] = "1234"  # not a phone
    row[5] = "两年"  # not a number of years
    body = upload(client_for(users.community), "r.csv", testdata.as_csv([row])).json()
    reason = body["errors"][0]["reason"]
    assert "证件" in reason or "身份证" in reason
    assert "1234" in reason and "平安家庭年数" in reason
