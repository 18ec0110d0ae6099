"""The three-colour rules (安康 放心户/关心户/连心户) as pure functions over facts.

1. The facts of a household are plain values (see `FACTS`), computed in `services`.
2. A rule is a colour, a name and a list of conditions that must all hold.
3. Red rules are tried first, then yellow; every rule that matches the winning colour is
   kept as a reason. A household that no red or yellow rule matches is green.
A missing fact (an unknown income, say) makes a condition false, never an error: the
household stays in the colour the rest of its facts give.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GREEN, YELLOW, RED = "green", "yellow", "red"

# fact name (or prefix) -> what it means; shown on the rules page and checked on save.
FACTS = {
    "members": "家庭人口数",
    "income_per_head": "家庭人均年收入（元）",
    "village_avg_income": "本村（社区）人均年收入（元）",
    "income_ratio": "人均收入与本村平均之比",
    "safe_family_years": "连续评为平安家庭年数",
    "elderly": "60岁以上成员数",
    "children": "未满18岁成员数",
    "tags_any": "成员关爱标签总数",
    "tag.": "持有某类标签的成员数，如 tag.living_alone_elderly",
    "tagvalue.": "某类标签某字段的取值列表，如 tagvalue.disabled.grade",
}


def _lt(a, b):
    return a < b


OPS = {
    "lt": _lt,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "in": lambda a, b: a in b,
    "any_in": lambda a, b: any(x in b for x in a),
}
OP_LABELS = {
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "eq": "=",
    "ne": "≠",
    "in": "属于",
    "any_in": "任一属于",
}


class RuleError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    colour: str
    name: str
    conditions: tuple[Mapping[str, Any], ...]
    priority: int = 100


@dataclass
class Outcome:
    colour: str
    reasons: list[str] = field(default_factory=list)


def check_conditions(conditions: Any) -> None:
    """Refuse a rule a person wrote wrongly, with a Chinese reason."""
    if not isinstance(conditions, list) or not conditions:
        raise RuleError("规则至少需要一个条件")
    for c in conditions:
        if not isinstance(c, dict) or set(c) - {"fact", "op", "value"}:
            raise RuleError(f"条件格式不正确：{c!r}")
        fact, op = c.get("fact", ""), c.get("op", "")
        if not isinstance(fact, str) or not (
            fact in FACTS or any(fact.startswith(p) for p in FACTS if p.endswith("."))
        ):
            raise RuleError(f"未知的事实项：{fact!r}")
        if op not in OPS:
            raise RuleError(f"未知的比较方式：{op!r}")
        if op in ("in", "any_in") and not isinstance(c.get("value"), list):
            raise RuleError(f"“{op}”的取值必须是列表")


def holds(condition: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    fact = condition["fact"]
    if fact.startswith("tag.") or fact == "tags_any":
        value = facts.get(fact, 0)  # no member with the tag: 0, not unknown
    elif fact.startswith("tagvalue."):
        value = facts.get(fact, [])
    else:
        value = facts.get(fact)
    if value is None:
        return False
    try:
        return bool(OPS[condition["op"]](value, condition.get("value")))
    except TypeError:
        return False


def classify(rules: Iterable[Rule], facts: Mapping[str, Any]) -> Outcome:
    ordered = sorted(rules, key=lambda r: (0 if r.colour == RED else 1, r.priority))
    for colour in (RED, YELLOW):
        reasons = [
            r.name
            for r in ordered
            if r.colour == colour and all(holds(c, facts) for c in r.conditions)
        ]
        if reasons:
            return Outcome(colour, reasons)
    return Outcome(GREEN, [])


def describe(conditions: Iterable[Mapping[str, Any]]) -> str:
    parts = []
    for c in conditions:
        label = FACTS.get(c["fact"], c["fact"])
        parts.append(f"{label} {OP_LABELS.get(c['op'], c['op'])} {c.get('value')}")
    return "，且".join(parts)
