from __future__ import annotations

import pytest

from jiceng.community.models import Dispute, Message, Publication


@pytest.mark.django_db
def test_the_demo_fills_boards_messages_and_disputes_in_every_state(territory):
    from jiceng.accounts import demo as accounts_demo
    from jiceng.community import demo as community_demo
    from jiceng.community import inbox, mediation
    from jiceng.core.demo import DemoContext

    ctx = DemoContext(scale=0.5, county_code=territory.county.code)
    accounts_demo.build(ctx)
    community_demo.build(ctx)
    assert set(Publication.objects.values_list("kind", flat=True)) == {
        "notice",
        "party",
        "village",
        "finance",
    }
    assert Publication.objects.filter(versions_count=2).exists()
    assert set(Dispute.objects.values_list("status", flat=True)) == set(Dispute.Status.values)
    assert set(Dispute.objects.values_list("level", flat=True)) == {"village", "town", "county"}
    from django.utils import timezone

    assert Message.objects.filter(inbox.overdue_q(timezone.now())).exists()
    assert Message.objects.exclude(case_number="").exists()
    village = Publication.objects.filter(kind="finance", versions_count=2).get().village_code
    assert inbox.echo_wall(village).count() >= 3
    from jiceng.community.models import Task, Topic

    assert set(Topic.objects.values_list("status", flat=True)) == {"adopted", "voting", "proposed"}
    assert (
        Task.objects.filter(done_at__isnull=False).exists()
        and Task.objects.filter(done_at=None).exists()
    )
    from jiceng.community import points
    from jiceng.community.models import CoAgreement

    red, _ = points.boards(village, timezone.localdate())
    assert red and set(CoAgreement.objects.values_list("stage", flat=True)) == {
        "evaluated",
        "performing",
        "negotiating",
    }
    r = mediation.rates(territory.town1.code)
    assert r["villages"][village]["pct"] == "85.7%"  # 三台's figure, on the red board
    red_v, black_v = mediation.honour_board(r["villages"])
    assert village in red_v and black_v
