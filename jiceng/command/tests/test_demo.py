"""The command centre's part of the demo: the district's wall has figures that move
(new today, yellow and red cards), notices wait in the inboxes, a grid worker is on duty."""

from __future__ import annotations

import pytest

from jiceng.testing import client_for

pytestmark = pytest.mark.django_db


def test_the_demo_wall_moves_and_notices_exist(
    territory, django_capture_on_commit_callbacks, rollups
):
    from jiceng.accounts import demo as accounts_demo
    from jiceng.accounts.models import User
    from jiceng.cases import demo as cases_demo
    from jiceng.cases import services
    from jiceng.cases.models import Case
    from jiceng.command import demo as command_demo
    from jiceng.command import wall
    from jiceng.command.models import Notice, NoticeRecipient, Shift, TrackDay
    from jiceng.core.demo import DemoContext

    ctx = DemoContext(scale=0.3)
    # the demo runs in autocommit: each move's after-commit signal keeps the rollups
    with django_capture_on_commit_callbacks(execute=True):
        accounts_demo.build(ctx)
        cases_demo.build(ctx)
        command_demo.build(ctx)
    rollups.flush()  # what the server's rollup thread does ~0.1 s after the commits
    district = User.objects.get(username="district")
    s = wall.summary(district)
    assert s["today_new"] > 0 and s["open"] > 0
    assert s["yellow"] > 0 and s["red"] > 0, (s["yellow"], s["red"])
    assert any(t["red"] for t in s["by_tier"]) and any(u["open"] for u in s["by_unit"])
    # the page a district user lands on shows them
    page = client_for(district).get("/command/")
    assert page.status_code == 200
    # the yellow and red figures open the queue's cases with that card
    for card in ("yellow", "red"):
        assert f'href="/cases/?tab=all&amp;card={card}"' in page.content.decode()
        listed = client_for(district).get("/cases/", {"tab": "all", "card": card})
        carded = Case.objects.filter(card=card).count()
        assert carded > 0 and f"共 {carded} 件" in listed.content.decode(), card
    # a new case moves the wall and reaches the feed
    grid = User.objects.get(username="grid")
    before = s["today_new"]
    with django_capture_on_commit_callbacks(execute=True):
        case = services.intake(
            channel="grid",
            request_type="complaint",
            category=None,
            description="演示：小区门口井盖缺失",
            region_code=grid.scope.code,
            user=grid,
        )
    rollups.flush()
    after = wall.summary(district)
    assert after["today_new"] == before + 1
    assert wall.feed(district)[0]["number"] == case.number
    # notices: an announcement to the county, an instruction with a deadline, recipients
    kinds = set(Notice.objects.values_list("kind", flat=True))
    assert kinds == {Notice.ANNOUNCEMENT, Notice.INSTRUCTION}
    assert Notice.objects.get(kind=Notice.INSTRUCTION).due_at is not None
    assert NoticeRecipient.objects.filter(user=grid).count() == 2
    assert client_for(grid).get("/api/v1/command/notices").json()[0]["title"]
    # the demo grid worker is on duty with a track
    assert Shift.objects.filter(user=grid, ended_at__isnull=True).exists()
    assert TrackDay.objects.get(user=grid).n > 100
