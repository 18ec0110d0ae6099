"""Household visits that ask for a case (走访发现 → 事件办理).

jiceng.people sends `visit_needs_case` after the visit commits; `on_visit_needs_case` takes
the case in through `intake(channel="grid", …)` and writes its number back with
`people.services.link_case`, both in ONE transaction that first locks the visit row
(`people.services.claim_visit_for_case`): either the case and the link commit together or
neither does, and a second attempt finds the number and does nothing. If the after-commit
hand-over fails (the receiver is called robustly, an error is only logged), the worker's
pass picks the visit up again (`take_in_waiting`): no case is lost, none is doubled.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiceng.cases.intake import intake, title_from
from jiceng.cases.models import Case, RequestType
from jiceng.lib import phones

log = logging.getLogger("jiceng.cases.visit_handover")
# The worker leaves fresh visits to the after-commit hand-over.
GRACE = timedelta(minutes=2)


def _phone(raw: str) -> str:
    """The household's phone in the stored form; one that is not a phone is left out (the
    hand-over must not fail on it: the household file still holds it)."""
    return phones.normalise(raw) if raw and phones.is_valid(raw) else ""


def take_in(visit_id: int) -> Case | None:
    """The case for this visit: created now, or None if it has one already (or no longer
    asks for one)."""
    from jiceng.people import services as people

    with transaction.atomic():
        visit = people.claim_visit_for_case(visit_id)
        if visit is None:
            return None
        h = visit.household
        head = h.head
        building = h.building
        description = f"走访发现：{visit.found.strip()}"
        if visit.follow_up.strip():
            description += f"\n后续措施：{visit.follow_up.strip()}"
        description += f"\n（{visit.visitor_name}于{timezone.localtime(visit.visited_at):%Y-%m-%d %H:%M}走访{h.number}户时发现）"
        has_point = building is not None and building.lon is not None and building.lat is not None
        case = intake(
            channel="grid",
            request_type=RequestType.HELP,
            category=None,
            title=f"走访转办：{title_from(visit.found, 30)}",
            description=description,
            lon=building.lon if has_point else None,  # type: ignore[union-attr]
            lat=building.lat if has_point else None,  # type: ignore[union-attr]
            region_code=h.grid_code,
            address=h.address,
            home_address=True,  # the household's home: masked like the phone
            reporter_name=head.name if head else "",
            reporter_phone=_phone(h.phone or (head.phone if head else "")),
            user=visit.visitor,
            external_ref=f"visit:{visit.pk}",
        )
        people.link_case(visit, case.number)
    return case


def on_visit_needs_case(sender: object, visit: Any, user: Any = None, **kw: object) -> None:
    """Receiver of people's `visit_needs_case` (connected in CasesConfig.ready)."""
    take_in(visit.pk)


def take_in_waiting(now: datetime | None = None) -> int:
    """The worker's safety net: visits whose hand-over did not happen. Returns cases made."""
    from jiceng.people import services as people

    now = now or timezone.now()
    made = 0
    for pk in people.visits_waiting_for_case(now - GRACE):
        try:
            if take_in(pk) is not None:
                made += 1
        except Exception:
            # A visit that cannot become a case (e.g. its grid was removed) must not stop
            # the others; it stays waiting and is logged on every pass.
            log.exception("visit %s could not be taken in as a case", pk)
    return made
