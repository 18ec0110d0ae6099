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

import functools
import operator
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connections, transaction
from django.db.models import (
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

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
    PublishedRow,
    UnitMonth,
)
from jiceng.assessment.periods import Span, month_of
from jiceng.lib import paging
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


def _rollup_rows(dim: str, county: str, spans: list[Span]):
    """The rollup rows of one kind of unit for the spans, annotated with the ranking key
    `k` and `s`, the index of the span a row belongs to (the spans do not overlap)."""
    where = [rollup.span_filter(sp) for sp in spans]
    qs = DailyRollup.objects.filter(functools.reduce(operator.or_, where)).annotate(
        s=Case(
            *(When(q, then=Value(i)) for i, q in enumerate(where[1:], 1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    if dim == Dimension.DEPARTMENT:
        qs = qs.filter(region_code=county, unit_id__in=department_ids(county))
        return qs.annotate(k=F("unit_id"))
    field = {Dimension.STREET: "street_code", Dimension.VILLAGE: "village_code",
             Dimension.GRID_WORKER: "region_code"}[Dimension(dim)]  # fmt: skip
    qs = qs.filter(region_code__under=county, unit_id__isnull=True)
    if dim == Dimension.GRID_WORKER:
        return qs.filter(region_code__regex=r"^\d{15}").annotate(k=F("region_code"))
    return qs.exclude(**{field: ""}).annotate(k=F(field))


def _worker_levels(county: str, workers: Mapping[str, str]) -> int:
    """How many prefixes of a code to try for its worker's grid (0: no grid of the county
    has a registered worker, every grid is ranked as itself): from the longest region code
    down to the shortest grid with a worker, 3 digits a level."""
    if not workers:
        return 0
    codes = names_for(Dimension.GRID_WORKER, (), county)
    longest = max((len(c) for c in codes), default=32)
    return max(1, (longest - min(len(c) for c in workers)) // 3 + 1)


def _workers_cte(county: str) -> tuple[str, list[Any]]:
    """`wg`: the codes of the county's grids with an on-duty grid worker."""
    region, staff = Region._meta.db_table, GridStaff._meta.db_table
    sql = (
        f"wg AS (SELECT DISTINCT g.code FROM {region} g JOIN {staff} s ON s.grid_id = g.id "
        f"WHERE s.role = %s AND s.on_duty = %s AND g.code >= %s AND g.code < %s)"
    )
    return sql, [StaffRole.GRID_WORKER.value, True, county, county + ":"]


def _worker_keys(grouped: str, with_counts: bool, fs: Mapping[str, Formula], levels: int) -> str:
    """`worker_grid` in SQL over rows grouped by region code: a code longer than a grid's
    (a micro-grid) counts for the nearest grid at or above it with an on-duty grid worker
    (joins on `wg`), else for itself; the sums are added up per grid."""
    joins, found = [], []
    for i in range(levels):
        cut = f"LENGTH(x.k) - {3 * i}"
        joins.append(f"LEFT JOIN wg w{i} ON {cut} > 12 AND w{i}.code = SUBSTR(x.k, 1, {cut})")
        found.append(f"w{i}.code")
    sums = [
        f"SUM(x.{c}) AS {c}"
        for i, f in enumerate(fs.values())
        if f.kind == Metric.RATIO
        for c in (f"a{i}", f"b{i}")
    ]
    if with_counts:
        sums += [f"SUM(x.c_{n}) AS c_{n}" for n in COUNT_NAMES]
    key = f"COALESCE({', '.join(found)}, x.k)"
    return (
        f"SELECT x.s AS s, {key} AS k, {', '.join(sums)} FROM ({grouped}) x "
        f"{' '.join(joins)} GROUP BY x.s, {key}"
    )


def _grouped_sql(
    dim: str,
    county: str,
    spans: list[Span],
    fs: Mapping[str, Formula],
    with_counts: bool,
    levels: int = 0,
) -> tuple[str, list[Any]]:
    """SELECT s, k, a0, b0, a1, b1 … (, c_received …) — every ratio formula's numerator
    and denominator summed by the database per span and ranking key, exclusions as SQL
    filters."""
    ann: dict[str, Any] = {}
    for i, f in enumerate(fs.values()):
        if f.kind != Metric.RATIO:
            continue
        flt = ~Q(reason__in=list(f.exclusions)) if f.exclusions else None
        ann[f"a{i}"] = Sum(_linear(f.numerator), filter=flt)
        ann[f"b{i}"] = Sum(_linear(f.denominator), filter=flt)
    if with_counts:
        ann.update({f"c_{n}": Sum(n) for n in COUNT_NAMES})
    qs = _rollup_rows(dim, county, spans).values("s", "k").annotate(**ann).order_by()
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    if dim == Dimension.GRID_WORKER and levels:
        sql = _worker_keys(sql, with_counts, fs, levels)
    return sql, list(params)


def _lit(x: float) -> str:
    return f"CAST({float(x)!r} AS double precision)"


def _half_up(hundredths: str, vendor: str) -> str:
    """metrics.half_up in SQL: the same IEEE operations (SQLite: a cast truncates)."""
    y = f"({hundredths})"
    if vendor == "postgresql":
        return f"(SIGN({y}) * FLOOR(ABS({y}) + 0.5)) / 100.0"
    return f"(SIGN({y}) * CAST(ABS({y}) + 0.5 AS INTEGER)) / 100.0"


def _composite_sql(
    f: Formula, cols: Mapping[str, int | None], done: set[int]
) -> tuple[str, str, str]:
    """metrics.composite in SQL over the component value columns v{j}: (weighted sum of
    the parts with a value, their weight sum, 1 when every part of positive weight has a
    value else 0). A part not computed (yet) has no value, as in Python."""
    total = weight = _lit(0)
    present: list[str] = []
    for comp, w in f.components.items():
        j = cols.get(comp)
        if j is None or j not in done:
            if w > 0:
                present.append("1 = 0")
            continue
        total = f"({total} + COALESCE({_lit(w)} * v{j}, {_lit(0)}))"
        weight = f"({weight} + CASE WHEN v{j} IS NULL THEN {_lit(0)} ELSE {_lit(w)} END)"
        if w > 0:
            present.append(f"v{j} IS NOT NULL")
    whole = f"CASE WHEN {' AND '.join(present)} THEN 1 ELSE 0 END" if present else "1"
    return total, weight, whole


def _ranked_sql(
    name: str, grouped: str, fs: Mapping[str, Formula], vendor: str, with_counts: bool
) -> str:
    """CTEs `{name}_0 … {name}_r`: values of every metric (ratios divided and rounded,
    composites weighted from their parts' rounded values) and their competition ranks
    (RANK: 1, 2, 2, 4; no rank without a value). The last CTE is `{name}_r`."""
    codes = list(fs)
    idx = {c: i for i, c in enumerate(codes)}
    ctes = [f"{name}_g AS ({grouped})"]
    cols = ["k"]
    for i, f in enumerate(fs.values()):
        if f.kind == Metric.RATIO:
            n, d = f"COALESCE(a{i}, 0)", f"COALESCE(b{i}, 0)"
            cols += [f"{n} AS n{i}", f"{d} AS d{i}"]
            value = _half_up(f"({_lit(f.scale * 100.0)} * {n}) / {d}", vendor)
            cols.append(f"CASE WHEN {d} > 0 THEN {value} END AS v{i}")
    # each layer computed once (MATERIALIZED: not inlined into the next one's expressions)
    counts = [c for c in (f"c_{n}" for n in COUNT_NAMES) if with_counts]
    # only what the next layers use (narrow rows sort in memory)
    ctes.append(
        f"{name}_0 AS MATERIALIZED (SELECT {', '.join(['s', 'k', *counts, *cols[1:]])} "
        f"FROM {name}_g)"
    )
    prev, done = f"{name}_0", {i for i, f in enumerate(fs.values()) if f.kind == Metric.RATIO}
    for i, f in enumerate(fs.values()):
        if f.kind != Metric.COMPOSITE:
            continue
        total, weight, whole = _composite_sql(f, {c: idx.get(c) for c in f.components}, done)
        value = _half_up(f"({_lit(100.0)} * n{i}) / d{i}", vendor)
        ctes.append(
            f"{name}_s{i} AS MATERIALIZED (SELECT *, {total} AS n{i}, {weight} AS d{i}, "
            f"{whole} AS ok{i} FROM {prev})"
        )
        ctes.append(
            f"{name}_c{i} AS MATERIALIZED (SELECT *, CASE WHEN d{i} > 0 AND ok{i} = 1 THEN "
            f"{value} END AS v{i} FROM {name}_s{i})"
        )
        prev = f"{name}_c{i}"
        done.add(i)
    ranks = []
    for i, f in enumerate(fs.values()):
        order = "DESC" if f.higher_is_better else "ASC"
        ranks.append(
            f"CASE WHEN v{i} IS NULL THEN NULL ELSE RANK() OVER (PARTITION BY s, CASE WHEN "
            f"v{i} IS NULL THEN 1 ELSE 0 END ORDER BY v{i} {order}) END AS r{i}"
        )
    ctes.append(f"{name}_r AS (SELECT *, {', '.join(ranks)} FROM {prev})")
    return ",\n".join(ctes)


def _ranked(
    dim: str,
    county: str,
    span: Span,
    fs: Mapping[str, Formula],
    with_counts: bool,
    previous: Span | None,
    workers: Mapping[str, str] | None = None,
) -> list[tuple]:
    """One query: the span's rows (and the previous span's values and ranks, pivoted onto
    the same rows by key: one grouping, no join). Columns: k, then per metric i: num, den,
    value, rank; the counts; per metric the previous value and rank."""
    conn = connections[DailyRollup.objects.db]
    vendor = conn.vendor
    ctes: list[str] = []
    params: list[Any] = []
    levels = _worker_levels(county, workers or {}) if dim == Dimension.GRID_WORKER else 0
    if levels:
        wg, params = _workers_cte(county)
        ctes.append(wg)
    spans = [span] if previous is None else [span, previous]
    sql, gparams = _grouped_sql(dim, county, spans, fs, with_counts, levels)
    ctes.append(_ranked_sql("u", sql, fs, vendor, with_counts))
    params += gparams
    if previous is None:
        out = ["k"]
        for i in range(len(fs)):
            out += [f"n{i}", f"d{i}", f"v{i}", f"r{i}"]
        if with_counts:
            out += [f"c_{n}" for n in COUNT_NAMES]
        query = f"WITH {', '.join(ctes)} SELECT {', '.join(out)} FROM u_r"
    else:

        def cur(col: str) -> str:
            return f"MAX(CASE WHEN s = 0 THEN {col} END)"

        def prv(col: str) -> str:
            return f"MAX(CASE WHEN s = 1 THEN {col} END)"

        out = ["k"]
        for i in range(len(fs)):
            out += [cur(f"n{i}"), cur(f"d{i}"), cur(f"v{i}"), cur(f"r{i}")]
        if with_counts:
            out += [cur(f"c_{n}") for n in COUNT_NAMES]
        for i in range(len(fs)):
            out += [prv(f"v{i}"), prv(f"r{i}")]
        query = (
            f"WITH {', '.join(ctes)} SELECT {', '.join(out)} FROM u_r GROUP BY k HAVING MIN(s) = 0"
        )
    with transaction.atomic(using=conn.alias), conn.cursor() as c:
        if vendor == "postgresql":  # 2 × 32 k rows sorted 4 times: in memory, not on disk
            c.execute("SET LOCAL work_mem = '64MB'")
            # ~60 sums a key: hashing 64 k keys takes >128 MB and spills; sorting is faster
            c.execute("SET LOCAL enable_hashagg = off")
        c.execute(query, params)
        return c.fetchall()


# ---------------------------------------------------------------- from the pre-summed rows

TABLE_DIM = {Dimension.STREET: "street", Dimension.VILLAGE: "village",
             Dimension.GRID_WORKER: "grid", Dimension.DEPARTMENT: "unit"}  # fmt: skip
FROM_TABLE = {v: Dimension(k).value for k, v in TABLE_DIM.items()}


def months_of(span: Span) -> list[date] | None:
    """The first days of the whole months a span is made of, or None when it has a part
    of a month (a week, a range of days): those rank from the day rows."""
    out: list[date] = []
    d = span.start
    while d <= span.end:
        m = month_of(d)
        if m.start != d or m.end > span.end:
            return None
        out.append(d)
        d = m.end + timedelta(days=1)
    return out


def _unit_month_sql(
    county: str,
    spans: list[list[date]],
    dims: list[str],
    fs: Mapping[str, Formula],
    with_counts: bool,
    rank_codes: set[str] | None,
    levels: int,
    vendor: str,
) -> tuple[str, list[Any]]:
    """One query over UnitMonth for several kinds of unit and both spans (decision 0086):
    each unit's kept counts = its all-reasons row minus the reason rows its metric
    excludes (one multiplier per distinct exclusion set: +1 for "*", -1 for an excluded
    reason, 0 otherwise), summed per span, kind and unit (a span of several months, or
    micro-grids mapped to their worker's grid, add rows up); then values, composites and
    RANK() per span and kind as in `_ranked_sql`, and the previous span joined by key.
    Columns: dim, k, per metric n, d, v, r; the counts; per metric previous v, r."""
    params: list[Any] = []
    ctes: list[str] = []
    if levels:
        wg, params = _workers_cte(county)
        ctes.append(wg)
    codes = list(fs)
    ratio = [i for i, f in enumerate(fs.values()) if f.kind == Metric.RATIO]
    excl: dict[tuple[str, ...], int] = {}
    need: dict[int, list[str]] = defaultdict(list)  # exclusion set → counts it sums
    for i in ratio:
        f = fs[codes[i]]
        e = excl.setdefault(tuple(sorted(f.exclusions)), len(excl))
        for n in [*f.numerator, *f.denominator]:
            if n in COUNT_NAMES and n not in need[e]:
                need[e].append(n)
    if with_counts:
        e_all = excl.setdefault((), len(excl))
        need[e_all] = list(COUNT_NAMES)
    # each row read: its span, its (worker) key and one multiplier per exclusion set
    all_months = [m for sp in spans for m in sp]
    s_expr = "0"
    row_params: list[Any] = []  # of each read of the table: the span's months, the reasons
    if len(spans) > 1:
        s_expr = f"CASE WHEN u.month IN ({', '.join(['%s'] * len(spans[0]))}) THEN 0 ELSE 1 END"
        row_params += spans[0]
    key = "u.key"
    joins = []
    if levels:
        found = []
        for i in range(levels):
            cut = f"LENGTH(u.key) - {3 * i}"
            joins.append(
                f"LEFT JOIN wg w{i} ON u.dim = 'grid' AND {cut} > 12 "
                f"AND w{i}.code = SUBSTR(u.key, 1, {cut})"
            )
            found.append(f"w{i}.code")
        key = f"CASE WHEN u.dim = 'grid' THEN COALESCE({', '.join(found)}, u.key) ELSE u.key END"
    mults = []
    for reasons_out, j in excl.items():
        minus = ""
        if reasons_out:
            minus = f" WHEN u.reason IN ({', '.join(['%s'] * len(reasons_out))}) THEN -1"
            row_params += list(reasons_out)
        mults.append(f"CASE WHEN u.reason = '{UnitMonth.ALL}' THEN 1{minus} ELSE 0 END AS m{j}")
    used = sorted({n for ns in need.values() for n in ns}, key=COUNT_NAMES.index)
    where = [
        "u.county = %s",
        f"u.dim IN ({', '.join(['%s'] * len(dims))})",
        f"u.month IN ({', '.join(['%s'] * len(all_months))})",
    ]
    where_params: list[Any] = [county, *[TABLE_DIM[Dimension(d)] for d in dims], *all_months]
    if Dimension.DEPARTMENT in dims:
        depts = sorted(str(x) for x in department_ids(county))
        keep = f" OR u.key IN ({', '.join(['%s'] * len(depts))})" if depts else ""
        where.append(f"(u.dim <> 'unit'{keep})")
        where_params += depts
    table = UnitMonth._meta.db_table

    def rows(only: str) -> str:
        return (
            f"SELECT {s_expr} AS s, u.dim AS dim, {key} AS k, "
            f"{', '.join([*mults, *(f'u.{n}' for n in used)])} "
            f"FROM {table} u {' '.join(joins)} WHERE {' AND '.join([*where, only])}"
        )

    sums = [f"SUM(t.{n} * t.m{j}) AS e{j}_{n}" for j, ns in need.items() for n in ns]
    if levels or any(len(sp) > 1 for sp in spans):
        # several rows a unit (months of a quarter, micro-grids of one worker): add up
        ctes.append(f"g AS (SELECT s, dim, k, {', '.join(sums)} FROM ({rows('1 = 1')}) t "
                    "GROUP BY s, dim, k)")  # fmt: skip
        params += [*row_params, *where_params]
    else:
        # one all-reasons row a unit: no grouping, the few excluded reason rows subtracted
        kept = [
            f"a.{n} + COALESCE(x.e{j}_{n}, 0) AS e{j}_{n}" for j, ns in need.items() for n in ns
        ]
        reasons, totals = rows("u.reason <> '*'"), rows("u.reason = '*'")
        ctes.append(
            f"xr AS (SELECT s, dim, k, {', '.join(sums)} FROM ({reasons}) t GROUP BY s, dim, k), "
            f"g AS (SELECT a.s, a.dim, a.k, {', '.join(kept)} FROM ({totals}) a "
            "LEFT JOIN xr x ON x.s = a.s AND x.dim = a.dim AND x.k = a.k)"
        )
        params += [*row_params, *where_params] * 2
    # values: Σ w·count in the order Python's sum() takes (metrics.ratio)
    cols = []
    for i in ratio:
        f = fs[codes[i]]
        j = excl[tuple(sorted(f.exclusions))]
        for side, name in ((f.numerator, "n"), (f.denominator, "d")):
            expr = _lit(0)
            for n, w in side.items():
                if n in COUNT_NAMES:
                    expr = f"({expr} + {_lit(w)} * e{j}_{n})"
            cols.append(f"{expr} AS {name}{i}")
    if with_counts:
        cols += [f"e{excl[()]}_{n} AS c_{n}" for n in COUNT_NAMES]
    ctes.append(f"x AS (SELECT s, dim, k, {', '.join(cols)} FROM g)")
    vals = [
        f"CASE WHEN d{i} > 0 THEN "
        f"{_half_up(f'({_lit(fs[codes[i]].scale * 100.0)} * n{i}) / d{i}', vendor)} END AS v{i}"
        for i in ratio
    ]
    # computed once (MATERIALIZED): otherwise each value's expression is inlined into the
    # composites and into every sort key of the ranks, and evaluated there again
    ctes.append(f"v AS MATERIALIZED (SELECT *, {', '.join(vals)} FROM x)")
    prev, done = "v", set(ratio)
    for i, f in enumerate(fs.values()):
        if f.kind != Metric.COMPOSITE:
            continue
        total, weight, whole = _composite_sql(
            f, {c: codes.index(c) if c in fs else None for c in f.components}, done
        )
        ctes.append(
            f"s{i} AS (SELECT *, {total} AS n{i}, {weight} AS d{i}, {whole} AS ok{i} FROM {prev})"
        )
        value = _half_up(f"({_lit(100.0)} * n{i}) / d{i}", vendor)
        # not materialized: over the stored ratio values the composite is a few operations,
        # cheaper to repeat than another copy of every row
        ctes.append(
            f"c{i} AS (SELECT *, CASE WHEN d{i} > 0 AND ok{i} = 1 THEN {value} END AS v{i} "
            f"FROM s{i})"
        )
        prev = f"c{i}"
        done.add(i)
    ranks = []
    for i, f in enumerate(fs.values()):
        if rank_codes is not None and codes[i] not in rank_codes:
            ranks.append(f"NULL AS r{i}")
            continue
        order = "DESC" if f.higher_is_better else "ASC"
        ranks.append(
            f"CASE WHEN v{i} IS NULL THEN NULL ELSE RANK() OVER (PARTITION BY s, dim, CASE "
            f"WHEN v{i} IS NULL THEN 1 ELSE 0 END ORDER BY v{i} {order}) END AS r{i}"
        )
    ctes.append(f"r AS (SELECT *, {', '.join(ranks)} FROM {prev})")
    out = ["c.dim", "c.k"]
    for i in range(len(codes)):
        out += [f"c.n{i}", f"c.d{i}", f"c.v{i}", f"c.r{i}"]
    if with_counts:
        out += [f"c.c_{n}" for n in COUNT_NAMES]
    if len(spans) > 1:
        for i in range(len(codes)):
            out += [f"p.v{i}", f"p.r{i}"]
        tail = "FROM r c LEFT JOIN r p ON p.s = 1 AND p.dim = c.dim AND p.k = c.k WHERE c.s = 0"
    else:
        tail = "FROM r c"
    return f"WITH {', '.join(ctes)} SELECT {', '.join(out)} {tail}", params


def _for_dim(fs: Mapping[str, Formula], dim: str) -> dict[str, Formula]:
    return {c: f for c, f in fs.items() if not f.dimensions or dim in f.dimensions}


def ranked_tuples(
    dims: list[str],
    county: str,
    span: Span,
    fs: Mapping[str, Formula],
    with_counts: bool,
    previous: Span | None,
    rank_codes: set[str] | None = None,
    via_months: bool = True,
) -> dict[str, tuple[dict[str, Formula], list[tuple]]]:
    """{dim: (its formulas, rows as tuples)}: k, per metric (num, den, value, rank), the
    counts (with_counts), per metric (previous value, previous rank). Spans of whole
    months read the pre-summed UnitMonth rows in one query for every kind of unit that
    shares a formula set; other spans the day rows (`_ranked`, one query a kind).
    `rank_codes`: rank only these metrics (the others' ranks are None)."""
    out: dict[str, tuple[dict[str, Formula], list[tuple]]] = {}
    months = months_of(span)
    prev_months = months_of(previous) if previous is not None else []
    workers = grid_workers(county) if Dimension.GRID_WORKER in dims else {}
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for dim in dims:
        dfs = _for_dim(fs, dim)
        if dfs:
            groups[tuple(dfs)].append(dim)
        else:
            out[dim] = (dfs, [])
    conn = connections[UnitMonth.objects.db]
    for codes, group in groups.items():
        gfs = {c: fs[c] for c in codes}
        if not (via_months and months and prev_months is not None):
            for dim in group:
                out[dim] = (gfs, _ranked(dim, county, span, gfs, with_counts, previous, workers))
            continue
        levels = _worker_levels(county, workers) if Dimension.GRID_WORKER in group else 0
        spans = [months] if previous is None else [months, prev_months or []]
        sql, params = _unit_month_sql(
            county, spans, group, gfs, with_counts, rank_codes, levels, conn.vendor
        )
        found: dict[str, list[tuple]] = {d: [] for d in group}
        with transaction.atomic(using=conn.alias), conn.cursor() as c:
            if conn.vendor == "postgresql":
                c.execute("SET LOCAL work_mem = '64MB'")  # two months of every unit in memory
                # the inlined value expressions make the estimate look expensive enough
                # to compile (0.3–0.4 s of JIT for a query that runs in less)
                c.execute("SET LOCAL jit = off")
            c.execute(sql, params)
            for t in c.fetchall():
                dim = FROM_TABLE[t[0]]
                k = int(t[1]) if dim == Dimension.DEPARTMENT else t[1]
                found[dim].append((k, *t[2:]))
        for dim in group:
            out[dim] = (gfs, found[dim])
    return out


def row_dict(
    dim: str,
    t: tuple,
    fs: Mapping[str, Formula],
    with_counts: bool,
    previous: bool,
    names: Mapping[Any, str],
    workers: Mapping[str, str] | None,
) -> dict[str, Any]:
    """One ranking row (module docstring) from a tuple of `ranked_tuples`."""
    codes = list(fs)
    m = len(codes)
    key = t[0]
    name = names.get(key, str(key))
    if workers is not None:
        name = f"{workers.get(key) or '未登记网格员'}（{name}）"
    metrics: dict[str, dict[str, Any]] = {}
    ranks: dict[str, Any] = {}
    for i, code in enumerate(codes):
        j = 1 + 4 * i
        num, den = float(t[j] or 0), float(t[j + 1] or 0)
        if fs[code].kind == Metric.COMPOSITE:
            num = round(num, 4)
        metrics[code] = {"value": t[j + 2], "num": num, "den": den}
        ranks[code] = t[j + 3]
    row: dict[str, Any] = {"key": key, "name": name, "metrics": metrics, "ranks": ranks}
    base = 1 + 4 * m
    if with_counts:
        row["counts"] = {n: float(t[base + k] or 0) for k, n in enumerate(COUNT_NAMES)}
    if previous:
        at = base + (len(COUNT_NAMES) if with_counts else 0)
        row["prev"] = {c: t[at + 2 * i] for i, c in enumerate(codes)}
        row["prev_ranks"] = {c: t[at + 2 * i + 1] for i, c in enumerate(codes)}
    return row


def _all_rows(
    dims: list[str],
    county: str,
    span: Span,
    fs: Mapping[str, Formula],
    with_counts: bool,
    previous: Span | None,
) -> dict[str, list[dict[str, Any]]]:
    """Every row of these kinds of unit as dicts, sorted by key."""
    out = {}
    found = ranked_tuples(dims, county, span, fs, with_counts, previous)
    for dim in dims:
        dfs, tuples = found[dim]
        workers = grid_workers(county) if dim == Dimension.GRID_WORKER else None
        names = names_for(dim, (t[0] for t in tuples), county)
        rows = [
            row_dict(dim, t, dfs, with_counts, previous is not None, names, workers) for t in tuples
        ]
        rows.sort(key=lambda r: str(r["key"]))
        out[dim] = rows
    return out


def _rows(
    dim: str,
    county: str,
    span: Span,
    fs: Mapping[str, Formula],
    with_counts: bool,
    previous: Span | None,
) -> list[dict[str, Any]]:
    return _all_rows([dim], county, span, fs, with_counts, previous)[dim]


def rank_rows(rows: list[dict[str, Any]], fs: Mapping[str, Formula], into: str = "ranks") -> None:
    """Competition ranks (1, 2, 2, 4) per metric in Python (the SQL of `compute` does the
    same with RANK()); rows without a value get None."""
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
    """One dimension's rows for a span (no previous period), valued and ranked by the
    database (one query)."""
    fs = fs if fs is not None else formulas()
    return _rows(dim, county, span, fs, with_counts, None)


def with_previous(
    dim: str, county: str, span: Span, fs: Mapping[str, Formula], with_counts: bool = True
) -> list[dict[str, Any]]:
    """One dimension's rows with the previous period's values and ranks joined in (one
    query: both periods valued and ranked, joined by key)."""
    return _rows(dim, county, span, fs, with_counts, span.previous())


def compute_all(
    county: str, span: Span, fs: Mapping[str, Formula] | None = None, with_counts: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """Every dimension for a span and its previous period (values and ranks joined)."""
    rollup.refresh_dirty()
    fs = fs if fs is not None else formulas()
    return _all_rows(DIMS, county, span, fs, with_counts, span.previous())


def published(county: str, span: Span) -> tuple[Period | None, PeriodVersion | None]:
    p = Period.objects.filter(county_code=county, start=span.start, end=span.end).first()
    return p, (latest_version(p) if p is not None else None)


def ranking(user, span: Span, dim: str, metric: str | None = None) -> dict[str, Any]:
    """What a user sees of one ranking: {rows (visible only), formulas, period, version,
    live}. A published span shows its latest frozen version, never live figures."""
    county = county_of(user)
    if dim not in DIMS:
        from django.core.exceptions import ValidationError

        raise ValidationError(gettext("排名对象应为 street、village、department 或 grid_worker"))
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


def _default_metric(fs: dict[str, Formula]) -> str:
    """The metric a ranking page shows when none (or an unknown one) is asked for: the
    composite 三率 score, as the page's own default, else the first metric."""
    return "three_rates" if "three_rates" in fs else next(iter(fs), "")


PER_PAGE = 200  # rows of a ranking page; a ranking of up to 200 units shows whole


def ranking_page(
    user,
    span: Span,
    dim: str,
    metric: str | None = None,
    search: str = "",
    page: int | str | None = 1,
    per_page: int = PER_PAGE,
) -> dict[str, Any]:
    """One page of a ranking as a user sees it: {rows (the page's row dicts, in rank
    order of `metric`), page (django Page over the matching rows), total (units ranked in
    the county), visible (rows the user may see), matched (of those, whose name contains
    `search`), formulas, metric, period, version, live, county}.

    Ranks are the county's (computed over every unit, before scope and search); only the
    page's rows are made into dicts (a grid-worker ranking has ~32,000). Raises
    PermissionDenied, ValidationError (an unknown dimension) like `ranking`."""
    from django.core.exceptions import ValidationError
    from django.core.paginator import Paginator

    county = county_of(user)
    if dim not in DIMS:
        raise ValidationError(gettext("排名对象应为 street、village、department 或 grid_worker"))
    period, version = published(county, span)
    search = (search or "").strip()
    # (rank, key, row dict or tuple); names are looked up only to search and for the page
    entries: list[tuple[Any, Any, Any]]
    name: Callable[[Any], str]
    published_rows = None
    if version is not None:
        fs = _for_dim(formula_set(version.metrics), dim)
        code = metric if metric in fs else _default_metric(fs)
        published_rows = PublishedRow.objects.filter(version=version, dim=dim)
        by_key: dict[Any, str] = {}
        if published_rows.exists():
            # keys, names and the one rank; the rows of the page are read after paging
            entries = []
            as_key: Callable[[str], Any] = int if dim == Dimension.DEPARTMENT else str
            for k, n, r in published_rows.values_list("key", "name", KT(f"ranks__{code}")):
                key = as_key(k)
                by_key[key] = n
                # no rank: NULL on PostgreSQL, the text "null" from SQLite's JSON functions
                entries.append((int(r) if r not in (None, "", "null") else None, key, None))
        else:  # a version published before PublishedRow existed and not filled
            published_rows = None
            stored = _stored_rows(version, dim)
            entries = [(r["ranks"].get(code), r["key"], r) for r in stored]
            by_key = {r["key"]: r["name"] for r in stored}
        name = by_key.__getitem__
    else:
        rollup.refresh_dirty()
        all_fs = formulas()
        code = metric if metric in _for_dim(all_fs, dim) else _default_metric(_for_dim(all_fs, dim))
        wanted = only(all_fs, [code]) if code else all_fs
        fs, tuples = ranked_tuples(
            [dim], county, span, wanted, False, span.previous(), rank_codes={code}
        )[dim]
        at = 1 + 4 * list(fs).index(code) + 3 if code in fs else None
        entries = [(t[at] if at else None, t[0], t) for t in tuples]
        names = names_for(dim, (), county)
        workers = grid_workers(county) if dim == Dimension.GRID_WORKER else None

        def name(key: Any) -> str:
            n = names.get(key, str(key))
            if workers is not None:
                return f"{workers.get(key) or '未登记网格员'}（{n}）"
            return n

    total = len(entries)
    ranked = sum(1 for e in entries if e[0] is not None)  # a unit without data has no rank
    entries = [e for e in entries if row_visible(user, dim, e[1])]
    visible = len(entries)
    if search:
        entries = [e for e in entries if search in name(e[1])]
    entries.sort(key=lambda e: (e[0] is None, e[0] or 0, str(e[1])))
    # a page number that is not one of this ranking is named (jiceng/lib/paging.py)
    pg, page_warning = paging.checked_page(
        Paginator(entries, per_page), None if page is None else str(page)
    )
    if published_rows is not None:
        wanted_keys = [str(e[1]) for e in pg.object_list]
        found = dict(published_rows.filter(key__in=wanted_keys).values_list("key", "row"))
        rows = [found[str(key)] for _rank, key, _item in pg.object_list]
    else:
        rows = [
            item
            if isinstance(item, dict)
            else row_dict(dim, item, fs, False, True, {key: name(key)}, None)
            for _rank, key, item in pg.object_list
        ]
    return {
        "county": county,
        "rows": rows,
        "page": pg,
        "page_warning": page_warning,
        "total": total,
        "ranked": ranked,
        "visible": visible,
        "matched": len(entries),
        "formulas": fs,
        "metric": code,
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
        raise PermissionDenied(gettext("您没有可查看的考核范围"))
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
    write_published_rows(v)
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
        raise ValidationError(gettext("只能发布已经结束的考核周期"))
    with transaction.atomic():
        if (
            Period.objects.select_for_update()
            .filter(county_code=county, start=span.start, end=span.end)
            .exists()
        ):
            raise ValidationError(gettext("该考核周期已发布；如需更正请追加更正"))
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
        raise Http404(gettext("该考核周期不存在"))
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError(gettext("请填写更正原因（至少 4 个字）"))
    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        n = (locked.versions.order_by("-n").values_list("n", flat=True).first() or 0) + 1
        return _version(locked, n, user, reason, Span(locked.kind, locked.start, locked.end))


def write_published_rows(version: PeriodVersion) -> int:
    """A version's rows one by one into PublishedRow (what the ranking page reads)."""
    objs = [
        PublishedRow(
            version=version,
            dim=dim,
            key=str(r["key"]),
            name=str(r["name"])[:200],
            ranks=r.get("ranks") or {},
            row=r,
        )  # fmt: skip
        for dim, rows in (version.rankings or {}).items()
        for r in rows
    ]
    PublishedRow.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def _stored_rows(version: PeriodVersion, dim: str) -> list[dict[str, Any]]:
    """One kind of unit's rows of a published version, read by the database out of the
    version's JSON (not the whole document: every kind, every count)."""
    from django.db.models.fields.json import KeyTransform

    found: Any = (
        PeriodVersion.objects.filter(pk=version.pk)
        .annotate(dim_rows=KeyTransform(dim, "rankings"))
        .values_list("dim_rows", flat=True)
        .first()
    )
    if isinstance(found, str):  # a backend that hands the JSON text back
        import json

        found = json.loads(found)
    return list(found or [])


def latest_version(period: Period) -> PeriodVersion:
    v = period.versions.defer("rankings").order_by("-n").first()
    if v is None:
        raise Http404(gettext("该考核周期没有发布的数据"))
    return v


def find_period(user, pk: int) -> Period:
    county = county_of(user)
    p = Period.objects.filter(pk=pk, county_code=county).first()
    if p is None:
        raise Http404(gettext("该考核周期不存在"))
    return p


def can_edit(user) -> bool:
    return can(user, "assessment.edit")
