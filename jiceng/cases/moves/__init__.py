"""The move engine: `engine.py` makes a move; one module per family of rules declares each
move's input and rule:

- `dispatch.py` — register, dispatch, redispatch, accept, return, handle, report_handling,
  escalate (and the dispatch rules' unit suggestion);
- `close.py` — verify_close, rework, close_on_spot, archive, reopen, cancel;
- `merge.py` — merge, split;
- `pause.py` — request_pause, approve_pause, reject_pause, resume;
- `supervise.py` — remind, supervise;
- `whistle.py` — whistle, report_in, rate_report_in;
- `return_visit.py` — return_visit (and the resident's rating on the public page).

The table of states, actors and sources is `jiceng/cases/workflow.py`.
"""

from __future__ import annotations

from jiceng.cases.moves import (  # noqa: F401  (each registers its rules)
    close,
    dispatch,
    merge,
    pause,
    return_visit,
    supervise,
    whistle,
)
from jiceng.cases.moves.base import RULES, MoveInput, MoveRefused, parse
from jiceng.cases.moves.engine import allowed_moves_for, make, transition
from jiceng.cases.workflow import MOVES

# Every move the table offers has a rule and an input, and no rule is outside the table.
_missing = {n for n, m in MOVES.items() if m.offered} ^ set(RULES)
assert not _missing, f"moves and rules differ: {sorted(_missing)}"

__all__ = ["MoveInput", "MoveRefused", "allowed_moves_for", "make", "parse", "transition"]
