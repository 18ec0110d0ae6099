"""Pages and helper endpoints of the command centre (all scoped by wall.wall_prefix)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.views.decorators.http import require_POST

from jiceng.command import live, wall


@login_required
def wall_page(request: HttpRequest) -> HttpResponse:
    """The live wall (指挥中心): counts, cards, alarms on top, the feed."""
    prefix = wall.wall_prefix(request.user)
    ctx = {
        "summary": wall.summary(request.user),
        "alarms": wall.pending_alarms(request.user),
        "feed": wall.feed(request.user),
        "last_id": wall.last_event_id(),
        "scope_name": _scope_name(request.user),
        "prefix": prefix,
    }
    return render(request, "command/wall.html", ctx)


def _scope_name(user: Any) -> str:
    scope = getattr(user, "scope", None)
    return scope.name if scope is not None else "全部"


@login_required
def summary_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "summary": wall.summary(request.user),
            "alarms": wall.pending_alarms(request.user),
        }
    )


@login_required
@require_POST
def take_alarm(request: HttpRequest, case_id: int) -> JsonResponse:
    return JsonResponse(wall.take_alarm(request.user, case_id))


def _after(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("after") or ""
    return int(raw) if raw.isdigit() else None


async def stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Server-sent events for one wall (served by the ASGI server `jiceng serve` runs).

    Under a WSGI server (the development/test server) a streaming answer would hold a
    thread forever: there the answer is what is new since the wall's last id, then the
    end; the browser's EventSource reconnects after `retry` ms (a polling fallback)."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    user = await request.auser()
    if not user.is_authenticated:
        return JsonResponse(
            {"error": {"code": "unauthenticated", "message": "请先登录"}}, status=401
        )
    try:
        prefix = await sync_to_async(wall.wall_prefix)(user)
    except PermissionDenied as exc:
        return JsonResponse({"error": {"code": "forbidden", "message": str(exc)}}, status=403)
    if isinstance(request, ASGIRequest):
        body: Any = live.stream(prefix, _after(request))
    else:
        body = await sync_to_async(live.backlog)(prefix, _after(request))
    resp = StreamingHttpResponse(body, content_type="text/event-stream; charset=utf-8")
    resp["Cache-Control"] = "no-cache"
    resp["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return resp


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    """The map of the scope coloured by load (open and overdue cases)."""
    from django.conf import settings

    from jiceng.territory.models import Region

    prefix = wall.wall_prefix(request.user)
    region = Region.objects.filter(code=prefix).first() if prefix else None
    box = (
        [region.min_lon, region.min_lat, region.max_lon, region.max_lat]
        if region is not None and region.min_lon is not None
        else None
    )
    return render(
        request,
        "command/map.html",
        {
            "scope_name": _scope_name(request.user),
            "box": box,
            "tile_url": settings.JICENG_MAP_TILE_URL,
            "tile_attribution": settings.JICENG_MAP_TILE_ATTRIBUTION,
        },
    )


@login_required
def map_features(request: HttpRequest) -> JsonResponse:
    """GeoJSON of the visible box: ?bbox=west,south,east,north&zoom=z (a bad value: 400
    with {"error": {"code": "bad_bbox", "message": …}})."""
    from jiceng.command import loadmap

    prefix = wall.wall_prefix(request.user)
    try:
        zoom = int(request.GET.get("zoom", ""))
        data = loadmap.features(prefix, request.GET.get("bbox", ""), zoom)
    except (ValueError, loadmap.BadBox) as exc:
        msg = str(exc) if isinstance(exc, loadmap.BadBox) else "zoom 应为整数"
        return JsonResponse({"error": {"code": "bad_bbox", "message": msg}}, status=400)
    return JsonResponse(data)


@login_required
def map_region(request: HttpRequest, code: str) -> JsonResponse:
    from django.http import Http404

    from jiceng.command import loadmap

    prefix = wall.wall_prefix(request.user)
    try:
        return JsonResponse(loadmap.region_detail(prefix, code))
    except Http404 as exc:
        return JsonResponse({"error": {"code": "not_found", "message": str(exc)}}, status=404)


@login_required
def screen_page(request: HttpRequest) -> HttpResponse:
    """The big screen (大屏, 1920×1080), plotted with the vendored ECharts."""
    wall.wall_prefix(request.user)
    return render(request, "command/screen.html", {"scope_name": _scope_name(request.user)})


@login_required
def screen_json(request: HttpRequest) -> JsonResponse:
    from jiceng.command import screen

    return JsonResponse(screen.figures(request.user))
