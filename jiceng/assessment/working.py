"""Show the working: one figure's formula, its counts filled in, and the cases behind the
numerator and the denominator (only those the viewer may see).

Live figures read CaseFact; a published figure reads the FrozenFact copy of its version,
so the cases shown are the ones the published number was made of.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext

from jiceng.assessment import facts as facts_mod
from jiceng.assessment import rollup
from jiceng.assessment.metrics import Formula, counts_without, evaluate, ratio
from jiceng.assessment.models import (
    COUNT_LABELS,
    COUNT_NAMES,
    CaseFact,
    Dimension,
    ExclusionReason,
    FrozenFact,
    PeriodVersion,
)
from jiceng.assessment.periods import Span
from jiceng.assessment.rankings import (
    department_ids,
    grid_workers,
    row_visible,
    worker_grid,
)
from jiceng.cases.services import visible_cases

CASE_LIMIT = 500


def _facts_for(
    dim: str, key: str, county: str, span: Span, version: PeriodVersion | None
) -> list[dict[str, Any]]:
    """The fact rows that make up one ranking row (with call/rating counts attributed
    to the department for the department dimension)."""
    qs: Any
    if version is not None:
        qs = FrozenFact.objects.filter(version=version)
    else:
        qs = CaseFact.objects.all()
    qs = qs.filter(day__gte=span.start, day__lte=span.end, region_code__under=county)
    fields = ["case_id", "number", "region_code", "unit_id", "reason", "extra_units", *COUNT_NAMES]
    if dim == Dimension.STREET:
        rows = list(qs.filter(street_code=key).values(*fields))
    elif dim == Dimension.VILLAGE:
        rows = list(qs.filter(village_code=key).values(*fields))
    elif dim == Dimension.GRID_WORKER:
        workers = grid_workers(county)
        rows = [
            r
            for r in qs.filter(region_code__under=key).values(*fields)
            if worker_grid(r["region_code"], workers) == key
        ]
    else:
        unit = int(key)
        if unit not in department_ids(county):
            raise Http404(gettext("该部门不存在"))
        rows = []
        for r in qs.values(*fields).iterator(chunk_size=5000):
            own = r["unit_id"] == unit
            extra = [c for u, c in r["extra_units"] if u == unit]
            if not own and not extra:
                continue
            counts = dict.fromkeys(COUNT_NAMES, 0) if not own else {n: r[n] for n in COUNT_NAMES}
            for c in extra:
                for n, v in c.items():
                    counts[n] = counts.get(n, 0) + v
            rows.append({**r, **counts})
    if dim != Dimension.DEPARTMENT:
        for r in rows:  # call counts live with the department, dispatch ratings with the area
            for _unit, c in r["extra_units"]:
                for n, v in c.items():
                    if n.startswith("dispatch_"):
                        r[n] = r.get(n, 0) + v
    return rows


def explain(
    user,
    dim: str,
    key: str,
    code: str,
    county: str,
    span: Span,
    fs: dict[str, Formula],
    version: PeriodVersion | None = None,
) -> dict[str, Any]:
    """{formula, text, counts, value, num, den, numerator_cases, denominator_cases,
    excluded_cases, hidden} — raises Http404 for a row or metric the user may not see."""
    if dim not in Dimension.values:
        raise Http404(gettext("没有这个排名"))
    f = fs.get(code)
    if f is None:
        raise Http404(gettext("没有这个指标"))
    parsed: Any = int(key) if dim == Dimension.DEPARTMENT and key.isdigit() else key
    if not row_visible(user, dim, parsed):
        raise Http404(gettext("该单位不在您的查看范围内"))
    if version is None:
        rollup.refresh_dirty()
    rows = _facts_for(dim, key, county, span, version)
    by_reason: dict[str, dict[str, float]] = {}
    for r in rows:
        acc = by_reason.setdefault(r["reason"], dict.fromkeys(COUNT_NAMES, 0.0))
        for n in COUNT_NAMES:
            acc[n] += r.get(n, 0) or 0
    result = evaluate(fs, by_reason)[code]
    parts = {}
    if f.kind == "composite":
        for comp in f.components:
            cf = fs[comp]
            counts = counts_without(by_reason, set(cf.exclusions))
            v, num, den = ratio(cf, counts)
            parts[comp] = {"name": cf.name, "value": v, "num": num, "den": den,
                           "text": cf.text(), "weight": f.components[comp]}  # fmt: skip
        missing = [parts[c]["name"] if c in parts else c for c in result.get("missing", [])]
        return {"formula": f, "text": f.text(), **result, "parts": parts, "composite": True,
                "missing_names": missing}  # fmt: skip
    counts = counts_without(by_reason, set(f.exclusions))
    used = list(dict.fromkeys([*f.numerator, *f.denominator]))
    filled = [{"name": n, "label": gettext(COUNT_LABELS[n]), "value": counts[n]} for n in used]
    excluded = [r for r in rows if r["reason"] and r["reason"] in f.exclusions]
    kept = [r for r in rows if not (r["reason"] and r["reason"] in f.exclusions)]
    num_rows = [r for r in kept if any((r.get(n) or 0) > 0 for n in f.numerator)]
    den_rows = [r for r in kept if any((r.get(n) or 0) != 0 for n in f.denominator)]
    visible = set(
        visible_cases(user)
        .filter(pk__in=[r["case_id"] for r in num_rows + den_rows + excluded][:20000])
        .values_list("pk", flat=True)
    )
    briefs = facts_mod.case_briefs(
        [r["case_id"] for r in (num_rows + den_rows + excluded) if r["case_id"] in visible][
            : CASE_LIMIT * 3
        ]
    )

    def listing(rs: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
        out = []
        for r in rs:
            b = briefs.get(r["case_id"])
            if b is None:
                continue
            out.append({**b, "number": r["number"], "reason": r["reason"],
                        "reason_label": ExclusionReason(r["reason"]).label if r["reason"] else "",
                        "terms": {gettext(COUNT_LABELS[n]): r.get(n, 0) for n in names}})  # fmt: skip
            if len(out) >= CASE_LIMIT:
                break
        return out

    return {
        "formula": f,
        "text": f.text(),
        "composite": False,
        **result,
        "filled": filled,
        "numerator_cases": listing(num_rows, list(f.numerator)),
        "denominator_cases": listing(den_rows, list(f.denominator)),
        "excluded_cases": listing(excluded, used),
        "numerator_total": len(num_rows),
        "denominator_total": len(den_rows),
        "excluded_total": len(excluded),
        "hidden": len({r["case_id"] for r in num_rows + den_rows} - visible),
    }
