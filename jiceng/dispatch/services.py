"""The dispatch app's public face: suggestions at intake, retraining, hot words.

    suggest(user, text, region_code="", lon=None, lat=None) -> dict
    hot_words(user, region_code="", end=None, days=7, baseline_periods=4) -> dict
    retrain_from_cases(county="", extra=None) -> dict

Scope: `dispatch.suggest` and `dispatch.hotwords` actions (staff roles, jiceng/accounts/
scope.py); a place outside the caller's territory is refused like a missing one (no probing).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from jiceng.accounts import scope
from jiceng.dispatch import facts, hotwords, store
from jiceng.dispatch.classifier import Corpus, Options, train
from jiceng.dispatch.text import Segmenter, check, taxonomy_terms

MAX_PLACE_NAMES = 50_000


_county: tuple[float, str] | None = None
COUNTY_TTL = 60.0  # seconds: the installation's county does not change under a running server


def county_code() -> str:
    """The installation's county (which model to load), read at most once a minute: it is a
    query, and the suggest API's budget is 50 ms."""
    global _county
    from jiceng.cases import services as cases

    now = time.monotonic()
    if _county is None or now - _county[0] > COUNTY_TTL:
        _county = (now, cases.installation_county_code())
    return _county[1]


def place_names(county: str = "") -> list[str]:
    """Names of the county's regions (towns, villages, grids) for the segmenter."""
    from jiceng.territory.models import Region

    qs = Region.objects.all()
    if county:
        qs = qs.filter(code__startswith=county)
    return list(qs.values_list("name", flat=True)[:MAX_PLACE_NAMES])


def _place(user, region_code: str, lon: float | None, lat: float | None) -> str:
    """The region code of the call's place, checked against the caller's territory."""
    code = (region_code or "").strip()
    if not code and lon is not None and lat is not None:
        from jiceng.territory.locate import locate

        loc = locate(lon, lat)
        code = getattr(loc, "code", "") or ""
    if code and not scope.can_see_code(user, code):
        raise Http404("该地点不在您的管辖范围内")
    return code


def suggest(
    user, text: object, region_code: str = "", lon: float | None = None, lat: float | None = None
) -> dict:
    """Top three first-level categories with scores, the finer levels of the best one, and
    the handling unit the dispatch rules give for the best category at the place.

    {"categories": [{"category", "score", "code"|None}], "finer": [{"path", "similarity",
    "code"|None}], "unit": {"code", "name"}|None, "helpers": [...], "region_code",
    "model_version"}. Raises PermissionDenied, Http404 (place outside the territory),
    text.TextError (bad text), store.NoModel.
    """
    from jiceng.cases import services as cases

    scope.require(user, "dispatch.suggest")
    t = check(text)
    code = _place(user, region_code, lon, lat)
    model = store.load(county_code())
    out = model.suggest(t)
    best_path = (
        out["finer"][0]["path"]
        if out["finer"]
        else (out["categories"][0]["category"] if out["categories"] else "")
    )
    nodes = facts.categories_by_path(
        [c["category"] for c in out["categories"]] + [f["path"] for f in out["finer"]] + [best_path]
    )
    for c in out["categories"]:
        node = nodes.get(c["category"])
        c["code"] = node.code if node and node.path == c["category"] else None
    for f in out["finer"]:
        node = nodes.get(f["path"])
        f["code"] = node.code if node and node.path == f["path"] else None
    category = nodes.get(best_path) if best_path else None
    lead, helpers = cases.suggest_units(category, code) if (category or code) else (None, [])
    out.update(
        unit={"code": lead.code, "name": lead.name} if lead else None,
        helpers=[{"code": h.code, "name": h.name} for h in helpers],
        region_code=code,
        model_version=model.info.get("version"),
    )
    return out


def retrain_from_cases(
    county: str | None = None, extra: Corpus | None = None, options: Options | None = None
) -> dict:
    """Train a new model version from the county's closed cases (final category's first
    level is the label), plus `extra` (imported history: labelled, unlabelled, replies).
    Returns the manifest entry; TrainingError when there are not enough labels."""
    county = county_code() if county is None else county
    labelled = [(t, p.split("/")[0]) for t, p in facts.closed_cases(county) if p]
    corpus = Corpus(
        labelled=labelled + (extra.labelled if extra else []),
        unlabelled=extra.unlabelled if extra else [],
        replies=extra.replies if extra else [],
        tree=facts.category_paths() or (extra.tree if extra else []),
        places=place_names(county),
    )
    model = train(corpus, options)
    return store.save(model, county, source=f"cases:{len(labelled)}")


# -- hot words --------------------------------------------------------------------------------
_seg_lock = threading.Lock()
_segmenter: Segmenter | None = None


def _tokens() -> Segmenter:
    """The current model's segmenter (county dictionary), else one built from the tree."""
    global _segmenter
    try:
        return store.load(county_code()).segmenter
    except store.NoModel:
        pass
    with _seg_lock:
        if _segmenter is None:
            _segmenter = Segmenter(
                set(place_names(county_code())) | taxonomy_terms(facts.category_paths())
            )
        return _segmenter


def hot_words(
    user,
    region_code: str = "",
    end: datetime | None = None,
    days: int = 7,
    baseline_periods: int = 4,
    params: hotwords.Params | None = None,
) -> dict:
    """Words of the `days` before `end` in the region (default: the caller's territory),
    rising against the `baseline_periods` periods before, with cases and duplicate clusters.
    PermissionDenied without `dispatch.hotwords`; Http404 for a region outside the territory."""
    scope.require(user, "dispatch.hotwords")
    mine = scope.scope_code(user)
    if mine is None:
        raise PermissionDenied("您没有管辖区域，无法查看高频词")
    code = (region_code or "").strip() or mine
    if not code.startswith(mine):
        raise Http404("该区域不在您的管辖范围内")
    if not 1 <= days <= 92 or not 1 <= baseline_periods <= 12:
        raise ValueError("统计周期为 1–92 天，对比期数为 1–12")
    end = end or timezone.now()
    start = end - timedelta(days=days)
    before = start - timedelta(days=days * baseline_periods)
    now_cases = facts.cases_between(code, start, end)
    before_cases = facts.cases_between(code, before, start)
    seg = _tokens()
    out = hotwords.analyse(now_cases, before_cases, seg.tokens, params or hotwords.Params())
    out.update(
        region_code=code,
        start=start.isoformat(),
        end=end.isoformat(),
        days=days,
        baseline_periods=baseline_periods,
    )
    return out


# the acceptance figure lives in a module without scikit-learn (intake views import it)
from jiceng.dispatch.acceptance import (  # noqa: E402
    acceptance,
    parse_picked,
    parse_suggested,
    rank_of,
    record_suggestion,
)

__all__ = [
    "acceptance",
    "hot_words",
    "parse_picked",
    "parse_suggested",
    "rank_of",
    "record_suggestion",
    "retrain_from_cases",
    "suggest",
]
