"""Who may see what: the one place that the API and the pages both go through.

Rules (each has a test with a user who is refused):
1. An anonymous user sees nothing.
2. A user sees the subtree of their scope region and nothing outside it.
3. A user without a scope region sees no territory (a resident sees only their own items).
4. A department handler sees its department's region for territory, and for cases only
   what is assigned to its department (the cases app applies `unit_filter`).
5. Actions are allowed per role (`ACTIONS`): e.g. only a district administrator imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from jiceng.accounts.models import STAFF_ROLES, Role

if TYPE_CHECKING:
    from jiceng.territory.models import Region

A = Role
# action -> roles allowed (a superuser may do everything)
ACTIONS: dict[str, frozenset[str]] = {
    "territory.view": frozenset(
        {
            A.GRID_WORKER,
            A.COMMUNITY_STAFF,
            A.STREET_DISPATCHER,
            A.DEPARTMENT_HANDLER,
            A.DISTRICT_ADMIN,
            A.AUDITOR,
        }
    ),
    "territory.import": frozenset({A.DISTRICT_ADMIN}),
    "territory.edit": frozenset({A.DISTRICT_ADMIN}),
    "staff.view": frozenset(
        {
            A.GRID_WORKER,
            A.COMMUNITY_STAFF,
            A.STREET_DISPATCHER,
            A.DEPARTMENT_HANDLER,
            A.DISTRICT_ADMIN,
            A.AUDITOR,
        }
    ),
    "accesslog.view": frozenset({A.AUDITOR, A.DISTRICT_ADMIN}),
    # cases (诉求办理)
    "cases.view": frozenset(
        {
            A.RESIDENT,
            A.GRID_WORKER,
            A.COMMUNITY_STAFF,
            A.STREET_DISPATCHER,
            A.DEPARTMENT_HANDLER,
            A.DISTRICT_ADMIN,
            A.AUDITOR,
        }
    ),
    "cases.report": frozenset({A.RESIDENT, A.GRID_WORKER, A.COMMUNITY_STAFF}),
    "cases.hotline": frozenset({A.STREET_DISPATCHER, A.DISTRICT_ADMIN, A.COMMUNITY_STAFF}),
    "cases.alarm": frozenset({A.GRID_WORKER, A.COMMUNITY_STAFF, A.STREET_DISPATCHER}),
    "cases.board": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "cases.inbox": frozenset({A.DEPARTMENT_HANDLER}),
    "cases.overdue": frozenset({A.STREET_DISPATCHER, A.DISTRICT_ADMIN, A.AUDITOR}),
    "cases.calendar": frozenset({A.DISTRICT_ADMIN}),
    # may see a case reporter's name and phone after giving a reason (logged); the unit
    # holding a case sees them without asking (matrix in jiceng/cases/privacy.py)
    "cases.reveal": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    # Open311 client applications' API keys
    "open311.keys": frozenset({A.DISTRICT_ADMIN}),
    # People and households (jiceng.people; the masking matrix is in people/privacy.py).
    # Department handlers get people's data through the cases assigned to them, not the
    # register (PIPL: only what the purpose needs).
    "people.view": frozenset(
        {A.GRID_WORKER, A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN, A.AUDITOR}
    ),
    # sees full personal data of their own territory without asking (each view logged)
    "people.full": frozenset({A.GRID_WORKER, A.COMMUNITY_STAFF}),
    # may see full personal data after giving a reason (logged)
    "people.reveal": frozenset({A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "people.edit": frozenset({A.GRID_WORKER, A.COMMUNITY_STAFF, A.DISTRICT_ADMIN}),
    "people.visit": frozenset({A.GRID_WORKER, A.COMMUNITY_STAFF, A.STREET_DISPATCHER}),
    "people.import": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "people.export": frozenset(
        {A.GRID_WORKER, A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}
    ),
    "people.rules": frozenset({A.DISTRICT_ADMIN}),
    # community (村务公开、留言、调解、议事; jiceng/community/access.py has the rules)
    "community.view": frozenset(
        {
            A.GRID_WORKER,
            A.COMMUNITY_STAFF,
            A.STREET_DISPATCHER,
            A.DISTRICT_ADMIN,
            A.AUDITOR,
        }
    ),
    "community.publish": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "community.settings": frozenset({A.COMMUNITY_STAFF, A.DISTRICT_ADMIN}),
    "community.policy": frozenset({A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "community.reply": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "community.mediate": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "community.mediation_stats": frozenset(
        {A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN, A.AUDITOR}
    ),
    # full names, phones and ID numbers of dispute parties, each view logged
    "community.reveal": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "community.deliberate": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER}),
    "community.resident": frozenset({A.RESIDENT}),  # my village's board, messages, votes
    "community.points": frozenset({A.GRID_WORKER, A.COMMUNITY_STAFF}),  # record 积分
    "community.points_approve": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER}),
    # servicehall (便民服务): catalogue, applications, proxy handling, ratings
    "servicehall.view": frozenset(STAFF_ROLES),
    "servicehall.catalogue": frozenset({A.DISTRICT_ADMIN}),
    "servicehall.intake": frozenset({A.WINDOW_CLERK, A.PROXY_AGENT, A.COMMUNITY_STAFF}),
    "servicehall.review": frozenset({A.WINDOW_CLERK, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "servicehall.proxy": frozenset({A.PROXY_AGENT, A.GRID_WORKER, A.COMMUNITY_STAFF}),
    "servicehall.assign": frozenset({A.WINDOW_CLERK, A.COMMUNITY_STAFF, A.STREET_DISPATCHER}),
    "servicehall.rectify": frozenset({A.WINDOW_CLERK, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "servicehall.agents": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    # command centre (jiceng.command): the live wall, map, big screen
    "command.wall": frozenset({A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "command.duty": frozenset({A.GRID_WORKER}),
    "command.field": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "command.notice": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    # assessment (考核): rankings scoped by jiceng/assessment/rankings.row_visible
    "assessment.view": frozenset(
        {
            A.GRID_WORKER,
            A.COMMUNITY_STAFF,
            A.STREET_DISPATCHER,
            A.DEPARTMENT_HANDLER,
            A.DISTRICT_ADMIN,
            A.AUDITOR,
        }
    ),
    "assessment.edit": frozenset({A.DISTRICT_ADMIN}),
    "assessment.publish": frozenset({A.DISTRICT_ADMIN}),
    "assessment.exclude": frozenset({A.DISTRICT_ADMIN}),
    "assessment.export": frozenset({A.STREET_DISPATCHER, A.DISTRICT_ADMIN, A.AUDITOR}),
    "assessment.rate_dispatch": frozenset({A.DEPARTMENT_HANDLER}),
    "assessment.score_view": frozenset(
        {A.GRID_WORKER, A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN, A.AUDITOR}
    ),
    "assessment.score": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER}),
    "assessment.approve": frozenset({A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    # dispatch (智能派单 · 高频词): suggestions for those who take cases in; hot words for
    # the centres that watch a territory
    "dispatch.suggest": frozenset(
        {A.GRID_WORKER, A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}
    ),
    "dispatch.hotwords": frozenset({A.COMMUNITY_STAFF, A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    # cases operations pages (issue 17 item 14): the notification outbox, dispatch rules
    "cases.outbox": frozenset({A.STREET_DISPATCHER, A.DISTRICT_ADMIN}),
    "cases.rules": frozenset({A.DISTRICT_ADMIN}),
}


def scope_code(user) -> str | None:
    """The code prefix this user may see, or None for nothing."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.scope_id:
        return user.scope.code
    return None


def can(user, action: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role in ACTIONS.get(action, frozenset())


def require(user, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(_("您的角色无权执行此操作"))


def code_filter(user, field: str = "code") -> Q:
    """A Q that keeps rows whose `field` (a CodeField) lies in the user's territory.

    Matches nothing for a user without a scope.
    """
    code = scope_code(user)
    if code is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__under": code})


def unit_filter(user, field: str = "unit") -> Q:
    """For department handlers: rows assigned to their department only."""
    if user.role == Role.DEPARTMENT_HANDLER:
        if not user.unit_id:
            return Q(pk__in=[])
        return Q(**{f"{field}_id": user.unit_id})
    return Q()


def can_see_code(user, code: str) -> bool:
    prefix = scope_code(user)
    return prefix is not None and code.startswith(prefix)


def require_region(user, region: Region, action: str = "territory.view") -> None:
    """Refuse a region outside the user's territory as if it did not exist (no probing)."""
    from django.http import Http404

    require(user, action)
    if not can_see_code(user, region.code):
        raise Http404("该区域不存在或不在您的管辖范围内")
