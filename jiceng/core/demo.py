"""The demo county: each app adds its part through `<app>.demo.build(ctx)`, in order."""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field
from typing import Any

DEMO_COUNTY = "610921"  # 汉阴县, 安康市, 陕西省
DEMO_PASSWORD = "jiceng-demo-2026"
# Order matters: territory first (regions, grids, staff), then accounts (units, users), …
BUILDERS = [
    "jiceng.territory.demo",
    "jiceng.accounts.demo",
    "jiceng.people.demo",
    "jiceng.cases.demo",
    "jiceng.open311.demo",
    "jiceng.community.demo",
    "jiceng.servicehall.demo",
    "jiceng.command.demo",
    "jiceng.assessment.demo",
    "jiceng.dispatch.demo",
    "jiceng.cases.demo_cards",  # last: cards for whatever the builders left late
]


@dataclass
class DemoContext:
    seed: int = 610921
    county_code: str = DEMO_COUNTY
    password: str = DEMO_PASSWORD
    scale: float = 1.0  # 1.0: the full demo county; tests use a smaller share
    out: Any = None
    rng: random.Random = field(init=False)
    logins: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # (role label, username, where)
    data: dict[str, Any] = field(default_factory=dict)  # what one builder leaves for the next

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def say(self, msg: str) -> None:
        if self.out is not None:
            self.out.write(msg)

    def child_rng(self, name: str) -> random.Random:
        """Each builder draws from its own stream: adding one never changes another's data."""
        return random.Random(f"{self.seed}:{name}")


def build(ctx: DemoContext) -> DemoContext:
    for path in BUILDERS:
        try:
            module = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name != path:
                raise
            continue
        module.build(ctx)
    return ctx
