"""Assessment pages. Who sees what (rankings.row_visible): a district administrator or
auditor the whole county; a street its own row, its villages, grids and the department
ranking (下对上); a village its row and grids; a grid worker their grid; a department its
own row. Outsiders get 404 for rows and figures, residents 403.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from jiceng.accounts.models import User
from jiceng.accounts.scope import can, require, scope_code
from jiceng.assessment import exports, rankings, services, working
from jiceng.assessment.metrics import Formula, formula_set
from jiceng.assessment.models import (
    COUNT_LABELS,
    COUNTS,
    Dimension,
    ExclusionMark,
    ExclusionReason,
    ExportJob,
    ManualScore,
    Metric,
    MetricChange,
    Period,
    ScoreItem,
)
from jiceng.assessment.periods import KINDS, Span, month_of, parse


def _me(request: HttpRequest) -> User:
    """The logged-in user (every view here is behind login_required)."""
    return cast(User, request.user)


def _msg(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def span_from(params) -> Span:
    """The period in the query: kind + start (+ end for a range); default last month."""
    kind = params.get("kind") or "month"
    start = params.get("start")
    if not start:
        return month_of(timezone.localdate().replace(day=1) - timedelta(days=1))
    return parse(kind, start, params.get("end") or None)


def _query(span: Span, **extra: Any) -> str:
    q = {"kind": span.kind, "start": span.start.isoformat()}
    if span.kind == "range":
        q["end"] = span.end.isoformat()
    q.update({k: v for k, v in extra.items() if v not in (None, "")})
    return urlencode(q)


def no_data_reason(f: Formula | None, metrics: dict[str, Any], fs: dict[str, Formula]) -> str:
    """Why a figure is "—" (the cell's title): a ratio's denominator is 0 in the period, or
    a composite's part has no value (decision 0105)."""
    if f is not None and f.kind == Metric.COMPOSITE:
        missing = [
            fs[c].name if c in fs else c
            for c, w in f.components.items()
            if w > 0 and (metrics.get(c) or {}).get("value") is None
        ]
        if missing:
            return gettext("%(parts)s本期无相关诉求（分母为 0），不计算综合得分，不参与排名") % {
                "parts": gettext("、").join(missing)
            }
    return gettext("本期无相关诉求（分母为 0），不计算，不参与排名")


@login_required
def rankings_page(request: HttpRequest) -> HttpResponse:
    require(request.user, "assessment.view")
    try:
        span = span_from(request.GET)
    except ValidationError as exc:
        messages.error(request, _msg(exc))
        span = month_of(timezone.localdate().replace(day=1) - timedelta(days=1))
    dim = request.GET.get("dim") or Dimension.STREET
    if dim not in Dimension.values:
        # an old or mistyped link: say what was shown instead of it, not a silent switch
        messages.warning(
            request,
            gettext("没有“%(dim)s”这类排名，下面是街道（乡镇）排名") % {"dim": dim[:40]},
        )
        dim = Dimension.STREET
    code = request.GET.get("metric") or "three_rates"
    search = (request.GET.get("q") or "").strip()[:40]
    data = rankings.ranking_page(
        request.user,
        span,
        dim,
        code,
        search=search,
        page=request.GET.get("page"),
        per_page=rankings.PER_PAGE,
    )
    fs: dict[str, Formula] = data["formulas"]
    if data["page_warning"]:
        messages.warning(request, data["page_warning"])
    if data["metric"] != code:
        messages.warning(
            request,
            gettext("没有代码为“%(code)s”的指标，下面按“%(name)s”排名")
            % {"code": code[:40], "name": fs[data["metric"]].name if data["metric"] in fs else ""},
        )
    code = data["metric"]
    f = fs.get(code)
    rows = []
    for r in data["rows"]:
        m = r["metrics"].get(code, {})
        prev = (r.get("prev") or {}).get(code)
        value = m.get("value")
        rows.append(
            {
                "name": r["name"],
                "key": r["key"],
                "rank": r["ranks"].get(code) if value is not None else None,
                "value": value,
                "no_data": no_data_reason(f, r["metrics"], fs) if value is None else "",
                "num": m.get("num"),
                "den": m.get("den"),
                "prev": prev,
                "change": round(value - prev, 2)
                if value is not None and prev is not None
                else None,
                "prev_rank": (r.get("prev_ranks") or {}).get(code),
                "working": reverse("assessment:working")
                + "?"
                + _query(
                    span,
                    dim=dim,
                    key=r["key"],
                    metric=code,
                    version=data["version"].n if data["version"] else None,
                ),  # fmt: skip
            }
        )
    periods = Period.objects.filter(county_code=data["county"])[:24]
    return render(
        request,
        "assessment/rankings.html",
        {
            "span": span,
            "kinds": KINDS,
            "dims": [(k, gettext(v)) for k, v in Dimension.choices],
            "dim": dim,
            "metric": f,
            "metric_code": code,
            "formulas": fs,
            "rows": rows,
            "data": data,
            "periods": periods,
            "versions": data["period"].versions.select_related("by") if data["period"] else [],
            "q": _query(span, dim=dim, metric=code),
            "search": search,
            "page": data["page"],
            "page_q": _query(span, dim=dim, metric=code, q=search),
            "can_publish": can(request.user, "assessment.publish"),
            "can_export": can(request.user, "assessment.export"),
            "closed": span.end < timezone.localdate(),
            "chart": json.dumps(
                [{"name": r["name"], "value": r["value"]} for r in rows if r["value"] is not None][
                    :30
                ],
                ensure_ascii=False,
            ),
        },
    )


@login_required
def working_page(request: HttpRequest) -> HttpResponse:
    require(request.user, "assessment.view")
    try:
        span = span_from(request.GET)
    except ValidationError as exc:
        raise Http404(_msg(exc)) from exc
    county = rankings.county_of(request.user)
    dim = request.GET.get("dim", "")
    key = request.GET.get("key", "")
    code = request.GET.get("metric", "")
    period, version = rankings.published(county, span)
    wanted = request.GET.get("version")
    if period is not None and wanted and wanted.isdigit():
        version = period.versions.filter(n=int(wanted)).first() or version
    if version is not None:
        fs = formula_set(version.metrics)
    else:
        fs = rankings.formulas()
    w = working.explain(request.user, dim, key, code, county, span, fs, version)
    name = rankings.names_for(dim, [int(key) if key.isdigit() and dim == "department" else key])
    return render(
        request,
        "assessment/working.html",
        {
            "w": w,
            "span": span,
            "dim_label": gettext(Dimension(dim).label),
            "name": next(iter(name.values()), key),
            "version": version,
            "period": period,
            "back": reverse("assessment:rankings") + "?" + _query(span, dim=dim, metric=code),
            "part_links": {
                c: "?"
                + _query(
                    span, dim=dim, key=key, metric=c, version=version.n if version else None
                )  # fmt: skip
                for c in (w.get("parts") or {})
            },
            "exclusion_labels": {k: gettext(v) for k, v in ExclusionReason.choices},
        },
    )


@login_required
@require_POST
def publish_view(request: HttpRequest) -> HttpResponse:
    try:
        span = span_from(request.POST)
        rankings.publish(request.user, span, request.POST.get("note", ""))
        messages.success(
            request, gettext("%(label)s考核结果已发布，数据已冻结") % {"label": span.label}
        )
    except ValidationError as exc:
        messages.error(request, _msg(exc))
        span = span_from({})
    q = _query(span, dim=request.POST.get("dim"), metric=request.POST.get("metric"))
    return redirect(reverse("assessment:rankings") + "?" + q)


@login_required
@require_POST
def correct_view(request: HttpRequest, pk: int) -> HttpResponse:
    period = rankings.find_period(request.user, pk)
    try:
        v = rankings.correct(request.user, period, request.POST.get("reason", ""))
        messages.success(request, gettext("已追加更正（第 %(n)s 版）") % {"n": v.n})
    except ValidationError as exc:
        messages.error(request, _msg(exc))
    span = Span(period.kind, period.start, period.end)
    return redirect(reverse("assessment:rankings") + "?" + _query(span))


@login_required
def metrics_page(request: HttpRequest) -> HttpResponse:
    require(request.user, "assessment.view")
    editing = can(request.user, "assessment.edit")
    if request.method == "POST":
        require(request.user, "assessment.edit")
        code = request.POST.get("code", "")
        m = Metric.objects.filter(code=code).first()
        if m is None:
            raise Http404(gettext("没有这个指标"))
        try:
            changes: dict[str, Any] = {"exclusions": request.POST.getlist("exclusions")}
            for side in ("numerator", "denominator", "components"):
                terms = dict(getattr(m, side))
                for k in terms:
                    raw = request.POST.get(f"{side}.{k}", "")
                    try:
                        terms[k] = float(raw)
                    except ValueError as exc:
                        raise ValidationError(
                            gettext("权重须为数字：%(value)s") % {"value": raw or "（空）"}
                        ) from exc
                changes[side] = terms
            services.edit_metric(request.user, code, changes, request.POST.get("reason", ""))
            messages.success(request, gettext("已保存“%(name)s”的修改") % {"name": m.name})
        except ValidationError as exc:
            messages.error(request, _msg(exc))
        return redirect(f"{request.path}#m-{code}")
    metrics = []
    active = list(Metric.objects.filter(active=True))
    fs = formula_set(active)
    for m in active:
        f = fs[m.code]
        metrics.append(
            {
                "m": m,
                "text": f.text(),
                "terms": [
                    (
                        side,
                        k,
                        w,
                        gettext(COUNT_LABELS[k])
                        if k in COUNT_LABELS
                        else getattr(Metric.objects.filter(code=k).first(), "name", k),
                    )
                    for side in ("numerator", "denominator", "components")
                    for k, w in getattr(m, side).items()
                ],  # fmt: skip
                "exclusion_labels": [gettext(ExclusionReason(r).label) for r in m.exclusions],
            }
        )
    return render(
        request,
        "assessment/metrics.html",
        {
            "metrics": metrics,
            "editing": editing,
            "reasons": [(k, gettext(v)) for k, v in ExclusionReason.choices],
            "changes": MetricChange.objects.select_related("metric", "by")[:30],
            "counts": COUNTS,
        },
    )


@login_required
def exclusions_page(request: HttpRequest) -> HttpResponse:
    require(request.user, "assessment.exclude")
    if request.method == "POST":
        try:
            services.mark_exclusion(
                request.user,
                request.POST.get("number", "").strip(),
                request.POST.get("reason", ""),
                request.POST.get("note", ""),
                remove=request.POST.get("remove") == "1",
            )
            messages.success(request, gettext("已记录"))
        except ValidationError as exc:
            messages.error(request, _msg(exc))
        except Http404:
            messages.error(request, gettext("未找到该诉求，或不在您的管辖范围内"))
        return redirect(request.path)
    return render(
        request,
        "assessment/exclusions.html",
        {
            "reasons": [(k, gettext(v)) for k, v in ExclusionReason.choices],
            "marks": ExclusionMark.objects.select_related("by").order_by("-at", "-id")[:100],
        },
    )


@login_required
def dispatch_rating_page(request: HttpRequest) -> HttpResponse:
    require(request.user, "assessment.rate_dispatch")
    if request.method == "POST":
        try:
            rating = int(request.POST.get("rating") or 0)
        except ValueError:
            rating = 0
        try:
            services.rate_dispatch(
                request.user, request.POST.get("number", "").strip(), rating,
                request.POST.get("note", ""),
            )  # fmt: skip
            messages.success(request, gettext("已评价派单质量"))
        except ValidationError as exc:
            messages.error(request, _msg(exc))
        except Http404:
            messages.error(request, gettext("未找到该诉求，或不是派给本部门的诉求"))
        return redirect(request.path)
    from jiceng.assessment.models import DispatchRating

    return render(
        request,
        "assessment/dispatch_rating.html",
        {"ratings": DispatchRating.objects.filter(unit_id=_me(request).unit_id or 0)[:50]},
    )


@login_required
def scorecards_page(request: HttpRequest) -> HttpResponse:
    require(request.user, "assessment.score_view")
    code = scope_code(request.user)
    if code is None:
        raise PermissionDenied(gettext("您没有可查看的考核范围"))
    try:
        month = date.fromisoformat(request.GET.get("month") or "")
    except ValueError:
        month = timezone.localdate().replace(day=1) - timedelta(days=1)
    span = month_of(month)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                services.approve_manual_score(
                    request.user, int(request.POST.get("entry") or 0),
                    request.POST.get("approved") == "1", request.POST.get("note", ""),
                )  # fmt: skip
                messages.success(request, gettext("已审核"))
            else:
                services.add_manual_score(
                    request.user,
                    request.POST.get("grid", ""),
                    span.start,
                    request.POST.get("item", ""),
                    request.POST.get("evidence", ""),
                    float(request.POST.get("times") or 1),
                )
                messages.success(request, gettext("已录入，待审核后计分"))
        except (ValidationError, ValueError) as exc:
            messages.error(
                request, _msg(exc) if isinstance(exc, ValidationError) else gettext("次数须为数字")
            )
        except Http404 as exc:
            messages.error(request, str(exc))
        return redirect(f"{request.path}?month={span.start.isoformat()}")
    rows = services.scorecard(code, span.start)
    from jiceng.territory.models import Region

    grids = Region.objects.filter(code__under=code, level__gte=6).order_by("code")[:500]
    pending = ManualScore.objects.filter(
        grid_code__startswith=code, month=span.start, approval__isnull=True
    ).select_related("item", "by")
    return render(
        request,
        "assessment/scorecards.html",
        {
            "rows": rows,
            "span": span,
            "prev_month": month_of(span.start - timedelta(days=1)).start,
            "next_month": span.end + timedelta(days=1),
            "items": ScoreItem.objects.filter(active=True),
            "manual_items": ScoreItem.objects.filter(active=True, fact=""),
            "grids": grids,
            "pending": pending,
            "can_enter": can(request.user, "assessment.score"),
            "can_approve": can(request.user, "assessment.approve"),
        },
    )


@login_required
def exports_page(request: HttpRequest) -> HttpResponse:
    require(request.user, "assessment.export")
    if request.method == "POST":
        try:
            span = span_from(request.POST)
            fmt = request.POST.get("fmt", "xlsx")
            job = exports.start(request.user, fmt, span, request.POST.get("metric") or "")
            messages.success(request, gettext("导出任务已开始，完成后可在下方下载"))
            return redirect(f"{request.path}?job={job.pk}")
        except ValidationError as exc:
            messages.error(request, _msg(exc))
            return redirect(request.path)
    jobs = ExportJob.objects.filter(user=_me(request)).defer("content").order_by("-id")[:20]
    return render(request, "assessment/exports.html", {"jobs": jobs})


@login_required
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = ExportJob.objects.defer("content").filter(pk=pk, user=_me(request)).first()
    if job is None:
        raise Http404(gettext("没有这个导出任务"))
    from django.http import JsonResponse

    return JsonResponse(
        {
            "state": job.state,
            "label": job.get_state_display(),
            "progress": job.progress,
            "message": job.message,
            "ready": job.state == ExportJob.DONE,
        }  # fmt: skip
    )


@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = ExportJob.objects.filter(pk=pk, user=_me(request), state=ExportJob.DONE).first()
    if job is None:
        raise Http404(gettext("文件尚未生成或不存在"))
    ctype = (
        "application/pdf"
        if job.fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp = HttpResponse(bytes(job.content or b""), content_type=ctype)
    from urllib.parse import quote

    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(job.filename)}"
    return resp
