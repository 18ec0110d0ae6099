"""The loop as a table: every state and every allowed move in one place.

问题上报 → 案卷建立 → 任务指派 → 调查落实 → 处理反馈 → 核查结案 → 结案归档, then 回访 and 评价.

    reported ─register→ registered ─dispatch→ dispatched ─accept→ handling ─report→ handled
        │                   │  ▲                 │  ▲                │  ▲               │
        │                   │  └──escalate──┐    │  └─redispatch─ returned ◄─return─┘  │
        │                   │               │    │                   │  │             │
        └─close_on_spot─────┴──► closed ◄───┴────┴───────── verify_close ◄────────────┘
                                  │ ▲  ─archive→ archived                   (rework: handled→handling)
                                  └─┴─ reopen (→ handling)

Who may make a move is given by `actors`:
  dispatcher — a centre (community/street/district staff) at or above the case's tier, in scope;
  handler    — a member of the case's current lead unit (or the grid worker of its grid);
  grid       — the grid worker whose grid holds the case;
  street     — a street (or district) centre in scope (吹哨);
  summoned   — a department called by an open whistle;
  resident   — the reporter (only through the public page/return visit);
  system     — the worker, and the engine's own follow-up moves.

`todo` says in which states the case is waiting for that move: the pages' to-do lists and
the dispatch board are derived from it (`todo_states`), not restated.

This module imports nothing from the app (models import `Status` from here).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_noop


class Status(models.TextChoices):
    REPORTED = "reported", gettext_noop("待受理")
    REGISTERED = "registered", gettext_noop("已立案待派")
    DISPATCHED = "dispatched", gettext_noop("已派单待签收")
    RETURNED = "returned", gettext_noop("已退单待审核")
    HANDLING = "handling", gettext_noop("办理中")
    PAUSE_REQUESTED = "pause_requested", gettext_noop("缓办待批")
    PAUSED = "paused", gettext_noop("缓办中")
    HANDLED = "handled", gettext_noop("已反馈待核查")
    CLOSED = "closed", gettext_noop("已结案")
    ARCHIVED = "archived", gettext_noop("已归档")
    MERGED = "merged", gettext_noop("已并单")
    SPLIT = "split", gettext_noop("已拆分")
    CANCELLED = "cancelled", gettext_noop("已作废")


S = Status

OPEN_STATES: frozenset[str] = frozenset(
    {
        S.REPORTED,
        S.REGISTERED,
        S.DISPATCHED,
        S.RETURNED,
        S.HANDLING,
        S.PAUSE_REQUESTED,
        S.PAUSED,
        S.HANDLED,
    }
)
FINAL_STATES: frozenset[str] = frozenset({S.ARCHIVED, S.MERGED, S.SPLIT, S.CANCELLED})
# States in which the deadline clock is watched by the worker.
WATCHED_STATES: frozenset[str] = OPEN_STATES - {S.PAUSED}
ANY_OPEN = OPEN_STATES
IN_HAND: frozenset[str] = frozenset({S.HANDLING, S.PAUSE_REQUESTED, S.PAUSED})


@dataclass(frozen=True)
class Move:
    """One row of the table.

    `target` None: the state does not change (remind, note, whistle…). `offered` False: an
    event kind written by the engine itself as a side effect of another move (the report at
    intake, the target's `absorb` of a merge, a part's `split_from`), never offered or
    accepted as a move. `todo`: the states in which the case waits for this move.
    """

    name: str
    label: str
    sources: frozenset[str]
    target: str | None
    actors: frozenset[str]
    needs_reason: bool = False
    public: bool = False  # the event is shown to the resident
    offered: bool = True
    todo: frozenset[str] = frozenset()


def _m(
    *,
    name: str,
    label: str,
    sources: Iterable[str],
    target: str | None,
    actors: Iterable[str],
    needs_reason: bool = False,
    public: bool = False,
    offered: bool = True,
    todo: Iterable[str] | bool = False,
) -> Move:
    src = frozenset(sources)
    waits = src if todo is True else frozenset() if todo is False else frozenset(todo)
    return Move(
        name=name,
        label=label,
        sources=src,
        target=target,
        actors=frozenset(actors),
        needs_reason=needs_reason,
        public=public,
        offered=offered,
        todo=waits,
    )


MOVES: dict[str, Move] = {
    m.name: m
    for m in [
        # events the engine writes itself
        _m(
            name="report",
            label=gettext_noop("问题上报"),
            sources=(),
            target=S.REPORTED,
            actors={"system"},
            public=True,
            offered=False,
        ),
        _m(
            name="absorb",
            label=gettext_noop("并入工单"),
            sources=OPEN_STATES,
            target=None,
            actors={"system"},
            offered=False,
        ),
        _m(
            name="split_from",
            label=gettext_noop("拆分生成"),
            sources=(),
            target=S.REGISTERED,
            actors={"system"},
            offered=False,
        ),
        # dispatch and return
        _m(
            name="register",
            label=gettext_noop("受理立案"),
            sources={S.REPORTED},
            target=S.REGISTERED,
            actors={"dispatcher"},
            public=True,
            todo=True,
        ),
        _m(
            name="dispatch",
            label=gettext_noop("派单"),
            sources={S.REGISTERED},
            target=S.DISPATCHED,
            actors={"dispatcher"},
            public=True,
            todo=True,
        ),
        _m(
            name="accept",
            label=gettext_noop("签收"),
            sources={S.DISPATCHED},
            target=S.HANDLING,
            actors={"handler"},
            public=True,
            todo=True,
        ),
        _m(
            name="return",
            label=gettext_noop("退单"),
            sources={S.DISPATCHED, S.HANDLING},
            target=S.RETURNED,
            actors={"handler"},
            needs_reason=True,
        ),
        _m(
            name="redispatch",
            label=gettext_noop("改派"),
            sources={S.RETURNED, S.DISPATCHED},
            target=S.DISPATCHED,
            actors={"dispatcher"},
            needs_reason=True,
            todo={S.RETURNED},
        ),
        _m(
            name="handle",
            label=gettext_noop("调查处置"),
            sources=IN_HAND,
            target=None,
            actors={"handler"},
            public=True,
            todo=True,
        ),
        _m(
            name="report_handling",
            label=gettext_noop("处理反馈"),
            sources={S.HANDLING},
            target=S.HANDLED,
            actors={"handler"},
            public=True,
            todo=True,
        ),
        _m(
            name="escalate",
            label=gettext_noop("上报上级"),
            sources={S.REPORTED, S.REGISTERED, S.DISPATCHED, S.RETURNED, S.HANDLING},
            target=S.REGISTERED,
            actors={"dispatcher", "handler", "grid", "system"},
            needs_reason=True,
        ),
        # close and reopen
        _m(
            name="verify_close",
            label=gettext_noop("核查结案"),
            sources={S.HANDLED},
            target=S.CLOSED,
            actors={"dispatcher"},
            public=True,
            todo=True,
        ),
        _m(
            name="rework",
            label=gettext_noop("退回重办"),
            sources={S.HANDLED},
            target=S.HANDLING,
            actors={"dispatcher"},
            needs_reason=True,
        ),
        _m(
            name="close_on_spot",
            label=gettext_noop("网格就地办结"),
            sources={S.REPORTED, S.REGISTERED, S.HANDLING},
            target=S.CLOSED,
            actors={"grid"},
            public=True,
            todo={S.REGISTERED, S.HANDLING},
        ),
        _m(
            name="archive",
            label=gettext_noop("归档"),
            sources={S.CLOSED},
            target=S.ARCHIVED,
            actors={"dispatcher", "system"},
        ),
        _m(
            name="reopen",
            label=gettext_noop("重新办理"),
            sources={S.CLOSED, S.ARCHIVED},
            target=S.HANDLING,
            actors={"dispatcher", "system"},
            needs_reason=True,
            public=True,  # the tracker shows why a closed case is open again (issue 17)
        ),
        _m(
            name="cancel",
            label=gettext_noop("作废"),
            sources={S.REPORTED, S.REGISTERED},
            target=S.CANCELLED,
            actors={"dispatcher"},
            needs_reason=True,
            public=True,
        ),
        # merge and split
        _m(
            name="merge",
            label=gettext_noop("并单"),
            sources=ANY_OPEN,
            target=S.MERGED,
            actors={"dispatcher"},
            needs_reason=True,
            public=True,
        ),
        _m(
            name="split",
            label=gettext_noop("拆分"),
            sources={S.REPORTED, S.REGISTERED},
            target=S.SPLIT,
            actors={"dispatcher"},
            needs_reason=True,
        ),
        # pause
        _m(
            name="request_pause",
            label=gettext_noop("申请缓办"),
            sources={S.HANDLING},
            target=S.PAUSE_REQUESTED,
            actors={"handler"},
            needs_reason=True,
        ),
        _m(
            name="approve_pause",
            label=gettext_noop("批准缓办"),
            sources={S.PAUSE_REQUESTED},
            target=S.PAUSED,
            actors={"dispatcher"},
            todo=True,
        ),
        _m(
            name="reject_pause",
            label=gettext_noop("驳回缓办"),
            sources={S.PAUSE_REQUESTED},
            target=S.HANDLING,
            actors={"dispatcher"},
            needs_reason=True,
        ),
        _m(
            name="resume",
            label=gettext_noop("恢复办理"),
            sources={S.PAUSED},
            target=S.HANDLING,
            actors={"handler", "dispatcher", "system"},
        ),
        # supervision (the worker's yellow and red cards write these two as well)
        _m(
            name="remind",
            label=gettext_noop("催办"),
            sources=ANY_OPEN - {S.REPORTED},
            target=None,
            actors={"dispatcher", "system"},
        ),
        _m(
            name="supervise",
            label=gettext_noop("督办"),
            sources=ANY_OPEN - {S.REPORTED},
            target=None,
            actors={"dispatcher", "system"},
            needs_reason=True,
        ),
        # the command wall's 接警 (jiceng.command.wall.take_alarm; never offered on the page)
        _m(
            name="take_alarm",
            label=gettext_noop("接警"),
            sources=ANY_OPEN,
            target=None,
            actors={"street", "dispatcher"},
        ),
        # whistle
        _m(
            name="whistle",
            label=gettext_noop("吹哨"),
            sources={S.REGISTERED, S.DISPATCHED, S.HANDLING},
            target=None,
            actors={"street"},
            needs_reason=True,
        ),
        _m(
            name="report_in",
            label=gettext_noop("部门报到"),
            sources=ANY_OPEN,
            target=None,
            actors={"summoned"},
            todo=True,
        ),
        _m(
            name="rate_report_in",
            label=gettext_noop("评价报到"),
            sources=OPEN_STATES | {S.CLOSED},
            target=None,
            actors={"street"},
        ),
        # return visit
        _m(
            name="return_visit",
            label=gettext_noop("回访"),
            sources={S.CLOSED, S.ARCHIVED},
            target=None,
            actors={"dispatcher", "resident"},
            todo={S.CLOSED},
            public=True,
        ),
    ]
}

_ORDER = {s: i for i, s in enumerate(Status.values)}


def todo_states(kind: str, *, moves: Iterable[str] | None = None) -> list[str]:
    """The states in which a case waits for a move of this actor kind, in loop order.

    `moves`: only these moves (e.g. the return visit, listed apart on the queue)."""
    wanted = set(moves) if moves is not None else None
    states = {
        s
        for m in MOVES.values()
        if kind in m.actors and (wanted is None or m.name in wanted)
        for s in m.todo
    }
    return sorted(states, key=_ORDER.__getitem__)


def public_status(status: str) -> str:
    """The Open311 view: open while anything remains to do, closed otherwise."""
    return "open" if status in OPEN_STATES else "closed"


def status_label(status: str) -> str:
    try:
        return Status(status).label
    except ValueError:
        return status
