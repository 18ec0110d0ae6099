"""Personal data on cases (PIPL): the ONE place that decides what a viewer sees of a case's
reporter, and that logs every full view. The case page, the cases API and any export present
the reporter through `present()`; lists never show the reporter (only `list_name()`).

The matrix (see docs/decisions/0010-cases-personal-data.md):

| viewer of a case they may see | name, phone (and a home address) |
| --- | --- |
| the reporter (resident) themselves | full, not logged (their own data) |
| a member of the unit holding the open case (lead unit; the grid worker of a grid-level case) | full without asking, logged with reason 承办本诉求 |
| community staff, street dispatcher, district admin (`cases.reveal`) | masked; full after a reason (≥ 4 characters), logged |
| department handler whose unit does not hold the case (helper, summoned, or moved on) | masked, cannot reveal |
| grid worker not handling it, auditor | masked, cannot reveal (the auditor reads the access log) |

Masked: name 王**, phone 139****5678, and for a home address (`Case.home_address`, e.g. a
case raised by a household visit) its digits as *. Other addresses are where the problem is
and stay readable for everyone who handles the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext

from jiceng.accounts import scope
from jiceng.accounts.models import AccessLog
from jiceng.cases.access import actor_kinds, is_own
from jiceng.cases.models import Case
from jiceng.cases.workflow import OPEN_STATES
from jiceng.lib import phones
from jiceng.lib.masks import mask_address, mask_name

DEFAULT_REASON = "承办本诉求"
MIN_REASON = 4
SUBJECT = "case_reporter"
FIELDS = "诉求人姓名,联系电话"
FIELDS_HOME = "诉求人姓名,联系电话,住址"


@dataclass(frozen=True)
class Access:
    full: bool
    reason: str = ""
    own: bool = False  # the reporter reading their own case: nothing to log
    can_reveal: bool = False  # masked now, but this viewer may ask with a reason


def holds(user: Any, case: Case) -> bool:
    """The viewer belongs to the unit now handling the open case (or is its grid worker).
    A superuser holds no case by being one: their full views ask for a reason like
    everyone's (issue 17 item 16)."""
    if getattr(user, "is_superuser", False) and not (user.unit_id and user.unit_id == case.unit_id):
        return False
    return case.status in OPEN_STATES and "handler" in actor_kinds(
        user, case, need=frozenset({"handler"})
    )


def decide(user: Any, case: Case, reason: str | None = None) -> Access:
    """Full or masked for this viewer of this case (which they may already see).

    `reason` given: the viewer asks to see the full data. Raises PermissionDenied for a role
    that may not, ValidationError for a reason too short to mean anything.
    """
    if is_own(user, case):
        return Access(True, own=True)
    if holds(user, case):
        return Access(True, (reason or "").strip()[:300] or DEFAULT_REASON)
    may_reveal = scope.can(user, "cases.reveal")
    if reason is None:
        return Access(False, can_reveal=may_reveal)
    if not may_reveal:
        raise PermissionDenied(gettext("您的角色不能查看诉求人的完整联系方式"))
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(
            gettext("请填写查看诉求人联系方式的事由（至少%(min_reason)s个字）")
            % {"min_reason": MIN_REASON}
        )
    return Access(True, reason[:300])


def reporter(case: Case, full: bool) -> dict:
    """The reporter's fields as this viewer sees them."""
    home = case.home_address
    return {
        "reporter_name": case.reporter_name if full else mask_name(case.reporter_name),
        "reporter_phone": case.reporter_phone if full else phones.mask(case.reporter_phone),
        "address": case.address if (full or not home) else mask_address(case.address),
        "home_address": home,
        "masked": not full,
    }


def log_views(
    user: Any, cases: list[Case], access: Access, channel: str, request: HttpRequest | None = None
) -> None:
    """One append-only AccessLog row per case whose reporter was seen in full."""
    if not access.full or access.own:
        return
    ip = (request.META.get("REMOTE_ADDR") or None) if request is not None else None
    AccessLog.objects.bulk_create(
        [
            AccessLog(
                viewer=user,
                subject_type=SUBJECT,
                subject_id=c.number,
                subject_label=f"{c.number} {mask_name(c.reporter_name)}"[:100],
                fields=FIELDS_HOME if c.home_address else FIELDS,
                reason=access.reason,
                channel=channel,
                ip=ip,
            )
            for c in cases
            if c.reporter_name or c.reporter_phone or c.home_address
        ],
        batch_size=1000,
    )


def present(
    user: Any,
    case: Case,
    reason: str | None = None,
    channel: str = "page",
    request: HttpRequest | None = None,
) -> tuple[dict[str, Any], Access]:
    """Decide, log and shape in one call: what every page and API of one case uses."""
    access = decide(user, case, reason)
    log_views(user, [case], access, channel, request)
    return reporter(case, access.full), access


def list_name(case: Case) -> str:
    """A reporter's name where many cases are listed (earlier calls, search): always masked."""
    return mask_name(case.reporter_name)
