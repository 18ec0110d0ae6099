"""The command centre's JSON API (/api/v1/command/…): the wall's figures, alarms, the
load map, field positions, notices. Errors are {"error": {"code", "message"}} (jiceng.api
turns PermissionDenied/Http404/ValidationError into 403/404/400)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from jiceng.command import loadmap, screen, tracks, wall
from jiceng.lib.bounds import RowId, Zoom

router = Router(tags=["command"])


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


class PointsIn(Schema):
    points: list[dict[str, Any]]


class Rejected(Schema):
    index: int
    code: str
    message: str


class PointsOut(Schema):
    accepted: int
    rejected: list[Rejected]


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get(
    "/summary",
    response={200: dict, **ERRORS},
    summary="指挥中心：实时统计（按层级、单位、黄牌红牌）",
)
def summary(request: HttpRequest):
    return {"summary": wall.summary(request.user), "alarms": wall.pending_alarms(request.user)}


@router.post("/alarms/{case_id}/take", response={200: dict, **ERRORS}, summary="接警")
def take_alarm(request: HttpRequest, case_id: RowId):
    return wall.take_alarm(request.user, case_id)


@router.get("/feed", response={200: list[dict], **ERRORS}, summary="最新诉求与报警")
def feed(request: HttpRequest):
    return wall.feed(request.user)


@router.get("/screen", response={200: dict, **ERRORS}, summary="大屏数据")
def screen_data(request: HttpRequest):
    return screen.figures(request.user)


@router.get(
    "/map/features", response={200: dict, **ERRORS}, summary="负荷地图：可视范围内的区域（GeoJSON）"
)
def map_features(request: HttpRequest, bbox: str, zoom: Zoom):
    prefix = wall.wall_prefix(request.user)
    try:
        return loadmap.features(prefix, bbox, zoom)
    except loadmap.BadBox as exc:
        raise HttpError(400, str(exc)) from None


@router.post(
    "/field/points", response={200: PointsOut, **ERRORS}, summary="网格员上报位置（在岗期间）"
)
def field_points(request: HttpRequest, body: PointsIn):
    return tracks.record_points(request.user, body.points)
