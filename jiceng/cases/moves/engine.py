"""The move engine: `transition(case, move, …)` is the one entry point that changes a case.

1. parse the input into the move's schema (at the edge; a bad input is a 400 before
   anything else);
2. lock the row (`select_for_update`);
3. check the table (workflow.MOVES) for the current state, and the actor's role/scope;
4. run the move's own rule (moves/<family>.py: dispatch needs a unit, merge a target, …);
5. write one immutable CaseEvent through the history writer, which bumps the version,
   saves the current-state columns and fires `case_changed` after commit;
6. notifications were queued in the Outbox by the rule, in the same transaction; they
   are sent after commit (outbox.py);
7. make the rule's follow-up moves (as the system) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.cases import history
from jiceng.cases.access import actor_kinds
from jiceng.cases.models import Case
from jiceng.cases.moves.base import RULES, Ctx, MoveInput, MoveRefused, Outcome, parse
from jiceng.cases.workflow import MOVES, Move, status_label

# Trusted actor kinds an internal caller may name instead of the user's relation to the case.
INTERNAL_ACTORS = {"system", "resident"}


def transition(
    case: Case,
    move: str,
    *,
    user: Any,
    reason: str = "",
    actor: str | None = None,
    now: datetime | None = None,
    **fields: Any,
) -> Case:
    """Make one move on a case; returns the case as it is now. Raises MoveRefused.

    `fields` are the move's input (see its schema in moves/<family>.py), parsed here.
    `actor` ("system", "resident") is for internal callers only — the worker, the public
    tracker's rating proven by number and phone; pages and the API never pass it.
    """
    params = parse(move, {**fields, "reason": reason or ""})
    return make(case, move, params, user=user, actor=actor, now=now)


def make(
    case: Case,
    move: str,
    params: MoveInput,
    *,
    user: Any,
    actor: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Make a move whose input is already parsed (`parse`, at the API or page edge)."""
    m = MOVES.get(move)
    if m is None:
        raise MoveRefused(gettext("未知的操作：%(move)s") % {"move": move}, "unknown_move", 400)
    if actor is not None and actor not in INTERNAL_ACTORS:
        raise ValueError(f"unknown internal actor: {actor}")
    params = parse(move, params)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        _apply(locked, m, params, user, actor, now)
    return locked


def _refuse_state(case: Case, m: Move) -> MoveRefused:
    return MoveRefused(
        gettext("该诉求当前为「%(status_label)s」，不能执行「%(label)s」")
        % {"status_label": gettext(status_label(case.status)), "label": gettext(str(m.label))},
        "invalid_state",
        409,
    )


def _apply(
    case: Case, m: Move, params: MoveInput, user: Any, actor: str | None, now: datetime
) -> None:
    reason = params.reason.strip()
    if case.status not in m.sources:
        raise _refuse_state(case, m)
    kinds = {actor} if actor else actor_kinds(user, case, m.actors)
    if not kinds & m.actors:
        raise MoveRefused(
            gettext("您无权对该诉求执行「%(label)s」") % {"label": gettext(str(m.label))},
            "forbidden",
            403,
        )
    if not m.offered:  # written by the engine itself as part of another move
        raise MoveRefused(
            gettext("「%(label)s」不能单独执行") % {"label": gettext(str(m.label))},
            "not_a_move",
            400,
        )
    if m.needs_reason and not reason:
        raise MoveRefused(
            gettext("「%(label)s」必须填写原因") % {"label": gettext(str(m.label))},
            "reason_required",
            400,
        )
    from_status, from_unit = case.status, case.unit
    reg = RULES[m.name]
    ctx = Ctx(case=case, move=m, user=user, actor=actor, reason=reason, now=now)
    out = reg.rule(ctx, params) if reg.rule is not None else Outcome()
    if m.target is not None:
        case.status = m.target
    ev = history.event_row(
        case,
        m.name,
        user,
        from_status,
        m.target or from_status,
        reason=reason,
        data=out.data,
        from_unit=from_unit,
        now=now,
        public=m.public or out.public,
        actor_label="系统" if actor == "system" else "诉求人" if actor == "resident" else "",
    )
    history.write(case, [ev])
    for then in out.then:
        _apply(case, MOVES[then.move], MoveInput(reason=then.reason), None, "system", now)


def allowed_moves_for(user: Any, case: Case) -> list[Move]:
    """The moves to offer this viewer: the table and the role, minus moves whose own rule
    would refuse at once (nothing to rate, already rated)."""
    kinds = actor_kinds(user, case)
    out = []
    for m in MOVES.values():
        if not m.offered or case.status not in m.sources or not m.actors & kinds:
            continue
        offer = RULES[m.name].offer
        if offer is not None and not offer(case):
            continue
        out.append(m)
    return out
