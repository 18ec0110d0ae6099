"""Who may do what in the community app: roles from `accounts.scope.ACTIONS`
("community.*" block), territory from the user's scope, residents from `Membership`.

Rules (each has a test with a user who is refused, jiceng/community/tests/test_scope.py):
1. Staff act only on villages inside their scope subtree (`scope.can_see_code`); a village
   outside it is answered as if it did not exist (404, no probing).
2. A resident belongs to one village (`Membership`); they write messages and vote only there.
3. A village's board is readable without logging in only if that village chose so
   (`VillageSettings.public_board`); otherwise by its members and staff whose scope covers it.
4. Town-level views (overdue replies, mediation rates) need a scope that covers the villages.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext

from jiceng.accounts import scope
from jiceng.accounts.models import Role
from jiceng.community.models import Membership, VillageSettings
from jiceng.territory.models import Level, Region


def village(code: str) -> Region:
    """The village or community with this code, or 404 (also for grids, towns, bad codes)."""
    r = Region.objects.filter(code=str(code), level=Level.VILLAGE).first()
    if r is None:
        raise Http404(gettext("该村（社区）不存在"))
    return r


def settings_for(code: str) -> VillageSettings:
    """The village's settings; a village that never chose gets the defaults (not saved)."""
    return VillageSettings.objects.filter(village_code=code).first() or VillageSettings(
        village_code=code
    )


def member_code(user) -> str | None:
    """The village code of a resident's membership, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    m = Membership.objects.filter(user=user).only("village_code").first()
    return m.village_code if m else None


def is_member(user, code: str) -> bool:
    return member_code(user) == code


def staff_covers(user, code: str, action: str) -> bool:
    """Staff with `action` whose scope covers the region `code`."""
    return scope.can(user, action) and (user.is_superuser or scope.can_see_code(user, code))


def require_staff(user, code: str, action: str) -> None:
    """Refuse a role without `action` (403) and a village outside the scope (404)."""
    scope.require(user, action)
    if not (user.is_superuser or scope.can_see_code(user, code)):
        raise Http404(gettext("该村（社区）不存在或不在您的管辖范围内"))


def require_worker(user, code: str, action: str) -> None:
    """Like `require_staff`, and also a grid worker whose grid lies inside the village
    (their scope is below the village, not above it)."""
    scope.require(user, action)
    own = scope.scope_code(user) or ""
    if not (user.is_superuser or scope.can_see_code(user, code) or (own and own.startswith(code))):
        raise Http404(gettext("该村（社区）不存在或不在您的管辖范围内"))


def worker_covers(user, code: str, action: str) -> bool:
    own = scope.scope_code(user) or ""
    return scope.can(user, action) and (
        user.is_superuser or scope.can_see_code(user, code) or bool(own and own.startswith(code))
    )


def can_read_board(user, code: str) -> bool:
    """Rule 3: public villages to anyone; others to members and covering staff."""
    if settings_for(code).public_board:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return is_member(user, code) or worker_covers(user, code, "community.view")


def require_board(user, code: str) -> None:
    if not can_read_board(user, code):
        if not getattr(user, "is_authenticated", False):
            raise PermissionDenied(gettext("本村的村务公开仅对本村村民开放，请先登录"))
        raise Http404(gettext("该村（社区）不存在或您无权查看"))


def require_resident_of(user, code: str) -> None:
    """Rule 2: only a resident who belongs to this village."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(gettext("请先登录"))
    if user.role != Role.RESIDENT or not is_member(user, code):
        raise PermissionDenied(gettext("只有本村村民可以在这里留言"))
