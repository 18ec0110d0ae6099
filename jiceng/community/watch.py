"""Overdue resident messages pushed to the town (issue 15 item 2): in `jiceng worker`'s pass
(cases.worker.worker_pass), every message whose reply deadline passed without a reply or a
case is told to the users of the town (街镇) that covers its village, once.

The town's users are the active staff who answer messages (`community.reply`) and whose
scope is the town itself. One reminder per town user and pass lists the newly overdue
messages by village; each message is marked `overdue_notified_at` in the same transaction
that queues the reminders, so the next pass (or a second worker) does not tell it again.
Nothing is sent here: the reminders wait in the cases outbox, which the worker delivers
after the pass, outside any transaction. The town sees the list at /community/messages/overdue/.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from jiceng.accounts import scope
from jiceng.accounts.models import User
from jiceng.community import facts, inbox
from jiceng.community.models import Message
from jiceng.territory.models import Level, Region

BATCH = 2000


def _town_users(town_codes: set[str]) -> dict[str, list[User]]:
    out: dict[str, list[User]] = defaultdict(list)
    qs = User.objects.filter(
        is_active=True, scope__code__in=town_codes, role__in=scope.ACTIONS["community.reply"]
    ).select_related("scope")
    for u in qs.order_by("pk"):
        if u.scope is not None:
            out[u.scope.code].append(u)
    return out


def run_pass(now: datetime | None = None) -> dict[str, int]:
    """One pass; returns how many messages were newly overdue and reminders queued."""
    now = now or timezone.now()
    out = {"overdue_messages": 0, "town_reminders": 0}
    with transaction.atomic():
        qs = Message.objects.filter(inbox.overdue_q(now), overdue_notified_at__isnull=True)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        rows = list(qs.order_by("due_at").values_list("pk", "village_code")[:BATCH])
        if not rows:
            return out
        villages = dict(
            Region.objects.filter(code__in={c for _, c in rows}, level=Level.VILLAGE).values_list(
                "code", "parent__code"
            )
        )
        names = dict(
            Region.objects.filter(code__in={c for _, c in rows}).values_list("code", "name")
        )
        by_town: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for pk, code in rows:
            town = villages.get(code)
            if town:
                by_town[town][code].append(pk)
        users = _town_users(set(by_town))
        for town, per_village in by_town.items():
            ids = sorted(pk for pks in per_village.values() for pk in pks)
            lines = "；".join(
                f"{names.get(c, c)} {len(pks)} 条" for c, pks in sorted(per_village.items())
            )
            body = (
                f"【留言超期】{len(ids)} 条村民留言已超过答复期限未答复（{lines}），"
                "请督促村（社区）答复：/community/messages/overdue/"
            )
            for u in users.get(town, []):
                out["town_reminders"] += facts.notify(
                    f"cm-overdue:{u.pk}:{ids[0]}-{ids[-1]}:{len(ids)}",
                    body,
                    kind="community_overdue",
                    user=u,
                    now=now,
                )
        # marked even where no town user exists: the list on the page shows them anyway
        Message.objects.filter(pk__in=[pk for pk, _ in rows]).update(overdue_notified_at=now)
        out["overdue_messages"] = len(rows)
    return out


def on_worker_pass(sender: object = None, *, now: datetime, **_kw: object) -> dict[str, int]:
    """`jiceng worker`'s pass: the overdue messages of the villages told to their towns."""
    return run_pass(now)
