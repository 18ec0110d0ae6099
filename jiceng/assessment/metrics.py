"""Metric formulas as data, and their evaluation (pure functions over named counts).

A ratio metric: value = scale × Σ wᵢ·countᵢ (numerator) / Σ wⱼ·countⱼ (denominator);
a denominator ≤ 0 gives no value (None, shown "—": 本期无相关诉求 — never 100 %, never a
division error). A unit with no value is not ranked and comes after every unit that has one.
A composite metric: Σ wₖ·valueₖ / Σ wₖ over its components (北京 三率: 响应率、解决率、满意率
weighted e.g. 0.1/0.5/0.4, or 30/35/35); it has no value when any component of positive
weight has none (decision 0105: the weights are not renormalised over the parts that have
data — that scored a village with one answered call and no return visit 100 on 三率).

Counts of cases carrying an exclusion reason the metric lists are left out before the
formula (涉诉、仲裁、信访、恶意、重复 …).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from jiceng.assessment.models import COUNT_LABELS, COUNT_NAMES, ExclusionReason, Metric


@dataclass(frozen=True)
class Formula:
    """A metric definition detached from the database (also frozen into published periods)."""

    code: str
    name: str
    kind: str = Metric.RATIO
    numerator: dict[str, float] = field(default_factory=dict)
    denominator: dict[str, float] = field(default_factory=dict)
    components: dict[str, float] = field(default_factory=dict)
    scale: float = 100.0
    unit_label: str = "%"
    exclusions: tuple[str, ...] = ()
    higher_is_better: bool = True
    source: str = ""
    dimensions: tuple[str, ...] = ()
    version: int = 1
    component_names: tuple[tuple[str, str], ...] = ()  # filled by formula_set

    @classmethod
    def of(cls, m: Metric | Mapping[str, Any]) -> Formula:
        d = m if isinstance(m, Mapping) else to_dict(m)
        return cls(
            code=d["code"],
            name=d["name"],
            kind=d["kind"],
            numerator={k: float(v) for k, v in (d.get("numerator") or {}).items()},
            denominator={k: float(v) for k, v in (d.get("denominator") or {}).items()},
            components={k: float(v) for k, v in (d.get("components") or {}).items()},
            scale=float(d.get("scale", 100)),
            unit_label=d.get("unit_label", "%"),
            exclusions=tuple(d.get("exclusions") or ()),
            higher_is_better=bool(d.get("higher_is_better", True)),
            source=d.get("source", ""),
            dimensions=tuple(d.get("dimensions") or ()),
            version=int(d.get("version", 1)),
        )

    def text(self) -> str:
        """The formula in words, e.g. '(满意数×1 + 基本满意数×0.8) ÷ 参评数 × 100'."""
        if self.kind == Metric.COMPOSITE:
            names = dict(self.component_names)
            terms = " + ".join(f"{names.get(c, c)}×{_num(w)}" for c, w in self.components.items())
            return f"({terms}) ÷ " + gettext("权重和")
        return f"{_side(self.numerator)} ÷ {_side(self.denominator)}" + (
            f" × {_num(self.scale)}" if self.scale != 1 else ""
        )


def formula_set(defs: Iterable[Metric | Mapping[str, Any]]) -> dict[str, Formula]:
    """Formulas by code, composites knowing their components' names (for the text)."""
    fs = {f.code: f for f in (Formula.of(d) for d in defs)}
    names = {c: f.name for c, f in fs.items()}
    for c, f in fs.items():
        if f.kind == Metric.COMPOSITE:
            fs[c] = replace(f, component_names=tuple((k, names.get(k, k)) for k in f.components))
    return fs


def _num(v: float) -> str:
    return f"{v:g}"


def _side(side: Mapping[str, float]) -> str:
    parts = []
    for i, (k, w) in enumerate(side.items()):
        label = gettext(COUNT_LABELS[k]) if k in COUNT_LABELS else k
        term = label if w in (1, -1) else f"{label}×{_num(abs(w))}"
        if i == 0:
            parts.append(term if w > 0 else f"−{term}")
        else:
            parts.append(("+ " if w > 0 else "− ") + term)
    return "(" + " ".join(parts) + ")" if len(parts) > 1 else (parts[0] if parts else "0")


def to_dict(m: Metric) -> dict[str, Any]:
    return {
        "code": m.code,
        "name": m.name,
        "kind": m.kind,
        "numerator": m.numerator,
        "denominator": m.denominator,
        "components": m.components,
        "scale": m.scale,
        "unit_label": m.unit_label,
        "exclusions": list(m.exclusions),
        "higher_is_better": m.higher_is_better,
        "source": m.source,
        "dimensions": list(m.dimensions),
        "version": m.version,
    }


def counts_without(by_reason: Mapping[str, Mapping[str, float]], exclusions) -> dict[str, float]:
    """Sum {reason: counts} over the reasons the metric does not exclude."""
    kept = [c for r, c in by_reason.items() if not (r and r in exclusions)]
    if len(kept) == 1:
        return {n: kept[0].get(n, 0) or 0 for n in COUNT_NAMES}
    out = dict.fromkeys(COUNT_NAMES, 0.0)
    for counts in kept:
        for n in COUNT_NAMES:
            out[n] += counts.get(n, 0) or 0
    return out


def half_up(hundredths: float) -> float:
    """A value given in hundredths, rounded 四舍五入 (half away from zero) to two decimals:
    what a person checking by hand gets. Computed with the same IEEE operations as the
    ranking's SQL (SIGN × FLOOR(ABS + 0.5) / 100), so both give the same figure. A ratio
    of counts is passed as (scale × 100 × num) / den: for whole counts an exact tie
    (1/32 → 312.5) stays exact, so 3.125 rounds to 3.13 (Python's round() gives 3.12)."""
    return math.copysign(math.floor(abs(hundredths) + 0.5), hundredths) / 100.0


def ratio(f: Formula, counts: Mapping[str, float]) -> tuple[float | None, float, float]:
    """(value, numerator, denominator) of a ratio metric."""
    num = sum(w * (counts.get(k, 0) or 0) for k, w in f.numerator.items())
    den = sum(w * (counts.get(k, 0) or 0) for k, w in f.denominator.items())
    if den <= 0:
        return None, num, den
    return half_up(f.scale * 100.0 * num / den), num, den


def evaluate(
    formulas: Mapping[str, Formula], by_reason: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, Any]]:
    """Every formula on one unit's counts by reason → {code: {value, num, den}}.
    Counts are summed once per distinct exclusion set (most metrics share one)."""
    out: dict[str, dict[str, Any]] = {}
    summed: dict[tuple[str, ...], dict[str, float]] = {}
    for code, f in formulas.items():
        if f.kind != Metric.RATIO:
            continue
        counts = summed.get(f.exclusions)
        if counts is None:
            counts = summed[f.exclusions] = counts_without(by_reason, set(f.exclusions))
        value, num, den = ratio(f, counts)
        out[code] = {"value": value, "num": num, "den": den}
    for code, f in formulas.items():
        if f.kind != Metric.COMPOSITE:
            continue
        parts = {comp: out.get(comp, {}).get("value") for comp in f.components}
        out[code] = composite(f, parts)
    return out


def composite(f: Formula, parts: Mapping[str, float | None]) -> dict[str, Any]:
    """{value, num, den, parts, missing} of a composite from its components' values.

    value = Σ wₖ·valueₖ / Σ wₖ, or None when a component of positive weight has no value
    (or is not in the set): the score is the whole formula or nothing (decision 0105).
    `num`/`den` are the weighted sum and the weight sum of the parts that have a value
    (what the working page shows); `missing` the codes of the parts without one."""
    total = weight = 0.0
    missing = []
    for comp, w in f.components.items():
        v = parts.get(comp)
        if v is None:
            if w > 0:
                missing.append(comp)
            continue
        total += w * v
        weight += w
    return {
        "value": half_up(100.0 * total / weight) if weight > 0 and not missing else None,
        "num": round(total, 4),
        "den": weight,
        "parts": dict(parts),
        "missing": missing,
    }


def validate(d: Mapping[str, Any], known_codes: set[str]) -> None:
    """Refuse a definition that cannot be evaluated (Chinese messages)."""
    errors = []
    if d["kind"] == Metric.RATIO:
        for side in ("numerator", "denominator"):
            terms = d.get(side) or {}
            if not terms:
                errors.append(f"{'分子' if side == 'numerator' else '分母'}不能为空")
            for k, w in terms.items():
                if k not in COUNT_NAMES:
                    errors.append(f"未知的计数项：{k}")
                if not isinstance(w, int | float) or abs(w) > 1000:
                    errors.append(f"权重须为 −1000 至 1000 之间的数：{k}")
    else:
        comps = d.get("components") or {}
        if not comps:
            errors.append("综合得分至少需要一个分项指标")
        for k, w in comps.items():
            if k not in known_codes or k == d["code"]:
                errors.append(f"未知的分项指标：{k}")
            if not isinstance(w, int | float) or w < 0 or w > 1000:
                errors.append(f"分项权重须为 0 至 1000 之间的数：{k}")
        if comps and sum(float(w) for w in comps.values()) <= 0:
            errors.append("分项权重之和须大于 0")
    for r in d.get("exclusions") or []:
        if r not in ExclusionReason.values:
            errors.append(f"未知的排除原因：{r}")
    if errors:
        raise ValidationError(errors)


ALL_DIMS = ["street", "village", "department", "grid_worker"]
AREA = ["street", "village", "grid_worker"]
STD_EXCL = ["litigation", "arbitration", "petition", "malicious", "duplicate"]

# The standard set (data migration 0002 writes these; a county edits them on the page).
DEFAULTS: list[dict[str, Any]] = [
    dict(code="response_rate", name="响应率", numerator={"responded": 1},
         denominator={"received": 1}, source="北京市接诉即办考核：响应数/受理数",
         exclusions=STD_EXCL, dimensions=ALL_DIMS),
    dict(code="resolution_rate", name="解决率", numerator={"resolved": 1},
         denominator={"resolve_rated": 1}, source="北京市接诉即办考核：已解决/参评",
         exclusions=STD_EXCL, dimensions=ALL_DIMS),
    dict(code="satisfaction_rate", name="满意率", numerator={"satisfied": 1, "basic": 0.8},
         denominator={"rated": 1}, source="北京市接诉即办考核：满意 + 基本满意×权重",
         exclusions=STD_EXCL, dimensions=ALL_DIMS),
    dict(code="three_rates", name="三率综合得分", kind=Metric.COMPOSITE,
         components={"response_rate": 0.1, "resolution_rate": 0.5, "satisfaction_rate": 0.4},
         scale=1, unit_label="分", source="北京市接诉即办“三率”考核（权重可配置，如 0.1/0.5/0.4 或 30/35/35）",
         dimensions=ALL_DIMS),
    dict(code="ontime_close_rate", name="按期结案率", numerator={"on_time": 1},
         denominator={"due": 1, "paused": -1},
         source="CJ/T 292 数字化城市管理：按期结案数/(应结案数−缓办数)",
         exclusions=STD_EXCL, dimensions=ALL_DIMS),
    dict(code="close_rate", name="结案率", numerator={"closed": 1}, denominator={"due": 1},
         source="CJ/T 292：结案数/应结案数", exclusions=STD_EXCL, dimensions=ALL_DIMS),
    dict(code="rework_rate", name="返工率", numerator={"reworked": 1},
         denominator={"closed": 1}, source="CJ/T 292：返工数/结案数",
         higher_is_better=False, exclusions=STD_EXCL, dimensions=ALL_DIMS),
    dict(code="extension_rate", name="延期率", numerator={"extended": 1},
         denominator={"dispatched": 1}, source="CJ/T 292：延期数/派遣数",
         higher_is_better=False, exclusions=STD_EXCL, dimensions=ALL_DIMS),
    dict(code="timely_rate", name="及时处置率", numerator={"in_time": 1},
         denominator={"dispatched": 1}, source="CJ/T 292：及时处置数/派遣数",
         exclusions=STD_EXCL, dimensions=ALL_DIMS),
    dict(code="grid_close_share", name="网格结案占比", numerator={"closed_t1": 1},
         denominator={"closed": 1}, source="小事不出网格", dimensions=AREA),
    dict(code="village_close_share", name="村社区结案占比", numerator={"closed_t1": 1, "closed_t2": 1},
         denominator={"closed": 1}, source="大事不出村组（网格和村社区层级结案）",
         dimensions=AREA),
    dict(code="street_close_share", name="街镇结案占比", numerator={"closed_t3": 1},
         denominator={"closed": 1}, source="难事不出街镇", dimensions=["street", "village"]),
    dict(code="district_close_share", name="区县结案占比", numerator={"closed_t4": 1},
         denominator={"closed": 1}, source="上交区县的比例", higher_is_better=False,
         dimensions=["street", "village"]),
    dict(code="avg_work_hours", name="平均办理时长", numerator={"hours_sum": 1},
         denominator={"hours_n": 1}, scale=1, unit_label="工作小时", higher_is_better=False,
         source="受理至结案的工作时间（工作日历）", exclusions=STD_EXCL, dimensions=ALL_DIMS),
    dict(code="report_in_rate", name="报到及时率", numerator={"calls_on_time": 1},
         denominator={"calls": 1}, source="吹哨报到：按时报到数/召集数",
         dimensions=["department"]),
    dict(code="report_in_score", name="报到评价（街镇评部门）", numerator={"calls_rating_sum": 20},
         denominator={"calls_rated": 1}, scale=1, unit_label="分",
         source="宝鸡 下对上：街镇对报到部门评分（1–5 分折百分制）", dimensions=["department"]),
    dict(code="dispatch_score", name="派单质量（部门评街镇）", numerator={"dispatch_rating_sum": 20},
         denominator={"dispatch_rated": 1}, scale=1, unit_label="分",
         source="宝鸡 下对上：部门对街镇派单质量评分（1–5 分折百分制）", dimensions=["street"]),
]  # fmt: skip
for i, d in enumerate(DEFAULTS):
    d.setdefault("kind", Metric.RATIO)
    d.setdefault("scale", 100)
    d.setdefault("unit_label", "%")
    d.setdefault("exclusions", [])
    d.setdefault("higher_is_better", True)
    d.setdefault("components", {})
    d.setdefault("numerator", {})
    d.setdefault("denominator", {})
    d["order"] = (i + 1) * 10

SCORE_ITEMS: list[dict[str, Any]] = [
    dict(code="overdue", name="超期办结或超期未结", list="procedure", points=-2, fact="overdue",
         cap=20),
    dict(code="returned", name="被退单", list="procedure", points=-1, fact="returned", cap=10),
    dict(code="rework", name="返工（退回重办/重新办理）", list="duty", points=-2, fact="reworked",
         cap=20),
    dict(code="unsatisfied", name="群众不满意", list="assessment", points=-3,
         fact="unsatisfied", cap=30),
    dict(code="missed_visit", name="漏回访", list="procedure", points=-1, fact="missed_visit",
         cap=10),
    dict(code="on_spot", name="小事不出网格（网格就地办结）", list="assessment", points=0.5,
         fact="closed_t1", cap=10),
    dict(code="meeting", name="参加网格例会、学习制度", list="system", points=1, fact="", cap=5),
    dict(code="no_duty", name="未按排班在岗", list="duty", points=-2, fact="", cap=20),
    dict(code="good_deed", name="好人好事、先进事迹", list="assessment", points=2, fact="",
         cap=10),
]  # fmt: skip


def ensure_defaults() -> int:
    """Create the standard metrics and score items that are missing (never overwrites a
    county's edits). Returns how many rows were created. Used by the data migration and
    by the demo after `--reset` empties the tables."""
    from jiceng.assessment.models import ScoreItem

    made = 0
    for d in DEFAULTS:
        _, created = Metric.objects.get_or_create(
            code=d["code"], defaults={k: v for k, v in d.items() if k != "code"}
        )
        made += created
    for i, d in enumerate(SCORE_ITEMS):
        _, created = ScoreItem.objects.get_or_create(
            code=d["code"], defaults={**{k: v for k, v in d.items() if k != "code"}, "order": i}
        )
        made += created
    return made
