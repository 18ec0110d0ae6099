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
  resident   — the reporter (only through the public page/return visit);
  system     — the worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from jiceng.cases.models import Status

S = Status

OPEN_STATES = frozenset(
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
FINAL_STATES = frozenset({S.ARCHIVED, S.MERGED, S.SPLIT, S.CANCELLED})
# States in which the deadline clock is watched by the worker.
WATCHED_STATES = OPEN_STATES - {S.PAUSED}


@dataclass(frozen=True)
class Move:
    name: str
    label: str
    sources: frozenset[str]
    target: str | None  # None: the state does not change (remind, note, whistle…)
    actors: frozenset[str]
    needs_reason: bool = False
    public: bool = False  # the event is shown to the resident


def _m(name, label, sources, target, actors, needs_reason=False, public=False) -> Move:
    return Move(name, label, frozenset(sources), target, frozenset(actors), needs_reason, public)


ANY_OPEN = OPEN_STATES
IN_HAND = {S.HANDLING, S.PAUSE_REQUESTED, S.PAUSED}

MOVES: dict[str, Move] = {
    m.name: m
    for m in [
        _m("report", "问题上报", set(), S.REPORTED, {"system"}, public=True),
        _m("register", "受理立案", {S.REPORTED}, S.REGISTERED, {"dispatcher"}, public=True),
        _m("dispatch", "派单", {S.REGISTERED}, S.DISPATCHED, {"dispatcher"}, public=True),
        _m("accept", "签收", {S.DISPATCHED}, S.HANDLING, {"handler"}, public=True),
        _m("return", "退单", {S.DISPATCHED, S.HANDLING}, S.RETURNED, {"handler"}, True),
        _m("redispatch", "改派", {S.RETURNED, S.DISPATCHED}, S.DISPATCHED, {"dispatcher"}, True),
        _m("handle", "调查处置", IN_HAND, None, {"handler"}, public=True),
        _m("report_handling", "处理反馈", {S.HANDLING}, S.HANDLED, {"handler"}, public=True),
        _m("verify_close", "核查结案", {S.HANDLED}, S.CLOSED, {"dispatcher"}, public=True),
        _m("rework", "退回重办", {S.HANDLED}, S.HANDLING, {"dispatcher"}, True),
        _m(
            "close_on_spot",
            "网格就地办结",
            {S.REPORTED, S.REGISTERED, S.HANDLING},
            S.CLOSED,
            {"grid"},
            public=True,
        ),
        _m("archive", "归档", {S.CLOSED}, S.ARCHIVED, {"dispatcher", "system"}),
        _m(
            "reopen", "重新办理", {S.CLOSED, S.ARCHIVED}, S.HANDLING, {"dispatcher", "system"}, True
        ),
        _m(
            "escalate",
            "上报上级",
            {S.REPORTED, S.REGISTERED, S.DISPATCHED, S.RETURNED, S.HANDLING},
            S.REGISTERED,
            {"dispatcher", "handler", "grid", "system"},
            True,
        ),
        _m("merge", "并单", ANY_OPEN, S.MERGED, {"dispatcher"}, True, public=True),
        _m("split", "拆分", {S.REPORTED, S.REGISTERED}, S.SPLIT, {"dispatcher"}, True),
        _m("cancel", "作废", {S.REPORTED, S.REGISTERED}, S.CANCELLED, {"dispatcher"}, True, True),
        _m("request_pause", "申请缓办", {S.HANDLING}, S.PAUSE_REQUESTED, {"handler"}, True),
        _m("approve_pause", "批准缓办", {S.PAUSE_REQUESTED}, S.PAUSED, {"dispatcher"}),
        _m("reject_pause", "驳回缓办", {S.PAUSE_REQUESTED}, S.HANDLING, {"dispatcher"}, True),
        _m("resume", "恢复办理", {S.PAUSED}, S.HANDLING, {"handler", "dispatcher", "system"}),
        _m("remind", "催办", ANY_OPEN - {S.REPORTED}, None, {"dispatcher", "system"}),
        _m("supervise", "督办", ANY_OPEN - {S.REPORTED}, None, {"dispatcher", "system"}, True),
        _m("whistle", "吹哨", {S.REGISTERED, S.DISPATCHED, S.HANDLING}, None, {"street"}, True),
        _m("report_in", "部门报到", ANY_OPEN, None, {"summoned"}),
        _m("rate_report_in", "评价报到", OPEN_STATES | {S.CLOSED}, None, {"street"}),
        _m("visit", "回访", {S.CLOSED, S.ARCHIVED}, None, {"dispatcher", "resident"}),
        _m("card", "亮牌", WATCHED_STATES, None, {"system"}),
    ]
}


def allowed_moves(status: str) -> list[Move]:
    return [m for m in MOVES.values() if status in m.sources]


def public_status(status: str) -> str:
    """The Open311 view: open while anything remains to do, closed otherwise."""
    return "open" if status in OPEN_STATES else "closed"


def status_label(status: str) -> str:
    try:
        return Status(status).label
    except ValueError:
        return status
