"""JSON API of assessment (/api/v1/assessment/…): the same scope and rules as the pages.
Errors: {"error": {"code", "message"}} (jiceng/api.py handlers), declared per endpoint."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from ninja import Field, Router, Schema

from jiceng.assessment import exports, rankings, services, working
from jiceng.assessment.metrics import formula_set, to_dict
from jiceng.assessment.models import ExportJob, Metric, MetricChange
from jiceng.assessment.periods import parse
from jiceng.lib.bounds import RowId
from jiceng.lib.errors import ErrorOut

router = Router(tags=["assessment"])


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


NO_VALUE = (
    "null when the denominator is 0 in the period (本期无相关诉求: the unit had no case the "
    "metric counts) — never 100; for a composite (三率综合得分) null when any part of "
    "positive weight is null (the weights are not renormalised; decision 0105)"
)


class Figure(Schema):
    value: float | None = Field(
        ..., description=f"the metric's value, rounded 四舍五入; {NO_VALUE}"
    )
    num: float = Field(
        ..., description="numerator (a composite: Σ weight × value of its parts that have one)"
    )
    den: float = Field(
        ..., description="denominator (a composite: the weight sum of those parts); 0 → value null"
    )


class RankingRow(Schema):
    key: int | str = Field(..., description="division code (a department: its unit id)")
    name: str
    metrics: dict[str, Figure]
    ranks: dict[str, int | None] = Field(
        ...,
        description=(
            "competition rank (1, 2, 2, 4) per metric; null for a unit whose value is "
            "null: it is not ranked and does not tie with any unit that has a value"
        ),
    )
    prev: dict[str, float | None] | None = Field(
        None,
        description=(
            "the previous period's value per metric; null when it had none (no change "
            "is computed from or to null)"
        ),
    )
    prev_ranks: dict[str, int | None] | None = Field(
        None, description="the previous period's rank per metric, or null"
    )


class MetricInfo(Schema):
    name: str
    text: str
    unit: str


class RankingOut(Schema):
    period: dict[str, Any]
    dimension: str
    version: int = Field(..., description="published version, 0 for live figures")
    metrics: dict[str, MetricInfo]
    rows: list[RankingRow] = Field(
        ...,
        description=(
            "the rows the caller may see, by key; the order of a metric is its `ranks` "
            "(null: not ranked, after every ranked unit)"
        ),
    )


class WorkingOut(Schema):
    metric: str
    text: str
    value: float | None = Field(..., description=f"the figure; {NO_VALUE}")
    numerator: float
    denominator: float = Field(..., description="0 means no value (null), not 100")
    missing_parts: list[str] = Field(
        default_factory=list,
        description="a composite: the names of its parts without a value (why it has none)",
    )
    counts: dict[str, float]
    numerator_cases: list[str]
    denominator_cases: list[str]
    excluded_cases: list[str]
    version: int


class MetricPatch(Schema):
    numerator: dict[str, float] | None = None
    denominator: dict[str, float] | None = None
    components: dict[str, float] | None = None
    exclusions: list[str] | None = None
    reason: str


class PeriodIn(Schema):
    kind: str = "month"
    start: str
    end: str | None = None
    note: str = ""


class CorrectionIn(Schema):
    reason: str


class ExclusionIn(Schema):
    number: str
    reason: str
    note: str
    remove: bool = False


class DispatchRatingIn(Schema):
    number: str
    rating: int
    note: str = ""


class ExportIn(Schema):
    fmt: str = "xlsx"
    kind: str = "month"
    start: str
    end: str | None = None
    metric: str = ""


@router.get("/metrics", response={200: list[dict[str, Any]], **ERRORS})
def list_metrics(request):
    """Every active metric: code, name, kind, numerator/denominator/components weights,
    scale, exclusions, source, version, and the formula in words."""
    rankings.county_of(request.auth)
    fs = rankings.formulas()
    return [{**to_dict(m), "text": fs[m.code].text()} for m in Metric.objects.filter(active=True)]


@router.patch("/metrics/{code}", response={200: dict[str, Any], **ERRORS})
def edit_metric(request, code: str, body: MetricPatch):
    """Change weights or exclusions (district administrator); the change is recorded."""
    changes = {k: v for k, v in body.dict().items() if k != "reason" and v is not None}
    m = services.edit_metric(request.auth, code, changes, body.reason)
    return {**to_dict(m), "text": rankings.formulas()[m.code].text()}


@router.get("/metrics/{code}/changes", response={200: list[dict[str, Any]], **ERRORS})
def metric_changes(request, code: str):
    rankings.county_of(request.auth)
    return [
        {
            "at": c.at,
            "by": c.by.display_name if c.by else "",
            "reason": c.reason,
            "version": c.version,
            "before": c.before,
            "after": c.after,
        }  # fmt: skip
        for c in MetricChange.objects.filter(metric__code=code).select_related("by")
    ]


@router.get("/rankings", response={200: RankingOut, **ERRORS})
def ranking(
    request,
    dimension: str = "street",
    kind: str = "month",
    start: str = "",
    end: str | None = None,
):
    """One ranking: rows the caller may see, each with every metric's value, numerator,
    denominator, rank, previous value and rank. A published period gives its frozen
    latest version (`version` > 0), otherwise live figures (`version` 0). A value whose
    denominator is 0 is null, with a null rank (not ranked, listed after the ranked)."""
    span = parse(kind, start, end)
    data = rankings.ranking(request.auth, span, dimension)
    return {
        "period": {"kind": span.kind, "start": span.start, "end": span.end, "label": span.label},
        "dimension": dimension,
        "version": data["version"].n if data["version"] else 0,
        "metrics": {
            c: {"name": f.name, "text": f.text(), "unit": f.unit_label}
            for c, f in data["formulas"].items()
        },  # fmt: skip
        "rows": [
            {k: r.get(k) for k in ("key", "name", "metrics", "ranks", "prev", "prev_ranks")}
            for r in data["rows"]
        ],
    }


@router.get("/working", response={200: WorkingOut, **ERRORS})
def working_of(
    request,
    dimension: str,
    key: str,
    metric: str,
    kind: str = "month",
    start: str = "",
    end: str | None = None,
):
    """A figure's working: formula, counts filled in, value, and the case numbers behind
    the numerator and the denominator (only cases the caller may see)."""
    span = parse(kind, start, end)
    county = rankings.county_of(request.auth)
    period, version = rankings.published(county, span)
    fs = formula_set(version.metrics) if version else rankings.formulas()
    w = working.explain(request.auth, dimension, key, metric, county, span, fs, version)
    return {
        "metric": metric,
        "text": w["text"],
        "value": w["value"],
        "numerator": w["num"],
        "denominator": w["den"],
        "missing_parts": w.get("missing_names", []),
        "counts": {c["name"]: c["value"] for c in w.get("filled", [])},
        "numerator_cases": [c["number"] for c in w.get("numerator_cases", [])],
        "denominator_cases": [c["number"] for c in w.get("denominator_cases", [])],
        "excluded_cases": [c["number"] for c in w.get("excluded_cases", [])],
        "version": version.n if version else 0,
    }


@router.post("/periods", response={201: dict[str, Any], **ERRORS})
def publish(request, body: PeriodIn):
    """Publish (freeze) a closed period (district administrator)."""
    span = parse(body.kind, body.start, body.end)
    p = rankings.publish(request.auth, span, body.note)
    return 201, {"id": p.pk, "label": p.label, "version": 1}


@router.post("/periods/{pk}/corrections", response={201: dict[str, Any], **ERRORS})
def correct(request, pk: RowId, body: CorrectionIn):
    """Append a corrected version with its reason; earlier versions stay."""
    p = rankings.find_period(request.auth, pk)
    v = rankings.correct(request.auth, p, body.reason)
    return 201, {"id": p.pk, "version": v.n, "reason": v.reason}


@router.post("/exclusions", response={201: dict[str, Any], **ERRORS})
def exclude(request, body: ExclusionIn):
    m = services.mark_exclusion(request.auth, body.number, body.reason, body.note, body.remove)
    return 201, {"number": m.number, "reason": m.reason, "removed": m.removed}


@router.post("/dispatch-ratings", response={201: dict[str, Any], **ERRORS})
def rate_dispatch(request, body: DispatchRatingIn):
    r = services.rate_dispatch(request.auth, body.number, body.rating, body.note)
    return 201, {"number": r.number, "rating": r.rating}


@router.post("/exports", response={201: dict[str, Any], **ERRORS})
def start_export(request, body: ExportIn):
    span = parse(body.kind, body.start, body.end)
    job = exports.start(request.auth, body.fmt, span, body.metric)
    return 201, {"id": job.pk, "state": job.state}


@router.get("/exports/{pk}", response={200: dict[str, Any], **ERRORS})
def export_status(request, pk: RowId):
    """Progress of an export; `download` is the file's address once it is ready."""
    from django.http import Http404

    job = ExportJob.objects.defer("content").filter(pk=pk, user=request.auth).first()
    if job is None:
        raise Http404(gettext("没有这个导出任务"))
    return {
        "id": job.pk,
        "state": job.state,
        "progress": job.progress,
        "message": job.message,
        "download": f"/assessment/exports/{job.pk}/download/" if job.state == "done" else None,
    }
