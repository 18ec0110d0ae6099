"""The public face of the cases app: what other apps (and this app's pages and API) call.

Nothing is defined here; each name lives in the module of its concern —

- `access.py`: who sees a case and what they are to it;
- `intake.py`: taking a case in (checks, placing, numbering, first owner, deadline);
- `moves/`: the move engine (`engine.py`) and one module per family of rules;
- `history.py`: the one writer of case events, and the `case_changed` signal;
- `notifications.py`: the Outbox queue (sent after commit by `outbox.py`);
- `queries.py`: reads for publishing, the tracker and lookups;
- `statistics.py`: the command centre's figures.

See jiceng/cases/README.md for how other apps use them.
"""

from __future__ import annotations

from jiceng.accounts.centres import forget as forget_centres
from jiceng.cases.access import (
    DISPATCH_ROLES,
    ROLE_TIER,
    actor_kinds,
    get_visible,
    visible_cases,
)
from jiceng.cases.history import case_changed, case_written, cases_changed
from jiceng.cases.intake import (
    STAFF_CHANNELS,
    active_category,
    forget_limits,
    installation_county_code,
    intake,
    once,
    unit_at,
    validate_extra,
)
from jiceng.cases.moves import MoveRefused, allowed_moves_for, make, parse, transition
from jiceng.cases.moves.dispatch import suggest_units
from jiceng.cases.moves.return_visit import MAX_REOPEN, REOPEN_ON, rate_by_resident
from jiceng.cases.notifications import notify
from jiceng.cases.queries import (
    PUBLIC_STATUSES,
    find_public,
    handling_unit_name,
    phone_q,
    possible_duplicates,
    public_cases,
    public_events,
)
from jiceng.cases.statistics import summary

__all__ = [
    "DISPATCH_ROLES",
    "MAX_REOPEN",
    "PUBLIC_STATUSES",
    "REOPEN_ON",
    "ROLE_TIER",
    "STAFF_CHANNELS",
    "MoveRefused",
    "active_category",
    "actor_kinds",
    "allowed_moves_for",
    "case_changed",
    "case_written",
    "cases_changed",
    "find_public",
    "forget_centres",
    "forget_limits",
    "get_visible",
    "handling_unit_name",
    "installation_county_code",
    "intake",
    "make",
    "notify",
    "once",
    "parse",
    "phone_q",
    "possible_duplicates",
    "public_cases",
    "public_events",
    "rate_by_resident",
    "suggest_units",
    "summary",
    "transition",
    "unit_at",
    "validate_extra",
    "visible_cases",
]
