"""Rankings of streets, villages, departments and grid workers from the daily rollups,
with the change against the previous period; publishing (freezing) a period and
appending corrections; and the scope rules of who sees which rows.

Shape of one ranking row (also what a published version stores):
    {"key": "610921001", "name": "城关镇",
     "metrics": {code: {"value": 93.5 | None, "num": 187.0, "den": 200.0}},
     "ranks": {code: 1 | None}, "prev": {code: value | None}, "prev_ranks": {code: …},
     "counts": {count name: n}}          # counts without any exclusion
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import ExpressionWrapper, F, FloatField, Q, Sum, Value
from django.http import Http404
from django.utils import timezone

from jiceng.accounts.models import Role, Unit, UnitKind
from jiceng.accounts.scope import can, require, scope_code
from jiceng.assessment import facts as facts_mod
from jiceng.assessment import rollup
from jiceng.assessment.metrics import Formula, formula_set, to_dict
from jiceng.assessment.models import (
    COUNT_NAMES,
    CaseFact,
    DailyRollup,
    Dimension,
    FrozenFact,
    Metric,
    Period,
    PeriodVersion,
)
from jiceng.assessment.periods import Span
from jiceng.territory.models import GridStaff, Level, Region, StaffRole

DIMS = [d.value for d in Dimension]
COUNTY_LEN = 6


def only(fs: Mapping[str, Formula], codes: list[str]) -> dict[str, Formula]:
    """The formulas needed for `codes`: each one and a composite's components."""
    need = set(codes)
    for c in codes:
        if c in fs:
            need |= set(fs[c].components)
    return {c: f for c, f in fs.items() if c in need}


def formulas() -> dict[str, Formula]:
    """The active metrics; the standard set is put back if the table was emptied (a
    database flush drops what the data migration wrote)."""
    if not Metric.objects.exists():
        from jiceng.assessment.metrics import ensure_defaults

        ensure_defaults()
    return formula_set(Metric.objects.filter(active=True))


def metric_defs() -> list[dict[str, Any]]:
    return [to_dict(m) for m in Metric.objects.filter(active=True)]


# ---------------------------------------------------------------- keys and names


def grid_workers(county: str) -> dict[str, str]:
    """grid code → the names of its on-duty grid workers (网格员), for the grid-worker
    ranking: a case counts for the workers of the nearest grid at or above its region."""
    out: dict[str, list[str]] = defaultdict(list)
    for code, name in GridStaff.objects.filter(
        grid__code__under=county, role=StaffRole.GRID_WORKER, on_duty=True
    ).values_list("grid__code", "name"):
        out[code].append(name)
    return {k: "、".join(sorted(v)) for k, v in out.items()}


def worker_grid(code: str, workers: Mapping[str, str]) -> str | None:
    """The grid whose workers answer for a case in `code`: the nearest grid at or above
    it with an on-duty grid worker, else the grid itself (ranked as 未登记网格员);
    None for a code above grid level."""
    if len(code) <= 12:
        return None
    c = code
    while len(c) > 12:
        if c in workers:
            return c
        c = c[:-3]
    return code


_NAMES: dict[tuple[str, str], tuple[float, dict[Any, str]]] = {}
NAMES_TTL = 60.0  # seconds: a renamed unit shows within a minute


def names_for(dim: str, keys: Iterable[Any], county: str = "") -> dict[Any, str]:
    """Display names of ranking keys. With `county`, all names of that dimension in the
    county are read by prefix once a minute (no IN list of tens of thousands of codes)."""
    if not county:
        keys = [k for k in keys if k not in (None, "")]
        if dim == Dimension.DEPARTMENT:
            return dict(Unit.objects.filter(pk__in=keys).values_list("pk", "name"))
        return dict(Region.objects.filter(code__in=keys).values_list("code", "name"))
    hit = _NAMES.get((dim, county))
    if hit is not None and time.monotonic() - hit[0] < NAMES_TTL:
        return hit[1]
    names: dict[Any, str]
    if dim == Dimension.DEPARTMENT:
        names = dict(Unit.objects.filter(region__code__under=county).values_list("pk", "name"))
    else:
        level = {Dimension.STREET: Level.STREET, Dimension.VILLAGE: Level.VILLAGE}.get(
            Dimension(dim), Level.GRID
        )
        qs = Region.objects.filter(code__under=county)
        qs = qs.filter(level__gte=Level.GRID) if level == Level.GRID else qs.filter(level=level)
        names = dict(qs.values_list("code", "name"))
    _NAMES[(dim, county)] = (time.monotonic(), names)
    return names


def forget_names(**_kw: Any) -> None:
    """Region/Unit saved or deleted in this process: names are read again."""
    _NAMES.clear()


def department_ids(county: str) -> set[int]:
    return set(
        Unit.objects.filter(kind=UnitKind.DEPARTMENT, region__code__under=county).values_list(
            "pk", flat=True
        )
    )


# ---------------------------------------------------------------- computing


def _linear(terms: Mapping[str, float]):
    """Σ weight × column as one SQL expression (a formula side from the metric's data)."""
    expr: Any = None
    for name, w in terms.items():
        if name not in COUNT_NAMES:
            continue
        term = ExpressionWrapper(F(name) * Value(float(w)), output_field=FloatField())
        expr = term if expr is None else expr + term
    return expr if expr is not None else Value(0.0, output_field=FloatField())


def _rollup_rows(dim: str, county: str, span: Span):
    qs = DailyRollup.objects.filter(rollup.span_filter(span))
    if dim == Dimension.DEPARTMENT:
        return qs.filter(region_code=county, unit_id__in=department_ids(county)), "unit_id"
    field = {Dimension.STREET: "street_code", Dimension.VILLAGE: "village_code",
             Dimension.GRID_WORKER: "region_code"}[Dimension(dim)]  # fmt: skip
    qs = qs.filter(region_code__under=county, unit_id__isnull=True)
    if dim == Dimension.GRID_WORKER:
        qs = qs.filter(region_code__regex=r"^\d{15}")
    else:
        qs = qs.exclude(**{field: ""})
    return qs, field


def _grouped(
    dim: str, county: str, span: Span, fs: Mapping[str, Formula], with_counts: bool
) -> dict[Any, dict[str, float]]:
    """{key: {"n:code": numerator, "d:code": denominator, (count names…)}} — every ratio
    formula summed by the database from the rollups, exclusions as SQL filters."""
    qs, field = _rollup_rows(dim, county, span)
    ann: dict[str, Any] = {}
    for i, (_code, f) in enumerate(fs.items()):
        if f.kind != Metric.RATIO:
            continue
        flt = ~Q(reason__in=list(f.exclusions)) if f.exclusions else None
        ann[f"n{i}"] = Sum(_linear(f.numerator), filter=flt)
        ann[f"d{i}"] = Sum(_linear(f.denominator), filter=flt)
    if with_counts:
        ann.update({f"c_{n}": Sum(n) for n in COUNT_NAMES})
    codes = list(fs)
    workers = grid_workers(county) if dim == Dimension.GRID_WORKER else {}
    # annotation name → the accumulator's name, computed once (not per row)
    names = [
        a[2:] if a.startswith("c_") else ("n:" if a[0] == "n" else "d:") + codes[int(a[1:])]
        for a in ann
    ]
    out: dict[Any, dict[str, float]] = {}
    for r in qs.values(field).annotate(**ann).values_list(field, *ann).order_by():
        key = r[0]
        if dim == Dimension.GRID_WORKER:
            key = worker_grid(key, workers)
            if key is None:
                continue
        acc = out.get(key)
        if acc is None:
            out[key] = {n: float(v or 0) for n, v in zip(names, r[1:], strict=True)}
            continue
        for n, v in zip(names, r[1:], strict=True):
            acc[n] = acc.get(n, 0.0) + float(v or 0)
    return out


def rank_rows(rows: list[dict[str, Any]], fs: Mapping[str, Formula], into: str = "ranks") -> None:
    """Competition ranks (1, 2, 2, 4) per metric; rows without a value get None."""
    for code, f in fs.items():
        valued = [r for r in rows if r["metrics"][code]["value"] is not None]
        valued.sort(key=lambda r: r["metrics"][code]["value"], reverse=f.higher_is_better)
        rank, last = 0, None
        for i, r in enumerate(valued, 1):
            v = r["metrics"][code]["value"]
            if v != last:
                rank, last = i, v
            r[into][code] = rank
        for r in rows:
            r[into].setdefault(code, None)


def compute(
    dim: str,
    county: str,
    span: Span,
    fs: Mapping[str, Formula] | None = None,
    with_counts: bool = True,
) -> list[dict[str, Any]]:
    """One dimension's rows for a span (no previous period), ranked.
    Composite metrics are weighted from their components' values in Python."""
    fs = fs if fs is not None else formulas()
    fs = {c: f for c, f in fs.items() if not f.dimensions or dim in f.dimensions}
    grouped = _grouped(dim, county, span, fs, with_counts)
    names = names_for(dim, grouped, county)
    workers = grid_workers(county) if dim == Dimension.GRID_WORKER else {}
    rows = []
    for key, acc in grouped.items():
        name = names.get(key, str(key))
        if dim == Dimension.GRID_WORKER:
            name = f"{workers.get(key) or '未登记网格员'}（{name}）"
        metrics: dict[str, dict[str, Any]] = {}
        for code, f in fs.items():
            if f.kind == Metric.RATIO:
                num, den = acc.get(f"n:{code}", 0.0), acc.get(f"d:{code}", 0.0)
                value = round(f.scale * num / den, 2) if den > 0 else None
                metrics[code] = {"value": value, "num": num, "den": den}
        for code, f in fs.items():
            if f.kind == Metric.COMPOSITE:
                total = weight = 0.0
                for comp, w in f.components.items():
                    v = metrics.get(comp, {}).get("value")
                    if v is not None:
                        total += w * v
                        weight += w
                metrics[code] = {"value": round(total / weight, 2) if weight > 0 else None,
                                 "num": round(total, 4), "den": weight}  # fmt: skip
        row: dict[str, Any] = {"key": key, "name": name, "metrics": metrics, "ranks": {}}
        if with_counts:
            row["counts"] = {n: acc.get(n, 0.0) for n in COUNT_NAMES}
        rows.append(row)
    rows.sort(key=lambda r: str(r["key"]))
    rank_rows(rows, fs)
    return rows


def with_previous(
    dim: str, county: str, span: Span, fs: Mapping[str, Formula], with_counts: bool = True
) -> list[dict[str, Any]]:
    """One dimension's rows with the previous period's values and ranks joined in."""
    rows = compute(dim, county, span, fs, with_counts)
    prev = {r["key"]: r for r in compute(dim, county, span.previous(), fs, False)}
    for r in rows:
        p = prev.get(r["key"])
        r["prev"] = {c: (p["metrics"][c]["value"] if p else None) for c in r["metrics"]}
        r["prev_ranks"] = {c: (p["ranks"].get(c) if p else None) for c in r["metrics"]}
    return rows


def compute_all(
    county: str, span: Span, fs: Mapping[str, Formula] | None = None, with_counts: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """Every dimension for a span and its previous period (values and ranks joined)."""
    rollup.refresh_dirty()
    fs = fs if fs is not None else formulas()
    return {dim: with_previous(dim, county, span, fs, with_counts) for dim in DIMS}


def published(county: str, span: Span) -> tuple[Period | None, PeriodVersion | None]:
    p = Period.objects.filter(county_code=county, start=span.start, end=span.end).first()
    return p, (latest_version(p) if p is not None else None)


def ranking(user, span: Span, dim: str, metric: str | None = None) -> dict[str, Any]:
    """What a user sees of one ranking: {rows (visible only), formulas, period, version,
    live}. A published span shows its latest frozen version, never live figures."""
    county = county_of(user)
    if dim not in DIMS:
        from django.core.exceptions import ValidationError

        raise ValidationError("排名对象应为 street、village、department 或 grid_worker")
    period, version = published(county, span)
    if version is not None:
        fs = formula_set(version.metrics)
        rows = version.rankings.get(dim, [])
    else:
        rollup.refresh_dirty()
        fs = formulas()
        # the page shows one metric: compute it (and a composite's parts) only
        wanted = only(fs, [metric]) if metric in fs else fs
        rows = with_previous(dim, county, span, wanted, with_counts=False)
    fs = {c: f for c, f in fs.items() if not f.dimensions or dim in f.dimensions}
    return {
        "county": county,
        "rows": visible_rows(user, dim, rows),
        "total": len(rows),
        "formulas": fs,
        "period": period,
        "version": version,
        "live": version is None,
    }


# ---------------------------------------------------------------- scope


def county_of(user) -> str:
    """The county a user is assessed in (their scope's first six digits)."""
    require(user, "assessment.view")
    code = scope_code(user)
    if code is None or len(code) < COUNTY_LEN:
        raise PermissionDenied("您没有可查看的考核范围")
    return code[:COUNTY_LEN]


def row_visible(user, dim: str, key: Any) -> bool:
    """A row of a ranking is visible to the user (rules in the module docstring of views)."""
    if user.is_superuser:
        return True
    code = scope_code(user) or ""
    if not code:
        return False
    if user.role in (Role.DISTRICT_ADMIN, Role.AUDITOR):
        # the county's departments (rows come from the county only), and areas inside it
        return dim == Dimension.DEPARTMENT or str(key).startswith(code)
    if dim == Dimension.DEPARTMENT:
        if user.role == Role.DEPARTMENT_HANDLER:
            return key == user.unit_id
        # streets rate the departments that answered them (下对上): they see the ranking
        return user.role == Role.STREET_DISPATCHER
    if user.role == Role.DEPARTMENT_HANDLER:
        return False
    key = str(key)
    if len(code) <= len(key):
        return key.startswith(code)
    # a village's staff sees its street's own row; nothing sideways
    return dim == Dimension.STREET and code.startswith(key)


def visible_rows(user, dim: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if row_visible(user, dim, r["key"])]


# ---------------------------------------------------------------- publishing


def _freeze_facts(version: PeriodVersion, county: str, span: Span) -> int:
    qs = CaseFact.objects.filter(day__gte=span.start, day__lte=span.end, region_code__under=county)
    fields = ["case_id", "number", "day", "region_code", "street_code", "village_code",
              "unit_id", "reason", "extra_units", *COUNT_NAMES]  # fmt: skip
    batch: list[FrozenFact] = []
    n = 0
    for row in qs.values(*fields).iterator(chunk_size=5000):
        batch.append(FrozenFact(version=version, **row))
        if len(batch) >= 5000:
            FrozenFact.objects.bulk_create(batch)
            n += len(batch)
            batch = []
    FrozenFact.objects.bulk_create(batch)
    return n + len(batch)


def refresh_span(county: str, span: Span, now: datetime | None = None) -> int:
    """Recompute the facts of every case taken in during the span (the clock moves facts
    like 'overdue' without a move), then the rollups."""
    ids: list[int] = []
    n = 0
    for pk in facts_mod.ids_created_between(span.start, span.end, county):
        ids.append(pk)
        if len(ids) >= 5000:
            n += facts_mod.refresh(ids, now)
            ids = []
    n += facts_mod.refresh(ids, now)
    rollup.refresh_dirty()
    return n


def _version(period: Period, n: int, user, reason: str, span: Span) -> PeriodVersion:
    refresh_span(period.county_code, span)
    fs = formulas()
    rankings = compute_all(period.county_code, span, fs)
    v = PeriodVersion.objects.create(
        period=period,
        n=n,
        at=timezone.now(),
        by=user,
        reason=reason,
        metrics=metric_defs(),
        rankings=_jsonable(rankings),
    )
    _freeze_facts(v, period.county_code, span)
    return v


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(v) for v in obj]
    return obj


def publish(user, span: Span, note: str = "") -> Period:
    """Freeze a closed period (its end before today): version 1 of its figures and facts.
    Raises PermissionDenied / ValidationError (Chinese)."""
    from django.core.exceptions import ValidationError

    require(user, "assessment.publish")
    county = county_of(user)
    if span.end >= timezone.localdate():
        raise ValidationError("只能发布已经结束的考核周期")
    with transaction.atomic():
        if (
            Period.objects.select_for_update()
            .filter(county_code=county, start=span.start, end=span.end)
            .exists()
        ):
            raise ValidationError("该考核周期已发布；如需更正请追加更正")
        period = Period.objects.create(
            county_code=county,
            kind=span.kind,
            start=span.start,
            end=span.end,
            label=span.label,
            published_at=timezone.now(),
            published_by=user,
        )
        _version(period, 1, user, note or "发布", span)
    return period


def correct(user, period: Period, reason: str) -> PeriodVersion:
    """Append a corrected version (figures recomputed from today's facts) with its reason;
    earlier versions stay as they were."""
    from django.core.exceptions import ValidationError

    require(user, "assessment.publish")
    if county_of(user) != period.county_code:
        raise Http404("该考核周期不存在")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError("请填写更正原因（至少 4 个字）")
    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        n = (locked.versions.order_by("-n").values_list("n", flat=True).first() or 0) + 1
        return _version(locked, n, user, reason, Span(locked.kind, locked.start, locked.end))


def latest_version(period: Period) -> PeriodVersion:
    v = period.versions.order_by("-n").first()
    if v is None:
        raise Http404("该考核周期没有发布的数据")
    return v


def find_period(user, pk: int) -> Period:
    county = county_of(user)
    p = Period.objects.filter(pk=pk, county_code=county).first()
    if p is None:
        raise Http404("该考核周期不存在")
    return p


def can_edit(user) -> bool:
    return can(user, "assessment.edit")
