from __future__ import annotations

import time

import pytest

from jiceng.cases.models import Case, Category, Status


@pytest.mark.django_db
def test_the_demo_fills_every_state_and_every_demo_queue(territory):
    from jiceng.accounts import demo as accounts_demo
    from jiceng.accounts.models import User
    from jiceng.cases import demo as cases_demo
    from jiceng.cases import services
    from jiceng.core.demo import DemoContext

    ctx = DemoContext(scale=0.5)
    accounts_demo.build(ctx)
    t0 = time.perf_counter()
    cases_demo.build(ctx)
    took = time.perf_counter() - t0
    states = set(Case.objects.values_list("status", flat=True))
    missing = {s for s in Status.values if s not in states} - {Status.SPLIT}
    assert not missing, f"demo lacks cases in {missing}"
    assert Category.objects.filter(extra_fields__len__gt=0).exists() or any(
        c.extra_fields for c in Category.objects.all()
    )
    from jiceng.cases.views import _todo_q

    for name in ["street", "dept", "resident", "grid", "district", "community"]:
        u = User.objects.get(username=name)
        assert services.visible_cases(u).filter(_todo_q(u)).exists(), f"{name}'s queue is empty"
    assert took < 30


@pytest.mark.django_db
def test_the_demo_wall_shows_a_few_red_and_about_a_tenth_yellow(territory):
    """A county's wall is mostly in time; the demo must not show a third of it red."""
    from jiceng.accounts import demo as accounts_demo
    from jiceng.cases import demo as cases_demo
    from jiceng.cases.workflow import WATCHED_STATES
    from jiceng.core.demo import DemoContext

    ctx = DemoContext(scale=0.5)
    accounts_demo.build(ctx)
    cases_demo.build(ctx)
    watched = Case.objects.filter(status__in=WATCHED_STATES)
    n = watched.count()
    red, yellow = watched.filter(card="red").count(), watched.filter(card="yellow").count()
    assert n > 50
    assert 1 <= red <= 0.1 * n, (red, n)
    assert 1 <= yellow <= 0.25 * n, (yellow, n)


@pytest.mark.django_db
def test_the_demo_ends_with_every_late_case_carded(territory):
    """Builders after the cases one leave cases past their limits too (the assessment's
    last month); the demo's last step cards them, so the queue's red filter and the wall's
    overdue figure agree from the start (27 against 8 before; new-user trial)."""
    from django.utils import timezone

    from jiceng.accounts import demo as accounts_demo
    from jiceng.assessment import demo as assessment_demo
    from jiceng.cases import demo as cases_demo
    from jiceng.cases import demo_cards
    from jiceng.cases.workflow import WATCHED_STATES
    from jiceng.core.demo import BUILDERS, DemoContext

    assert BUILDERS[-1] == "jiceng.cases.demo_cards"
    ctx = DemoContext(scale=0.3)
    for builder in (accounts_demo, cases_demo, assessment_demo):
        builder.build(ctx)
    watched = Case.objects.filter(status__in=WATCHED_STATES)
    late = set(watched.filter(deadline__lt=timezone.now()).values_list("pk", flat=True))
    assert late - set(watched.filter(card="red").values_list("pk", flat=True))  # uncarded
    demo_cards.build(ctx)
    late = set(watched.filter(deadline__lt=timezone.now()).values_list("pk", flat=True))
    assert set(watched.filter(card="red").values_list("pk", flat=True)) == late


# What the demo's 12345 operator must not do: the district administrator's work
OPERATOR_REFUSED = [
    "territory.import",
    "territory.edit",
    "cases.calendar",
    "cases.rules",
    "open311.keys",
    "people.rules",
    "people.full",
    "people.edit",
    "accesslog.view",
    "assessment.edit",
    "assessment.publish",
    "assessment.exclude",
    "servicehall.catalogue",
]
OPERATOR_PAGES_REFUSED = [
    "/cases/calendar/",
    "/cases/rules/",
    "/open311/keys/",
    "/territory/imports/",
    "/people/access-log/",
    "/admin/",
]


@pytest.mark.django_db
def test_the_demo_12345_operator_takes_a_call_and_is_refused_the_administrators_work(
    territory,
):
    from jiceng.accounts import demo as accounts_demo
    from jiceng.accounts.models import Role, User
    from jiceng.accounts.scope import can
    from jiceng.core.demo import DemoContext
    from jiceng.testing import client_for

    accounts_demo.build(DemoContext(scale=0.5))
    op = User.objects.get(username="hotline")
    assert "hotline" in accounts_demo.DEMO_USERS
    # the county's 12345 centre, the whole county: a caller may live anywhere in it
    assert op.role == Role.STREET_DISPATCHER and not op.is_staff and not op.is_superuser
    assert op.unit.code == territory.county.code and "12345" in op.unit.name
    assert op.scope_id == territory.county.pk
    for action in ("cases.view", "cases.hotline", "cases.reveal", "dispatch.suggest"):
        assert can(op, action), action

    cat = Category.objects.create(code="10", name="城乡建设", path="城乡建设",
                                  limit_amount=3, limit_unit="workdays")  # fmt: skip
    c = client_for(op)
    assert c.get("/cases/hotline/").status_code == 200
    village = territory.county.children.order_by("code").last().children.order_by("code").first()
    r = c.post(
        "/cases/hotline/",
        {
            "token": "t-hotline-1",
            "reporter_name": "王先生",
            "reporter_phone": "13900003333",
            "category": cat.code,
            "request_type": "complaint",
            "description": "村口路灯不亮已经一周",
            "region_code": village.code,  # the second town: not the demo street's
        },
    )
    assert r.status_code == 302, r.content.decode()[:500]
    case = Case.objects.get()
    assert case.channel == "hotline" and case.taken_by == op
    assert case.status == Status.REGISTERED and case.region_code == village.code
    assert case.number in c.get("/cases/", {"tab": "all"}).content.decode()
    # the caller's earlier cases as the operator types the number
    r = c.get("/cases/lookup/phone/", {"phone": "13900003333"})
    assert r.status_code == 200 and case.number in r.content.decode()

    refused = [a for a in OPERATOR_REFUSED if can(op, a)]
    assert not refused, refused
    for url in OPERATOR_PAGES_REFUSED:
        r = c.get(url)
        assert r.status_code in (302, 403), (url, r.status_code)
        if r.status_code == 302:
            assert "/login/" in r["Location"], (url, r["Location"])
    r = c.post("/assessment/metrics/", {"code": "satisfaction_rate", "reason": "改权重"})
    assert r.status_code == 403
