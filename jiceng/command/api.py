"""The command centre's JSON API (/api/v1/command/…): the wall's figures, alarms, the
load map, field positions, notices. Errors are {"error": {"code", "message"}} (jiceng.api
turns PermissionDenied/Http404/ValidationError into 403/404/400)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status as HttpStatus

from jiceng.accounts.scope import require
from jiceng.command import loadmap, notices, screen, tracks, wall
from jiceng.command.models import Notice, NoticeRecipient
from jiceng.lib.bounds import Page, RowId, Size200, Zoom
from jiceng.lib.errors import ErrorOut

router = Router(tags=["command"])


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


# 信息发布 / 指令 ------------------------------------------------------------------------


class NoticeIn(Schema):
    kind: Literal["announcement", "instruction"]
    title: str = Field(max_length=120)
    body: str = Field(max_length=5000)
    region_codes: list[Annotated[str, Field(max_length=32)]] = Field(max_length=50)
    roles: list[Annotated[str, Field(max_length=30)]] = Field(default=[], max_length=20)
    due_at: datetime | None = Field(default=None, description="指令的办结期限（无时区按北京时间）")


class ReportIn(Schema):
    report: str = Field(max_length=2000, description="办结情况")


class NoticeOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    author: str
    created_at: datetime
    due_at: datetime | None
    read_at: datetime | None = None
    acked_at: datetime | None = None
    done_at: datetime | None = None
    report: str = ""
    overdue: bool = False


class Receipt(Schema):
    name: str
    role: str
    where: str
    read_at: datetime | None
    acked_at: datetime | None
    done_at: datetime | None
    report: str
    overdue: bool


class NoticeDetail(NoticeOut):
    receipts: list[Receipt] | None = Field(
        default=None, description="回执（仅发布人可见；接收人为 null）"
    )


class SentOut(Schema):
    id: int
    kind: str
    title: str
    created_at: datetime
    due_at: datetime | None
    total: int
    read: int
    acked: int
    done: int
    overdue: int


NOTICE_ERRORS = {**ERRORS, 422: ErrorOut}
KIND_LABELS = dict(Notice.KINDS)


def _notice_out(n: Notice, r: NoticeRecipient | None, now) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "kind_label": str(KIND_LABELS.get(n.kind, n.kind)),
        "title": n.title,
        "body": n.body,
        "author": n.author.display_name,
        "created_at": n.created_at,
        "due_at": n.due_at,
        "read_at": r.read_at if r else None,
        "acked_at": r.acked_at if r else None,
        "done_at": r.done_at if r else None,
        "report": r.report if r else "",
        "overdue": bool(r and n.due_at and n.due_at < now and r.done_at is None),
    }


def _sent_out(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": s["notice"].pk,
            "kind": s["notice"].kind,
            "title": s["notice"].title,
            "created_at": s["notice"].created_at,
            "due_at": s["notice"].due_at,
            **{k: s[k] for k in ("total", "read", "acked", "done", "overdue")},
        }
        for s in rows
    ]


@router.get(
    "/notices",
    response={200: list[NoticeOut], **NOTICE_ERRORS},
    summary="我收到的通知公告和工作指令",
)
def notice_inbox(
    request: HttpRequest,
    kind: Literal["announcement", "instruction"] | None = None,
    page: Page = 1,
    size: Size200 = 50,
):
    now = timezone.now()
    rows = notices.inbox(request.user, limit=size, offset=(page - 1) * size, kind=kind)
    return [_notice_out(r.notice, r, now) for r in rows]


@router.post(
    "/notices",
    response={201: NoticeDetail, **NOTICE_ERRORS},
    summary="发布通知公告或工作指令（接收人为空时 400，未发送）",
)
def notice_send(request: HttpRequest, body: NoticeIn):
    due = body.due_at
    if due is not None and timezone.is_naive(due):
        due = timezone.make_aware(due)
    n = notices.send(
        request.user,
        kind=body.kind,
        title=body.title,
        body=body.body,
        region_codes=body.region_codes,
        roles=body.roles,
        due_at=due,
    )
    return HttpStatus(
        201, {**_notice_out(n, None, timezone.now()), "receipts": notices.receipts(n)}
    )


@router.get(
    "/notices/sent",
    response={200: list[SentOut], **NOTICE_ERRORS},
    summary="我发布的通知和指令（回执统计）",
)
def notice_sent(request: HttpRequest, page: Page = 1, size: Size200 = 50):
    require(request.user, "command.notice")
    return _sent_out(notices.sent(request.user, limit=size, offset=(page - 1) * size))


@router.get(
    "/notices/overdue",
    response={200: list[SentOut], **NOTICE_ERRORS},
    summary="我发布的逾期未办结指令",
)
def notice_overdue(request: HttpRequest, page: Page = 1, size: Size200 = 50):
    require(request.user, "command.notice")
    return _sent_out(
        notices.overdue_instructions(request.user, limit=size, offset=(page - 1) * size)
    )


@router.get(
    "/notices/{notice_id}",
    response={200: NoticeDetail, **NOTICE_ERRORS},
    summary="查看通知（接收人首次查看即记录已读回执）",
)
def notice_read(request: HttpRequest, notice_id: RowId):
    now = timezone.now()
    n, r = notices.open_notice(request.user, notice_id, now)
    mine = r is None  # the author (or a superuser): the receipts
    return {**_notice_out(n, r, now), "receipts": notices.receipts(n, now) if mine else None}


@router.post(
    "/notices/{notice_id}/ack", response={200: NoticeOut, **NOTICE_ERRORS}, summary="签收指令"
)
def notice_ack(request: HttpRequest, notice_id: RowId):
    now = timezone.now()
    with transaction.atomic():
        r = notices.acknowledge(request.user, notice_id, now)
    return _notice_out(r.notice, r, now)


@router.post(
    "/notices/{notice_id}/complete",
    response={200: NoticeOut, **NOTICE_ERRORS},
    summary="报告指令办结（只能报告一次）",
)
def notice_complete(request: HttpRequest, notice_id: RowId, body: ReportIn):
    now = timezone.now()
    r = notices.complete(request.user, notice_id, body.report, now)
    return _notice_out(r.notice, r, now)
