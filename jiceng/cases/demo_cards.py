"""The demo's last step: one deadline-worker pass over everything the builders made.

The cases builder cards what is late when it ends, but later builders (the assessment's
last month, the service hall, …) leave cases past their limits too; without this pass the
wall counted 27 overdue while the queue's red filter showed 8 until `jiceng worker` first
ran (new-user trial). No notification is sent while building."""

from __future__ import annotations


def build(ctx) -> None:
    from jiceng.cases import worker

    stats = worker.run_pass(send=False)
    ctx.say(f"  期限巡检：黄牌 {stats['yellow']}，红牌 {stats['red']}")
