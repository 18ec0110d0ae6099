"""Who sees a case and what they are to it (accounts/scope.py rules applied to cases).

`visible_cases(user)` is the one filter every list, search, export and helper endpoint of
cases starts from; `actor_kinds(user, case)` names the user's relations to one case (the
`actors` of workflow.MOVES).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext

from jiceng.accounts.models import Role
from jiceng.accounts.scope import scope_code
from jiceng.cases.models import Case, CaseAssignment, Tier, WhistleCall

ROLE_TIER: dict[str, Tier] = {
    Role.GRID_WORKER: Tier.GRID,
    Role.COMMUNITY_STAFF: Tier.COMMUNITY,
    Role.STREET_DISPATCHER: Tier.STREET,
    Role.DISTRICT_ADMIN: Tier.DISTRICT,
}
DISPATCH_ROLES = {Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_ADMIN}
ALL_KINDS = frozenset({"dispatcher", "handler", "grid", "street", "summoned"})


def _registered_phone(user: Any) -> str:
    """The resident's registered phone in the stored form, or '' if it is not a phone."""
    from jiceng.lib import phones

    raw = getattr(user, "phone", "") or ""
    return phones.normalise(raw) if raw and phones.is_valid(raw) else ""


def own_q(user: Any) -> Q:
    """A resident's own cases: those they reported logged in, and those taken in for them
    without an account (a 12345 call) from their registered phone (issue 17 item 11)."""
    q = Q(reporter=user)
    phone = _registered_phone(user)
    if phone:
        q |= Q(reporter__isnull=True, reporter_phone=phone)
    return q


def is_own(user: Any, case: Case) -> bool:
    """Whether this resident is the case's reporter (see own_q)."""
    if getattr(user, "role", None) != Role.RESIDENT:
        return False
    if case.reporter_id is not None:
        return bool(case.reporter_id == user.pk)
    phone = _registered_phone(user)
    return bool(phone) and case.reporter_phone == phone


def _active(user: Any) -> bool:
    return (
        user is not None
        and bool(getattr(user, "is_authenticated", False))
        and bool(getattr(user, "is_active", False))
    )


def visible_cases(user: Any) -> QuerySet[Case]:
    """The cases this user may see:

    resident → their own; department handler → assigned to its unit (lead, helper or
    summoned); everyone else → cases whose region code is in their scope subtree.
    A staff member always sees the cases they took in themselves (`taken_by`): a grid
    worker's report whose point fell in the neighbouring grid is still theirs to follow
    (issue 17 item 1; docs/decisions/0045-cases-pages-every-role.md).
    """
    qs = Case.objects.all()
    if not _active(user):
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role == Role.RESIDENT:
        return qs.filter(own_q(user))
    if user.role == Role.DEPARTMENT_HANDLER:
        if not user.unit_id:
            return qs.none()
        assigned = CaseAssignment.objects.filter(unit_id=user.unit_id, active=True).values(
            "case_id"
        )
        return qs.filter(Q(unit_id=user.unit_id) | Q(pk__in=assigned) | Q(taken_by=user))
    code = scope_code(user)
    if code is None:
        return qs.filter(taken_by=user)
    if len(code) <= 6:
        # a county-wide scope already holds every case intake accepts (points outside the
        # county are refused), so the county's lists keep their plain prefix query
        return qs.filter(region_code__under=code)
    return qs.filter(Q(region_code__under=code) | Q(taken_by=user))


def narrow_scope(user: Any) -> bool:
    """Whether this user's cases are few at county scale — a town's (~6,000 of a million),
    a village's, a grid's, a resident's own — so that a further filter is best checked on
    those rows than looked up in an index over the whole county. A text search is then a
    scan of the scope instead of a trigram lookup (a digit string's trigrams are in nearly
    every case: the lookup rechecks a million rows to find a grid's two dozen). A
    county, a department (its cases are assigned across the county) or a superuser: no."""
    if not _active(user) or user.is_superuser:
        return False
    if user.role == Role.RESIDENT:
        return True
    if user.role == Role.DEPARTMENT_HANDLER:
        return False
    code = scope_code(user)
    return code is None or len(code) > 6


def get_visible(user: Any, number: str) -> Case:
    """The case with this number if the user may see it; Http404 otherwise (no hint which)."""
    case = visible_cases(user).filter(number=number).first()
    if case is None:
        raise Http404(gettext("该诉求不存在或不在您的管辖范围内"))
    return case


def _covers(user: Any, code: str) -> bool:
    prefix = scope_code(user)
    return prefix is not None and code.startswith(prefix)


def actor_kinds(user: Any, case: Case, need: frozenset[str] | None = None) -> set[str]:
    """What this user is with respect to this case (see workflow.py's docstring).

    `need`: the kinds the caller cares about (skips the whistle query when not needed).
    """
    if not _active(user):
        return set()
    if user.is_superuser:
        return set(ALL_KINDS)
    kinds: set[str] = set()
    role = user.role
    in_scope = _covers(user, case.region_code)
    if role in DISPATCH_ROLES and in_scope and ROLE_TIER[role] >= case.tier:
        kinds.add("dispatcher")
    if role in (Role.STREET_DISPATCHER, Role.DISTRICT_ADMIN) and in_scope:
        kinds.add("street")
    if role == Role.GRID_WORKER and in_scope:
        kinds.add("grid")
        if case.tier == Tier.GRID and case.unit_id is None:
            kinds.add("handler")
    if user.unit_id and user.unit_id == case.unit_id and role != Role.AUDITOR:
        kinds.add("handler")
    if user.unit_id and role != Role.AUDITOR and (need is None or "summoned" in need):
        if WhistleCall.objects.filter(
            whistle__case=case, unit_id=user.unit_id, reported_at__isnull=True
        ).exists():
            kinds.add("summoned")
    if is_own(user, case):
        kinds.add("resident")
    return kinds
