"""The service hall's watch pass: yellow and red cards on applications, overdue pending
materials and overdue rectifications become reminders in the platform's outbox.

Store the deadline, query for lateness: the pass reads the stored `yellow_at`,
`promised_due`, `pending_until` and `Rectification.due`; it writes nothing on the
applications themselves (the card is a query) and queues one reminder per fact with a
dedupe key (number + deadline), so running it twice, or in two processes, sends nothing
twice. A moved deadline (suspension, extension) is a new fact and is reminded again.
Run it beside `jiceng worker` (`jiceng servicehall-watch`, e.g. every few minutes).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from jiceng.servicehall import applications as apps
from jiceng.servicehall import facts
from jiceng.servicehall.models import Application, Rectification, Status

BATCH = 1000


def run_pass(now: datetime | None = None) -> dict[str, int]:
    """One pass; returns how many reminders were queued of each kind."""
    now = now or timezone.now()
    out = {"red": 0, "yellow": 0, "pending": 0, "rectification": 0}
    qs = Application.objects.select_related("version__item", "clerk")
    with transaction.atomic():
        for app in qs.filter(apps.card_q("red", now)).order_by("promised_due")[:BATCH]:
            out["red"] += facts.notify(
                f"sh-red:{app.number}:{app.promised_due:%Y%m%d%H%M}",
                f"【红牌】办件 {app.number}「{app.version.item.name}」已超过承诺时限"
                f"（{timezone.localtime(app.promised_due):%m-%d %H:%M}），请立即办理。",
                kind="sh_red", user=app.clerk, now=now,
            )  # fmt: skip
        for app in qs.filter(apps.card_q("yellow", now)).order_by("promised_due")[:BATCH]:
            out["yellow"] += facts.notify(
                f"sh-yellow:{app.number}:{app.promised_due:%Y%m%d%H%M}",
                f"【黄牌】办件 {app.number}「{app.version.item.name}」将于"
                f"{timezone.localtime(app.promised_due):%m-%d %H:%M}到承诺时限。",
                kind="sh_yellow", user=app.clerk, now=now,
            )  # fmt: skip
        late_pending = qs.filter(pending_until__lt=now,
                                 status__in=[Status.ACCEPTED, Status.IN_REVIEW])  # fmt: skip
        for app in late_pending.order_by("pending_until")[:BATCH]:
            out["pending"] += facts.notify(
                f"sh-pending:{app.number}:{app.pending_until:%Y%m%d}",
                f"您申请的「{app.version.item.name}」（{app.number}）容缺材料补齐期限已到，"
                "请尽快补交或联系代办员。",
                kind="sh_pending", phone=app.applicant_phone, now=now,
            )  # fmt: skip
        rects = Rectification.objects.filter(done_at__isnull=True, due__lt=now).select_related(
            "rating__application__clerk")[:BATCH]  # fmt: skip
        for r in rects:
            a = r.rating.application
            out["rectification"] += facts.notify(
                f"sh-rect:{r.pk}", f"【整改逾期】办件 {a.number} 的差评整改已过期限，请答复申请人。",
                kind="sh_rectify", user=a.clerk, now=now,
            )  # fmt: skip
    return out


def on_worker_pass(sender: object = None, *, now: datetime, **_kw: object) -> dict[str, int]:
    """`jiceng worker`'s pass (cases.worker.worker_pass): the same reminders as the command."""
    return run_pass(now)
