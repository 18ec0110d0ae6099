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
