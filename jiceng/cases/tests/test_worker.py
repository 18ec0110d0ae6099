"""The worker: cards, reminders, escalation and the outbox, safe under kills and races."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from jiceng.cases import outbox, services, worker
from jiceng.cases.models import Case, CaseEvent, Outbox, Tier, WorkerError


class Recorder(outbox.Gateway):
    def __init__(self, fail_on: str = ""):
        self.sent: list[str] = []
        self.fail_on = fail_on
        self.lock = threading.Lock()

    def send(self, msg):
        if self.fail_on and self.fail_on in msg.body:
            raise RuntimeError("gateway down for this number")
        with self.lock:
            self.sent.append(msg.dedupe_key)


@pytest.fixture
def gateway():
    gw = Recorder()
    outbox.set_gateway(gw)
    yield gw
    outbox.set_gateway(None)


def _cases(users, cats, n, *, due: str):
    out = []
    for i in range(n):
        c = services.intake(
            channel="hotline",
            request_type="complaint",
            category=cats.road,
            description=f"第{i}号路段路面破损需要修补",
            user=users.street,
            lon=108.405,
            lat=32.805,
        )
        c = services.transition(c, "dispatch", user=users.street)
        out.append(c)
    now = timezone.now()
    ids = [c.pk for c in out]
    if due == "yellow":
        Case.objects.filter(pk__in=ids).update(
            yellow_at=now - timedelta(minutes=5), deadline=now + timedelta(hours=5)
        )
    else:
        Case.objects.filter(pk__in=ids).update(
            yellow_at=now - timedelta(hours=5), deadline=now - timedelta(minutes=5)
        )
    Outbox.objects.all().delete()  # dispatch notices are not what these tests count
    return out


@pytest.mark.django_db
def test_a_due_yellow_time_gives_one_yellow_card_and_one_reminder(users, cats, gateway):
    cases = _cases(users, cats, 3, due="yellow")
    stats = worker.run_pass()
    assert stats["yellow"] == 3 and stats["red"] == 0
    assert set(Case.objects.values_list("card", flat=True)) == {"yellow"}
    assert CaseEvent.objects.filter(move="remind", actor_label="系统").count() == 3
    assert len(gateway.sent) == 3
    again = worker.run_pass()
    assert again["yellow"] == 0 and len(gateway.sent) == 3, "a second pass sends nothing new"
    assert all(c.remind_count == 1 for c in Case.objects.filter(pk__in=[x.pk for x in cases]))


@pytest.mark.django_db
def test_a_passed_deadline_gives_a_red_card_and_supervision_one_tier_up(users, cats, gateway):
    _cases(users, cats, 2, due="red")
    stats = worker.run_pass()
    assert stats["red"] == 2
    for c in Case.objects.all():
        assert c.card == "red" and c.supervised_tier == Tier.DISTRICT  # street → district
    sup = Outbox.objects.filter(kind="supervise")
    assert {o.to_unit.name for o in sup} == {"汉阴县综治中心", "汉阴县住房和城乡建设局"}


@pytest.mark.django_db
def test_one_bad_notification_never_stops_the_others(users, cats):
    _cases(users, cats, 3, due="yellow")
    bad = Case.objects.order_by("id").first()
    gw = Recorder(fail_on=bad.number)
    outbox.set_gateway(gw)
    try:
        stats = worker.run_pass()
    finally:
        outbox.set_gateway(None)
    assert stats["sent"] == 2 and stats["failed"] == 1
    row = Outbox.objects.get(case=bad)
    assert row.state == Outbox.PENDING and row.attempts == 1
    assert "gateway down" in row.last_error and row.next_attempt_at > timezone.now()


@pytest.mark.django_db
def test_a_worker_killed_mid_pass_loses_nothing(users, cats, gateway):
    _cases(users, cats, 4, due="yellow")

    def die(kind, ids):
        raise KeyboardInterrupt("killed")  # not an Exception: nothing inside may swallow it

    worker._after_batch_writes = die
    try:
        with pytest.raises(KeyboardInterrupt):
            worker.run_pass()
    finally:
        worker._after_batch_writes = None
    assert set(Case.objects.values_list("card", flat=True)) == {""}, "the batch rolled back"
    assert not CaseEvent.objects.filter(move="remind").exists()
    assert not Outbox.objects.exists()
    stats = worker.run_pass()
    assert stats["yellow"] == 4 and len(gateway.sent) == 4


@pytest.mark.django_db
def test_a_row_that_keeps_failing_is_recorded_and_skipped(users, cats, gateway):
    _cases(users, cats, 3, due="yellow")
    bad = Case.objects.order_by("id").first()

    def fail_for_bad(kind, ids):
        if bad.pk in ids:
            raise RuntimeError("broken row")

    worker._after_batch_writes = fail_for_bad
    try:
        stats = worker.run_pass()
    finally:
        worker._after_batch_writes = None
    assert stats["yellow"] == 2 and stats["errors"] == 1
    assert WorkerError.objects.filter(object_id=str(bad.pk)).exists()
    assert Case.objects.get(pk=bad.pk).card == ""


@pytest.mark.django_db
def test_the_worker_command_runs_one_pass_with_once(users, cats, gateway, capsys):
    _cases(users, cats, 1, due="red")
    call_command("worker", "--once")
    assert '"red": 1' in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_on_postgresql_never_duplicate_a_reminder(users, cats, gateway):
    assert connection.vendor == "postgresql"
    n = 60
    _cases(users, cats, n, due="yellow")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        from django.db import connection as conn

        try:
            barrier.wait()
            results.append(worker.run_pass(batch=7))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(r["yellow"] for r in results) == n
    assert CaseEvent.objects.filter(move="remind").count() == n
    assert Outbox.objects.filter(kind="remind").count() == n
    assert len(gateway.sent) == n == len(set(gateway.sent)), "every reminder sent exactly once"


@pytest.mark.django_db
def test_a_grid_case_past_its_deadline_moves_up_to_its_community(users, cats, gateway):
    case = services.intake(
        channel="grid",
        request_type="report",
        category=cats.road,
        description="村道塌方一段，需要机械修复",
        user=users.grid_worker,
        lon=108.405,
        lat=32.805,
    )
    assert case.tier == Tier.GRID
    Case.objects.filter(pk=case.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    worker.run_pass()
    case.refresh_from_db()
    assert case.tier == Tier.COMMUNITY and case.owner_unit.name == "城关社区居委会"
    assert case.card == "red" and case.escalate_count == 1
    assert CaseEvent.objects.filter(case=case, move="escalate", actor_label="系统").exists()
    # the community now dispatches it
    assert "dispatcher" in services.actor_kinds(users.community, case)


@pytest.mark.django_db
def test_a_year_without_calendar_data_is_flagged_and_fixed_once_entered(users, cats):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from jiceng.cases import deadlines
    from jiceng.cases.models import CalendarYear

    at = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday in 2027
    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,  # 3 working days
        description="路面破损需要修补",
        user=users.street,
        lon=108.405,
        lat=32.805,
        now=at,
    )
    assert case.calendar_missing, "2027 is not in the data: flagged, never silently weekdays"
    assert case.deadline == at + timedelta(days=3), "the stricter natural-day deadline meanwhile"
    CalendarYear.objects.create(year=2027, source="管理员录入")
    deadlines.invalidate()
    stats = worker.run_pass(now=at)
    case.refresh_from_db()
    assert stats["recomputed"] == 1 and not case.calendar_missing
    assert case.deadline == datetime(2027, 3, 4, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.django_db(transaction=True)
def test_the_one_key_alarm_reaches_the_command_room_at_once(users, units, gateway):
    case = services.intake(
        channel="alarm",
        request_type="help",
        category=None,
        description="河边有人落水，请立即救援",
        user=users.grid_worker,
        lon=108.405,
        lat=32.805,
    )
    assert case.urgency == 3
    sent = Outbox.objects.filter(case=case, kind="alarm")
    assert {o.to_unit.name for o in sent} == {"汉阴县综治中心", "城关镇综治中心"}
    assert all(o.state == Outbox.SENT for o in sent), "delivered on commit, not at the next pass"
    assert len(gateway.sent) == 2
