"""The demo hall builds on whatever territory exists, with applications in every state."""

import pytest

from jiceng.core.demo import DemoContext
from jiceng.servicehall import demo
from jiceng.servicehall.models import Application, Notice, ProxyRequest, Rating, ServiceItem
from jiceng.testing import client_for


@pytest.mark.django_db
def test_the_demo_hall_has_applications_in_every_state_and_its_clerk_sees_them(territory):
    from jiceng.cases import deadlines

    deadlines.invalidate()
    demo.build(DemoContext(scale=0.5))
    assert ServiceItem.objects.count() >= 20
    states = set(Application.objects.values_list("status", flat=True))
    assert {"awaiting", "accepted", "in_review", "approved", "delivered", "refused",
            "suspended", "withdrawn"} <= states  # fmt: skip
    assert Notice.objects.exists() and Rating.objects.exists() and ProxyRequest.objects.exists()
    from jiceng.accounts.models import User

    clerk = User.objects.get(username="clerk")
    body = client_for(clerk).get("/servicehall/desk/").content.decode()
    assert "待我层级办理" in body
    n = Application.objects.filter(region_code__startswith=clerk.scope.code).count()
    assert n == Application.objects.count() > 0
