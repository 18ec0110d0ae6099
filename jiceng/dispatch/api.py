"""JSON API of dispatch intelligence (/api/v1/dispatch/…).

Errors: {"error": {"code", "message"}} — 400 text_empty / text_too_long / text_binary /
text_not_chinese / invalid, 403 forbidden, 404 not_found (a place outside the territory),
503 no_model (nothing trained yet).
"""

from __future__ import annotations

import time
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Router, Schema
from ninja.responses import Status

from jiceng.dispatch import services, store
from jiceng.dispatch.text import MAX_CHARS, TextError
from jiceng.lib.bounds import HotDays, HotPeriods
from jiceng.lib.errors import ErrorOut

router = Router(tags=["dispatch"])


class SuggestIn(Schema):
    text: str = Field(..., description=f"诉求内容（标题与正文），至多 {MAX_CHARS} 字")
    region_code: str = Field("", description="所在区划/网格代码（可选）")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)


class CategoryScore(Schema):
    category: str
    score: float
    code: str | None


class Finer(Schema):
    path: str
    similarity: float
    code: str | None


class UnitOut(Schema):
    code: str
    name: str


class SuggestOut(Schema):
    categories: list[CategoryScore]
    finer: list[Finer]
    unit: UnitOut | None
    helpers: list[UnitOut]
    region_code: str
    model_version: int | None
    server_ms: float


def _err(status: int, code: str, message: str):
    return Status(status, {"error": {"code": code, "message": message}})


@router.post(
    "/suggest",
    response={200: SuggestOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 503: ErrorOut},
    summary="分类与承办单位建议",
)
def suggest(request, body: SuggestIn):
    """The top three first-level categories with scores (softmax of the SVM margins, not
    probabilities), finer levels of the best one by similarity to the tree, and the unit the
    dispatch rules give at the place. Staff roles only (`dispatch.suggest`)."""
    t0 = time.perf_counter()
    try:
        out = services.suggest(request.auth, body.text, body.region_code, body.lon, body.lat)
    except TextError as exc:
        return _err(400, exc.code, exc.message)
    except PermissionDenied as exc:
        return _err(403, "forbidden", str(exc) or "您无权执行此操作")
    except Http404 as exc:
        return _err(404, "not_found", str(exc))
    except store.NoModel as exc:
        return _err(503, "no_model", str(exc))
    out["server_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    return Status(200, out)


class WordOut(Schema):
    word: str
    cases: int
    numbers: list[str]
    regions: list[dict]


class RisingOut(WordOut):
    before: int
    share: float
    share_before: float | None
    ratio: float
    g2: float
    p: float


class DuplicateOut(Schema):
    number: str
    text: str


class HotWordsOut(Schema):
    region_code: str
    start: datetime
    end: datetime
    days: int
    baseline_periods: int
    cases: int
    cases_before: int
    top: list[WordOut]
    rising: list[RisingOut]
    duplicates: list[list[DuplicateOut]]


@router.get(
    "/hotwords",
    response={200: HotWordsOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="高频词与上升词",
)
def hot_words(request, region: str = "", days: HotDays = 7, periods: HotPeriods = 4):
    """Words of the last `days` days in `region` (default: the caller's territory), the
    ones rising against the `periods` periods before (G² test, p < 0.05), the cases behind
    each, and near-duplicate clusters. Command-centre roles only (`dispatch.hotwords`)."""
    try:
        return Status(
            200, services.hot_words(request.auth, region, days=days, baseline_periods=periods)
        )
    except PermissionDenied as exc:
        return _err(403, "forbidden", str(exc) or "您无权执行此操作")
    except Http404 as exc:
        return _err(404, "not_found", str(exc))
    except ValueError as exc:
        return _err(400, "invalid", str(exc))


class AcceptanceOut(Schema):
    region_code: str
    start: datetime
    end: datetime
    days: int
    shown: int = Field(..., description="受理时显示了分类建议的案件数")
    accepted: int = Field(..., description="受理分类为前三建议之一（或其下级）的案件数")
    rate: float | None = Field(..., description="采纳率 accepted / shown；无数据时为 null")
    by_rank: list[int] = Field(..., description="按名次（第 1、2、3 建议）的采纳数")
    picked: int = Field(..., description="操作员点选了建议的案件数")
    picked_known: int = Field(..., description="表单报告了是否点选的案件数")


@router.get(
    "/acceptance",
    response={200: AcceptanceOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="分类建议采纳率",
)
def acceptance(request, region: str = "", days: HotDays = 7):
    """Of the cases taken in with suggestions on screen in the last `days` days in `region`
    (default: the caller's territory), how many were filed under one of the top three, by
    rank. Command-centre roles only (`dispatch.hotwords`)."""
    try:
        return Status(200, services.acceptance(request.auth, region, days=days))
    except PermissionDenied as exc:
        return _err(403, "forbidden", str(exc) or "您无权执行此操作")
    except Http404 as exc:
        return _err(404, "not_found", str(exc))
    except ValueError as exc:
        return _err(400, "invalid", str(exc))
