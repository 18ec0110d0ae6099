"""The public face of assessment: editing metrics, recording exclusions and dispatch
ratings, grid scorecards. Every write is one transaction and leaves an append-only row.
Errors: PermissionDenied (role), Http404 (outside territory), ValidationError (Chinese).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts.scope import can_see_code, require
from jiceng.assessment import facts
from jiceng.assessment.metrics import to_dict, validate
from jiceng.assessment.models import (
    COUNT_NAMES,
    CaseFact,
    DispatchRating,
    ExclusionMark,
    ExclusionReason,
    ManualScore,
    ManualScoreApproval,
    Metric,
    MetricChange,
    ScoreItem,
)
from jiceng.assessment.periods import month_of
from jiceng.cases.services import get_visible

EDITABLE = ("numerator", "denominator", "components", "exclusions")


def edit_metric(user, code: str, changes: dict[str, Any], reason: str) -> Metric:
    """Change a metric's weights (numerator/denominator/components) and exclusions.
    `changes` holds only those keys. Records a MetricChange with before/after."""
    require(user, "assessment.edit")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError(gettext("请填写修改原因"))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(gettext("不能修改：%(join)s") % {"join": "、".join(sorted(unknown))})
    with transaction.atomic():
        m = Metric.objects.select_for_update().filter(code=code).first()
        if m is None:
            raise Http404(gettext("没有这个指标"))
        before = to_dict(m)
        after = {**before, **changes}
        validate(after, set(Metric.objects.values_list("code", flat=True)))
        if after == before:
            raise ValidationError(gettext("没有任何修改"))
        for k in EDITABLE:
            setattr(m, k, after[k])
        m.version += 1
        m.save()
        MetricChange.objects.create(
            metric=m,
            at=timezone.now(),
            by=user,
            reason=reason[:300],
            before=before,
            after=to_dict(m),
            version=m.version,
        )
    return m


def mark_exclusion(
    user, number: str, reason: str, note: str, remove: bool = False
) -> ExclusionMark:
    """Record (or take back) an exclusion reason on a case the user may see."""
    require(user, "assessment.exclude")
    if reason not in ExclusionReason.values:
        raise ValidationError(gettext("请选择排除原因"))
    note = (note or "").strip()
    if len(note) < 2:
        raise ValidationError(gettext("请填写依据（如诉讼案号、信访件编号）"))
    case = get_visible(user, number)  # Http404 outside the user's cases
    with transaction.atomic():
        mark = ExclusionMark.objects.create(
            number=case.number,
            reason=reason,
            removed=remove,
            note=note[:300],
            by=user,
            at=timezone.now(),
        )
        transaction.on_commit(lambda: facts.refresh(facts.ids_for_numbers([case.number])))
    return mark


def rate_dispatch(user, number: str, rating: int, note: str = "") -> DispatchRating:
    """A department rates the dispatch of a case assigned to it (1–5)."""
    require(user, "assessment.rate_dispatch")
    if not user.unit_id:  # a superuser passes `require` but rates for no department
        raise PermissionDenied(gettext("您不属于任何部门，不能评价派单"))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError(gettext("评分须为 1 至 5 分"))
    case = get_visible(user, number)
    with transaction.atomic():
        r = DispatchRating.objects.create(
            number=case.number,
            unit_id=user.unit_id,
            rating=rating,
            note=(note or "")[:200],
            by=user,
            at=timezone.now(),
        )
        transaction.on_commit(lambda: facts.refresh(facts.ids_for_numbers([case.number])))
    return r


# ---------------------------------------------------------------- grid scorecards


def add_manual_score(
    user, grid_code: str, month: date, item_code: str, evidence: str, times: float = 1
) -> ManualScore:
    require(user, "assessment.score")
    if not can_see_code(user, grid_code) or len(grid_code) <= 12:
        raise Http404(gettext("该网格不在您的管辖范围内"))
    item = ScoreItem.objects.filter(code=item_code, active=True, fact="").first()
    if item is None:
        raise ValidationError(gettext("请选择一项手工考核项"))
    evidence = (evidence or "").strip()
    if len(evidence) < 4:
        raise ValidationError(gettext("请填写佐证材料说明（至少 4 个字）"))
    if not 0 < times <= 31:
        raise ValidationError(gettext("次数须在 1 至 31 之间"))
    with transaction.atomic():
        return ManualScore.objects.create(
            grid_code=grid_code,
            month=month_of(month).start,
            item=item,
            times=times,
            evidence=evidence[:500],
            by=user,
            at=timezone.now(),
        )


def approve_manual_score(
    user, entry_id: int, approved: bool, note: str = ""
) -> ManualScoreApproval:
    """A second person approves (or rejects) a manual entry; the entrant may not."""
    require(user, "assessment.approve")
    with transaction.atomic():
        entry = ManualScore.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None or not can_see_code(user, entry.grid_code):
            raise Http404(gettext("该记录不存在"))
        if entry.by_id == user.pk:
            raise ValidationError(gettext("不能审核自己录入的考核项"))
        if hasattr(entry, "approval"):
            raise ValidationError(gettext("该记录已审核"))
        return ManualScoreApproval.objects.create(
            entry=entry, approved=approved, by=user, at=timezone.now(), note=(note or "")[:200]
        )


BASE_SCORE = 100.0


def scorecard(grid_prefix: str, month: date) -> list[dict[str, Any]]:
    """Monthly score per grid under `grid_prefix` (漕泾 四张清单): 100 + Σ item points,
    fact items = points × count of the month's facts in that grid, capped per item;
    manual items count only when approved. Rows sorted by score, best first."""
    from jiceng.assessment import rollup

    rollup.refresh_dirty()
    span = month_of(month)
    items = list(ScoreItem.objects.filter(active=True))
    counts: dict[str, dict[str, float]] = {}
    for r in CaseFact.objects.filter(
        day__gte=span.start, day__lte=span.end, region_code__under=grid_prefix
    ).values("region_code", *COUNT_NAMES):
        code = r["region_code"]
        if len(code) <= 12:
            continue
        acc = counts.setdefault(code, dict.fromkeys(COUNT_NAMES, 0.0))
        for n in COUNT_NAMES:
            acc[n] += r[n] or 0
    manual: dict[str, list[ManualScore]] = {}
    for e in ManualScore.objects.filter(
        grid_code__startswith=grid_prefix, month=span.start
    ).select_related("item", "approval", "by"):
        manual.setdefault(e.grid_code, []).append(e)
    from jiceng.assessment.rankings import names_for

    grids = set(counts) | set(manual)
    names = names_for("village", grids)
    from jiceng.assessment.rankings import grid_workers

    workers = grid_workers(grid_prefix[:6])
    rows: list[dict[str, Any]] = []
    for g in sorted(grids):
        lines: list[dict[str, Any]] = []
        total = BASE_SCORE
        c = counts.get(g, {})
        for it in items:
            times: float
            if it.fact:
                times = c.get(it.fact, 0.0)
            else:
                ok = [e for e in manual.get(g, []) if e.item_id == it.pk and _approved(e)]
                times = float(sum(e.times for e in ok))
            pts = it.points * times
            if it.cap is not None:
                pts = max(-it.cap, min(it.cap, pts))
            if times:
                lines.append({"item": it, "times": times, "points": round(pts, 2)})
            total += pts
        rows.append({"grid": g, "name": names.get(g, g), "worker": workers.get(g, ""),
                     "score": round(total, 2), "lines": lines,
                     "manual": manual.get(g, [])})  # fmt: skip
    rows.sort(key=lambda r: -float(r["score"]))
    return rows


def _approved(e: ManualScore) -> bool:
    try:
        return bool(e.approval.approved)
    except ManualScoreApproval.DoesNotExist:
        return False
