"""Pages and helper endpoints of the command centre (all scoped by wall.wall_prefix)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
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
        # A stream never finishes, so Django never ends the request and would keep this
        # request's database connection (a pool slot on PostgreSQL) for its whole life:
        # give it back now; the hub reads with its own short-lived connections.
        await sync_to_async(connections.close_all)()
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


# ---------------------------------------------------------------- field (上岗 · 轨迹 · 考勤)


@login_required
def field_page(request: HttpRequest) -> HttpResponse:
    """The grid worker's phone page: on/off duty, position sent while on duty."""
    from django.conf import settings as dj

    from jiceng.accounts.scope import require
    from jiceng.command import tracks

    require(request.user, "command.duty")
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "on":
                tracks.go_on_duty(request.user, consent=request.POST.get("consent") == "1")
            else:
                tracks.go_off_duty(request.user)
        except ValidationError as exc:
            error = "；".join(exc.messages)
        if not error:
            return redirect("command:field")
    shift = tracks.open_shift(request.user)
    today = tracks.track_of(request.user, int(request.user.pk or 0), timezone.localdate())
    return render(
        request,
        "command/field.html",
        {
            "shift": shift,
            "error": error,
            "points_today": today["n"],
            "interval": tracks.interval_seconds(),
            "tile_url": dj.JICENG_MAP_TILE_URL,
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def field_points(request: HttpRequest) -> JsonResponse:
    """POST {"points": [{"t", "lon", "lat", "crs"?}]} → {"accepted", "rejected": [...]}."""
    import json

    from jiceng.command import tracks

    try:
        body = json.loads(request.body or b"{}")
        out = tracks.record_points(
            request.user, body.get("points") if isinstance(body, dict) else None
        )
    except (ValueError, ValidationError) as exc:
        msg = (
            "；".join(exc.messages)
            if isinstance(exc, ValidationError)
            else "请求内容不是有效的 JSON"
        )
        return JsonResponse({"error": {"code": "invalid", "message": msg}}, status=400)
    return JsonResponse(out)


@login_required
def supervise_page(request: HttpRequest) -> HttpResponse:
    """Who is on duty where, now; attendance of the month; a worker's track of a day."""
    from jiceng.command import tracks

    on_duty = tracks.on_duty_now(request.user)
    month = _month(request.GET.get("month", ""))
    rows = tracks.attendance(request.user, month)
    return render(
        request,
        "command/supervise.html",
        {
            "on_duty": on_duty,
            "attendance": rows,
            "month": month,
            "day": timezone.localdate().isoformat(),
        },
    )


def _month(raw: str):
    from datetime import date

    try:
        y, m = (int(x) for x in raw.split("-"))
        return date(y, m, 1)
    except ValueError:
        return timezone.localdate().replace(day=1)


@login_required
def track_json(request: HttpRequest, user_id: int) -> JsonResponse:
    from datetime import date

    from django.http import Http404

    from jiceng.command import tracks

    try:
        day = date.fromisoformat(request.GET.get("day") or timezone.localdate().isoformat())
    except ValueError:
        return JsonResponse(
            {"error": {"code": "bad_day", "message": "日期格式应为 YYYY-MM-DD"}}, status=400
        )
    try:
        return JsonResponse(tracks.track_of(request.user, user_id, day))
    except Http404 as exc:
        return JsonResponse({"error": {"code": "not_found", "message": str(exc)}}, status=404)


# ---------------------------------------------------------------- notices (信息发布 · 指令)


def _staff_only(user) -> None:
    if getattr(user, "role", "") == "resident" and not user.is_superuser:
        raise PermissionDenied("您的角色无权查看工作通知")


@login_required
def notices_page(request: HttpRequest) -> HttpResponse:
    from jiceng.command import notices

    _staff_only(request.user)
    return render(
        request,
        "command/notices.html",
        {
            "inbox": notices.inbox(request.user),
            "sent": notices.sent(request.user),
            "can_send": notices.can(request.user, "command.notice"),
        },
    )


@login_required
def notice_new(request: HttpRequest) -> HttpResponse:
    from datetime import datetime

    from django.http import Http404

    from jiceng.command import notices
    from jiceng.territory.models import Level, Region

    prefix = notices._sender_prefix(request.user)
    regions = Region.objects.filter(level__lte=Level.VILLAGE, level__gte=Level.COUNTY)
    if prefix:
        regions = regions.filter(code__under=prefix)
    errors: list[str] = []
    form = request.POST if request.method == "POST" else None
    if form is not None:
        codes = form.getlist("regions") + [
            c for c in form.get("grids", "").replace("，", ",").split(",") if c.strip()
        ]
        due = None
        if form.get("due_at"):
            try:
                due = timezone.make_aware(datetime.fromisoformat(form["due_at"]))
            except ValueError:
                errors.append("办结期限格式无效")
        if not errors:
            try:
                n = notices.send(
                    request.user,
                    kind=form.get("kind", ""),
                    title=form.get("title", ""),
                    body=form.get("body", ""),
                    region_codes=codes,
                    roles=form.getlist("roles"),
                    due_at=due,
                )
                return redirect("command:notice", pk=n.pk)
            except ValidationError as exc:
                errors.extend(exc.messages)
            except Http404 as exc:
                errors.append(str(exc))
    return render(
        request,
        "command/notice_new.html",
        {
            "regions": regions.order_by("code")[:500],
            "roles": [(r, notices.ROLE_LABELS[r]) for r in sorted(notices.STAFF_ROLES)],
            "errors": errors,
            "form": form,
        },
        status=400 if errors else 200,
    )


@login_required
def notice_page(request: HttpRequest, pk: int) -> HttpResponse:
    from jiceng.command import notices

    _staff_only(request.user)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "ack":
                notices.acknowledge(request.user, pk)
            else:
                notices.complete(request.user, pk, request.POST.get("report", ""))
            return redirect("command:notice", pk=pk)
        except ValidationError as exc:
            error = "；".join(exc.messages)
    n, mine = notices.open_notice(request.user, pk)
    mine_view = n.author_id == request.user.pk or request.user.is_superuser
    return render(
        request,
        "command/notice.html",
        {
            "n": n,
            "mine": mine,
            "receipts": notices.receipts(n) if mine_view else [],
            "is_author": mine_view,
            "error": error,
            "now": timezone.now(),
        },
        status=400 if error else 200,
    )
