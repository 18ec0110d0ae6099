"""Pages of the service hall (Chinese): the public guide, the window clerk's desk, an
application's page, the 跑一次没办成 desk, the proxy agent's phone page and the
applicant's phone page. Every write goes through the same functions as the API."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from jiceng.accounts import scope
from jiceng.accounts.models import Role
from jiceng.lib.filters import on_page
from jiceng.servicehall import applications as apps
from jiceng.servicehall import catalogue, excel, filters, proxy, ratings, stats, uploads
from jiceng.servicehall.applications import MOVE_LABEL, Refused
from jiceng.servicehall.models import (
    Application,
    AppMaterial,
    MaterialState,
    Rating,
    ServiceItem,
    Status,
    VainVisit,
)
from jiceng.servicehall.schemas import AgentReviewIn, ApplicationIn, MoveIn, ProxyRequestIn
from jiceng.territory.models import Level, Region

FIELD_ZH = {
    "applicant_name": "申请人姓名",
    "applicant_phone": "手机号（11 位）",
    "applicant_id_last4": "证件号后四位",
    "region_code": "所在村（社区）",
    "resident_name": "姓名",
    "resident_phone": "手机号（11 位）",
    "wanted_on": "预约日期",
    "days": "延期天数",
    "reason": "理由",
    "applicant_id_number": "身份证号码",
}


def _explain(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ())]
        name = FIELD_ZH.get(loc[-1], loc[-1]) if loc else ""
        if e["type"] == "value_error":
            parts.append(str(e.get("msg", "")).removeprefix("Value error, "))
        else:
            parts.append(f"「{name}」填写不正确")
    return "；".join(parts) or "填写有误"


def _villages(user) -> list[Region]:
    return list(
        Region.objects.filter(scope.code_filter(user), level=Level.VILLAGE).order_by("code")[:500]
    )


# ------------------------------------------------------------------ public guide


def start(request):
    """/servicehall/: a clerk starts at the desk, an agent at their phone page, others at the guide."""
    user = request.user
    if user.is_authenticated and user.role == Role.PROXY_AGENT:
        return redirect("servicehall:agent")
    if user.is_authenticated and scope.can(user, "servicehall.intake"):
        return redirect("servicehall:desk")
    return redirect("servicehall:guide")


def guide(request):
    """办事指南: every item in force, searchable (public)."""
    q = request.GET.get("q", "").strip()[:50]
    items = catalogue.published()
    if q:
        items = items.filter(name__icontains=q) | items.filter(topic__icontains=q)
    can_import = request.user.is_authenticated and scope.can(request.user, "servicehall.catalogue")
    can_export = request.user.is_authenticated and scope.can(request.user, "servicehall.view")
    return render(request, "servicehall/guide.html", {"items": items, "q": q,
                  "can_import": can_import, "can_export": can_export})  # fmt: skip


def item(request, code: str):
    """One item's guide (ten elements) and, for staff, its figures in their territory."""
    it = ServiceItem.objects.select_related("current").filter(code=code).first()
    if it is None or it.current is None:
        raise Http404(gettext("该事项不存在或尚未发布"))
    figures = None
    since, until, preset, period_error = stats.parse_period(request.GET,
                                                           timezone.localdate())  # fmt: skip
    if request.user.is_authenticated and scope.can(request.user, "servicehall.view"):
        figures = stats.item_figures(request.user, code, since, until)
    v = it.current
    return render(
        request,
        "servicehall/item.html",
        {"item": it, "v": v, "materials": v.materials.all(), "figures": figures,
         "flow": [apps.level_word(x) for x in v.flow], "since": since, "until": until,
         "preset": preset, "period_error": period_error, "presets": PRESETS,
         "accept": [apps.level_word(x) for x in sorted(v.accept_levels, reverse=True)]},
    )  # fmt: skip


PRESETS = [("all", "全部"), ("month", "本月"), ("quarter", "本季度"), ("year", "本年")]
BY = list(filters.BY.choices())  # one table: the page's grouping and its check


@login_required
def figures(request):
    """提速率, 提前办结率 and 好差评 shares per item, unit or window, for a period; Excel."""
    scope.require(request.user, "servicehall.view")
    # an unknown grouping is named with the choices, not silently the items'
    by = on_page(request, [filters.BY], {"by": "item"})["by"]
    since, until, preset, error = stats.parse_period(request.GET, timezone.localdate())
    rows = stats.grouped(request.user, by, since, until)
    if request.GET.get("format") == "xlsx" and not error:
        resp = HttpResponse(
            stats.export_xlsx(rows, by, since, until),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote('办件统计')}-{by}.xlsx"
        return resp
    total = stats.figures(stats.in_period(Application.objects.filter(
        scope.code_filter(request.user, "region_code")), since, until))  # fmt: skip
    return render(request, "servicehall/figures.html", {
        "rows": rows, "by": by, "bys": BY, "since": since, "until": until, "preset": preset,
        "presets": PRESETS, "error": error, "total": total, "query": request.GET.urlencode(),
    })  # fmt: skip


@login_required
def export_catalogue(request):
    scope.require(request.user, "servicehall.view")
    resp = HttpResponse(
        excel.export_catalogue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E4%BA%8B%E9%A1%B9%E6%B8%85%E5%8D%95.xlsx"
    )
    return resp


@login_required
def import_catalogue(request):
    scope.require(request.user, "servicehall.catalogue")
    errors: list[str] = []
    if request.method == "POST":
        f = request.FILES.get("file")
        if f is None:
            errors = ["请选择要导入的 Excel 文件"]
        else:
            try:
                res = excel.import_catalogue(f.read(excel.MAX_BYTES + 1), request.user)
            except excel.ImportRefused as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    gettext("导入成功：%(items)s 个事项，新发布 %(published)s 个版本，%(unchanged)s 个未变化")
                    % {"items": res.items, "published": res.published, "unchanged": res.unchanged},
                )  # fmt: skip
                return redirect("servicehall:guide")
    return render(request, "servicehall/import.html", {"errors": errors})


# ------------------------------------------------------------------ window clerk's desk


def _intake_form(request, it: ServiceItem | None) -> dict:
    return {
        "items": catalogue.published(),
        "chosen": it,
        "materials": list(it.current.materials.all()) if it and it.current else [],
        "villages": _villages(request.user),
        "agent": request.user.role == Role.PROXY_AGENT,
        "post": request.POST
        if request.method == "POST"
        else {
            # the agent's "上门受理" link carries the booking into the form
            "applicant_name": request.GET.get("name", "")[:50],
            "applicant_phone": request.GET.get("phone", "")[:11],
            "proxy_request_id": request.GET.get("request", "")[:12],
        },
    }


@login_required
def desk(request):
    """The window clerk's desk: intake, today's work, what waits for materials, due dates."""
    scope.require(request.user, "servicehall.intake")
    user = request.user
    if user.role == Role.PROXY_AGENT and request.method == "GET" and "item" not in request.GET:
        return redirect("servicehall:agent")
    code = request.POST.get("item_code") or request.GET.get("item", "")
    it = ServiceItem.objects.select_related("current").filter(code=code).first() if code else None
    notice = None
    if request.method == "POST" and it is not None:
        result = _take(request, it)
        if isinstance(result, Application):
            if result.status == Status.AWAITING:
                messages.warning(request, gettext("材料不齐，已生成一次性告知书"))
            else:
                messages.success(
                    request, gettext("已受理，办件编号 %(number)s") % {"number": result.number}
                )
            return redirect("servicehall:application", number=result.number)
        notice = result
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    mine = apps.visible(user).select_related("version__item")
    level = apps.user_level(user)
    ctx = _intake_form(request, it)
    ctx.update(
        error=notice,
        today=mine.filter(created_at__gte=today).order_by("-created_at")[:30],
        # 待补正, with those whose missing materials have all been uploaded since marked
        awaiting=mine.filter(status=Status.AWAITING)
        .annotate(
            ready=~Exists(
                AppMaterial.objects.filter(
                    application=OuterRef("pk"), material__required=True, state=MaterialState.MISSING
                )
            )
        )
        .order_by("-ready", "-created_at")[:30],  # fmt: skip
        pending=mine.filter(
            pending_until__isnull=False, status__in=[Status.ACCEPTED, Status.IN_REVIEW]
        ).order_by("pending_until")[:30],  # fmt: skip
        queue=mine.filter(
            current_level=level or 0,
            status__in=[Status.ACCEPTED, Status.IN_REVIEW, Status.SUSPENDED],
        ).order_by("promised_due")[:50],  # fmt: skip
        red=mine.filter(apps.card_q("red", now)).count(),
        yellow=mine.filter(apps.card_q("yellow", now)).count(),
        now=now,
        staged=getattr(request, "sh_staged", {}),
        max_mb=uploads.max_bytes() // (1024 * 1024),
        rectifications=ratings.open_rectifications(user)[:20]
        if scope.can(user, "servicehall.rectify")
        else [],
        states=MaterialState.choices,
    )
    staged = ctx["staged"]
    ctx["mat_rows"] = [
        (m, request.POST.get(f"m{m.id}", "") if request.method == "POST" else "",
         staged.get(m.id, []))
        for m in ctx["materials"]
    ]  # fmt: skip
    for qs_name in ("queue", "pending"):
        ctx[qs_name] = [(a, apps.card_of(a, now)) for a in ctx[qs_name]]
    return render(request, "servicehall/desk.html", ctx)


def _take(request, it: ServiceItem) -> Application | str:
    """Parse the intake form into ApplicationIn and take it in; a Chinese error otherwise.

    Files come with the form (`f<material id>`); when the form is refused, the good files
    are kept as signed tokens in the re-shown form (`request.sh_staged`), so nothing given
    is lost."""
    assert it.current is not None
    materials = list(it.current.materials.all())
    files, file_errors = uploads.from_form(request, materials)
    request.sh_staged = {}
    result = _take_checked(request, it, materials, files, file_errors)
    if not isinstance(result, Application):
        request.sh_staged = uploads.staged_for_form(files)
    return result


def _take_checked(request, it, materials, files, file_errors) -> Application | str:
    p = request.POST
    mats = [{"material_id": m.id, "state": p.get(f"m{m.id}", "missing")} for m in materials]
    channel = p.get("channel", "window")
    req_id = p.get("proxy_request_id", "")
    if req_id.isdigit():
        from jiceng.servicehall.models import ProxyRequest

        kind = ProxyRequest.objects.filter(pk=int(req_id)).values_list("kind", flat=True).first()
        channel = kind or channel
    try:
        data = ApplicationIn(
            item_code=it.code,
            applicant_name=p.get("applicant_name", ""),
            applicant_phone=p.get("applicant_phone", "").strip(),
            applicant_id_last4=p.get("applicant_id_last4", "").strip(),
            region_code=p.get("region_code", ""),
            channel=channel,  # type: ignore[arg-type]
            delivery=p.get("delivery", "collect"),
            materials=mats,  # type: ignore[arg-type]
            proxy_request_id=int(req_id) if req_id.isdigit() else None,
            applicant_id_number=p.get("applicant_id_number", "").strip()[:20],
        )
        if file_errors:
            return "；".join(file_errors)
        return apps.intake(request.user, data, files=files, request=request)
    except ValidationError as exc:
        return "；".join([_explain(exc), *file_errors])
    except (Refused, ValueError) as exc:
        return "；".join([str(exc), *file_errors])


@login_required
def application(request, number: str):
    """One application: guide version, materials, the notice, history and the moves allowed."""
    app = apps.get_visible(request.user, number)
    if request.method == "POST" and request.POST.get("action") == "upload":
        _upload_from_page(request, app, request.user)
        return redirect("servicehall:application", number=app.number)
    if request.method == "POST":
        mv = request.POST.get("move", "")
        try:
            data = MoveIn(
                move=mv,  # type: ignore[arg-type]
                reason=request.POST.get("reason", ""),
                days=int(request.POST["days"]) if request.POST.get("days") else None,
                material_ids=[int(x) for x in request.POST.getlist("material_ids") if x.isdigit()],
            )
            apps.move(request.user, app.number, data)
        except ValidationError as exc:
            messages.error(request, _explain(exc))
        except (Refused, ValueError) as exc:
            messages.error(request, str(exc))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, gettext("已%(move)s") % {"move": gettext(MOVE_LABEL.get(mv, mv))}
            )
        return redirect("servicehall:application", number=app.number)
    now = timezone.now()
    v = app.version
    return render(
        request,
        "servicehall/application.html",
        {
            "app": app, "v": v, "now": now, "card": apps.card_of(app, now),
            "materials": app.materials.select_related("material"),
            "notices": app.notices.all(),
            "events": app.events.all(),
            "moves": [(m, MOVE_LABEL[m]) for m in apps.allowed_moves(request.user, app)],
            "flow": [(apps.level_word(x), i == app.step, i < app.step) for i, x in
                     enumerate(v.flow)],
            "rating": Rating.objects.filter(application=app).select_related("rectification").first(),
            "needs_reason": apps.NEEDS_REASON,
            "files": uploads.files_of(app),
            "refs": {r.material_id: r for r in app.references.all()},
            "can_upload": _can_upload(request.user, app),
            "max_mb": uploads.max_bytes() // (1024 * 1024),
        },
    )  # fmt: skip


def _can_upload(user, app: Application) -> bool:
    """Those who carry the materials (the accepting window, the agent) while it is open."""
    if not (apps.is_open(app) or app.status == Status.AWAITING):
        return False
    return apps._may_act(user, app, "supplement")


def _upload_from_page(request, app: Application, user) -> bool:
    """One file for one material from a page form; the error goes to the page's messages."""
    if user is not None and not _can_upload(user, app):
        messages.error(request, "您不能为此办件上传材料")
        return False
    f = request.FILES.get("file")
    mid = request.POST.get("material_id", "")
    try:
        if f is None:
            raise uploads.UploadRefused(gettext("请选择要上传的文件"), "empty_file")
        if not mid.isdigit():
            raise uploads.UploadRefused(
                gettext("该事项没有这项材料，请刷新页面后重新选择"), "unknown_material"
            )
        up = uploads.upload(app, int(mid), f.name or "", f.read(uploads.max_bytes() + 1), user)
    except (uploads.UploadRefused, Refused) as exc:
        messages.error(request, str(exc))
        return False
    messages.success(request, f"已上传 {up.name}")
    return True


@login_required
def material_file(request, number: str, pk: int):
    """A material's file, to those who may see the application; each download is logged."""
    app = apps.get_visible(request.user, number)
    f = app.files.filter(pk=pk).first()
    if f is None:
        raise Http404(gettext("文件不存在"))
    data = uploads.read_blob(f)
    uploads.log_download(request.user, f, "page", request)
    resp = HttpResponse(data, content_type=f.content_type)
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private, no-store"
    resp["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(f.name)}"
    return resp


# ------------------------------------------------------------------ 跑一次没办成


@login_required
def vain(request):
    """The 跑一次没办成 desk (双辽): record who came in vain, follow each up to the end."""
    scope.require(request.user, "servicehall.intake")
    user = request.user
    error = ""
    if request.method == "POST":
        p = request.POST
        if p.get("resolve"):
            with transaction.atomic():
                row = (
                    VainVisit.objects.select_for_update()
                    .filter(scope.code_filter(user, "region_code"), pk=p.get("resolve"),
                            resolved_at__isnull=True)
                    .first()
                )  # fmt: skip
                if row is None or not p.get("follow_up", "").strip():
                    error = "请填写跟进办理情况"
                else:
                    row.follow_up = p["follow_up"].strip()[:2000]
                    row.resolved_at = timezone.now()
                    row.save(update_fields=["follow_up", "resolved_at"])
                    messages.success(request, gettext("已记录跟进结果"))
                    return redirect("servicehall:vain")
        else:
            region = Region.objects.filter(scope.code_filter(user), level=Level.VILLAGE,
                                           code=p.get("region_code", "")).first()  # fmt: skip
            name, phone, what = (p.get(k, "").strip() for k in
                                 ("resident_name", "resident_phone", "what_happened"))  # fmt: skip
            if not (name and what and region):
                error = "请填写姓名、所在村（社区）和没办成的原因"
            elif not (len(phone) == 11 and phone.isdigit()):
                error = "手机号应为 11 位数字"
            else:
                VainVisit.objects.create(
                    resident_name=name[:50], resident_phone=phone, region=region,
                    region_code=region.code, what_happened=what[:2000], recorded_by=user,
                    at=timezone.now(),
                    item=ServiceItem.objects.filter(code=p.get("item_code", "")).first(),
                )  # fmt: skip
                messages.success(request, gettext("已登记，请在 2 个工作日内跟进"))
                return redirect("servicehall:vain")
    rows = VainVisit.objects.filter(scope.code_filter(user, "region_code")).select_related(
        "item", "region", "recorded_by")[:100]  # fmt: skip
    return render(request, "servicehall/vain.html", {"rows": rows, "error": error,
                  "villages": _villages(user), "items": catalogue.published(),
                  "post": request.POST})  # fmt: skip


# ------------------------------------------------------------------ proxy agent (phone)


@login_required
def agent(request):
    """The proxy agent's phone page: requests to handle, applications carried."""
    scope.require(request.user, "servicehall.proxy")
    ag = apps.agent_of(request.user)
    now = timezone.now()
    reqs = list(proxy.my_requests(request.user))
    carried = (
        Application.objects.filter(agent=ag)
        .select_related("version__item")
        .order_by("-created_at")[:30]
        if ag
        else []
    )
    return render(request, "servicehall/agent.html", {
        "agent": ag, "requests": reqs, "now": now, "soon": now + timedelta(days=1),
        "carried": [(a, apps.card_of(a, now)) for a in carried],
    })  # fmt: skip


# ------------------------------------------------------------------ applicant (phone, no login)


def _public_ctx(app: Application) -> dict:
    return {
        "app": app,
        "events": app.events.filter(public=True),
        "notices": app.notices.all(),
        "materials": app.materials.select_related("material"),
        "rating": Rating.objects.filter(application=app).select_related("rectification").first(),
        "can_rate": app.status in ratings.RATEABLE,
        "can_sign": not app.signature
        and app.status in (Status.AWAITING, Status.ACCEPTED, Status.IN_REVIEW),  # fmt: skip
        "content_hash": apps.content_hash(app),
        "can_upload": app.status in (Status.AWAITING, Status.ACCEPTED, Status.IN_REVIEW),
        "files": uploads.files_of(app),
        "max_mb": uploads.max_bytes() // (1024 * 1024),
        "levels": Rating.LEVELS.items(),
        "card": apps.card_of(app, timezone.now()),
    }


def track(request):
    """The applicant follows an application by number and phone (no login)."""
    ctx: dict = {"number": "", "phone": ""}
    if request.method == "POST":
        number = request.POST.get("number", "").strip()[:30]
        phone = request.POST.get("phone", "").strip()[:20]
        ctx.update(number=number, phone=phone)
        try:
            app = apps.find_public(number, phone)
        except Http404 as exc:
            ctx["error"] = str(exc)
        else:
            action = request.POST.get("action", "")
            try:
                if action == "rate":
                    score = request.POST.get("score", "")
                    if not score.isdigit():
                        raise Refused(gettext("请选择评价等级"))
                    r = ratings.rate(
                        number, phone, int(score), request.POST.get("comment", "")[:300]
                    )
                    ctx["done"] = (
                        "感谢评价！您的意见已转整改，将在 5 个工作日内答复。"
                        if r.bad
                        else "感谢您的评价！"
                    )
                elif action == "upload":
                    f = request.FILES.get("file")
                    mid = request.POST.get("material_id", "")
                    if f is None:
                        raise uploads.UploadRefused(gettext("请选择要上传的文件"), "empty_file")
                    if not mid.isdigit():
                        raise uploads.UploadRefused(gettext("该事项没有这项材料，请刷新页面后重新选择"),
                                                    "unknown_material")  # fmt: skip
                    up = uploads.upload(app, int(mid), f.name or "",
                                        f.read(uploads.max_bytes() + 1))  # fmt: skip
                    ctx["done"] = f"已上传「{up.name}」，窗口核对后即受理"
                elif action == "sign":
                    apps.sign(app, request.POST.get("signed_hash", ""),
                              request.POST.get("signature", ""))  # fmt: skip
                    ctx["done"] = "签名已保存"
            except (Refused, uploads.UploadRefused) as exc:
                ctx["error"] = str(exc)
            app.refresh_from_db()
            ctx.update(_public_ctx(app))
    return render(request, "servicehall/track.html", ctx)


def book(request):
    """A resident books proxy handling on a phone (预约/上门/网上代办), no login."""
    ctx: dict = {"items": catalogue.published(), "post": request.POST,
                 "villages": Region.objects.filter(level=Level.VILLAGE).order_by("code")[:2000]}  # fmt: skip
    if request.method == "POST":
        p = request.POST
        try:
            data = ProxyRequestIn(
                kind=p.get("kind", "appointment"),  # type: ignore[arg-type]
                item_code=p.get("item_code", ""),
                resident_name=p.get("resident_name", ""),
                resident_phone=p.get("resident_phone", "").strip(),
                region_code=p.get("region_code", ""),
                address=p.get("address", ""),
                wanted_on=p.get("wanted_on") or None,  # type: ignore[arg-type]
                note=p.get("note", ""),
            )
            req = proxy.request(data)
        except ValidationError as exc:
            ctx["error"] = _explain(exc)
        except Refused as exc:
            ctx["error"] = str(exc)
        else:
            ctx["booked"] = req
    return render(request, "servicehall/book.html", ctx)


@login_required
def board(request):
    """Figures for town and county staff: per town, weekly satisfaction, the agents with
    their workload and this quarter's review (and a form to record a review)."""
    scope.require(request.user, "servicehall.view")
    user = request.user
    now = timezone.now()
    quarter = proxy.quarter_of(now)
    if request.method == "POST":
        try:
            data = AgentReviewIn(
                quarter=request.POST.get("quarter", quarter),
                reviewer=request.POST.get("reviewer", "").strip(),
                score=int(request.POST.get("score", "0") or 0),
                comment=request.POST.get("comment", "")[:300],
            )
            proxy.review(user, int(request.POST.get("agent", "0") or 0), data)
        except ValidationError as exc:
            messages.error(request, "评议须填写评议人并选择 1–5 分：" + _explain(exc))
        except (Refused, ValueError) as exc:
            messages.error(request, str(exc))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, gettext("评议已记录"))
        return redirect("servicehall:board")
    from jiceng.servicehall.models import Rating as R

    weeks = ratings.weekly(R.objects.filter(scope.code_filter(user, "application__region_code")), 8)
    return render(request, "servicehall/board.html", {
        "towns": stats.by_town(user), "weeks": weeks, "quarter": quarter,
        "agents": proxy.agent_board(user, quarter),
        "can_review": scope.can(user, "servicehall.agents"),
    })  # fmt: skip


@login_required
def whereabouts_board(request):
    """去向牌: hall workers' whereabouts; a window clerk or agent sets their own here."""
    from jiceng.servicehall import whereabouts
    from jiceng.servicehall.models import Whereabouts

    scope.require(request.user, "servicehall.view")
    if request.method == "POST":
        until = None
        raw = request.POST.get("until", "").strip()
        try:
            if raw:
                from datetime import datetime as _dt

                until = timezone.make_aware(_dt.strptime(raw, "%Y-%m-%dT%H:%M"))
            whereabouts.set_status(request.user, request.POST.get("status", ""),
                                   request.POST.get("note", ""), until)  # fmt: skip
        except ValueError:
            messages.error(request, gettext("预计返回时间格式不正确"))
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, gettext("去向已更新"))
        return redirect("servicehall:whereabouts")
    return render(request, "servicehall/whereabouts.html", {
        "rows": whereabouts.board(request.user), "choices": Whereabouts.choices,
        "mine": request.user.role in whereabouts.HALL_ROLES and request.user.scope_id,
    })  # fmt: skip


@require_POST
@login_required
def rectify(request, pk: int):
    try:
        ratings.rectify(request.user, pk, request.POST.get("reply", ""))
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, gettext("整改答复已发送给申请人"))
    return redirect("servicehall:desk")


# ------------------------------------------------------------------ 随机回访 (return calls)


def _float_or_none(raw: str) -> float | None:
    raw = (raw or "").strip().rstrip("%")
    if not raw:
        return None
    v = float(raw)
    return v / 100 if v > 1 else v


@login_required
def returncalls(request):
    """The supervisor draws a seeded random sample of finished proxy applications of a
    quarter (a size or a share) and sees the samples drawn in the territory."""
    scope.require(request.user, "servicehall.agents")
    now = timezone.now()
    this_q = proxy.quarter_of(now)
    quarters = [this_q]
    y, q = int(this_q[:4]), int(this_q[-1])
    for _ in range(4):
        y, q = (y, q - 1) if q > 1 else (y - 1, 4)
        quarters.append(f"{y}Q{q}")
    error = ""
    if request.method == "POST":
        p = request.POST
        try:
            size_raw = p.get("size", "").strip()
            size = int(size_raw) if size_raw else None
            share = _float_or_none(p.get("share", ""))
            smp = proxy.draw_sample(request.user, p.get("quarter", ""), size, share,
                                    p.get("seed", ""))  # fmt: skip
        except ValueError:
            error = "抽样数量须为整数，抽样比例须为数字（如 10 或 10%）"
        except Refused as exc:
            error = str(exc)
        else:
            messages.success(request, f"已抽取 {len(smp.numbers)} 件（共 {smp.pool_size} 件）")
            return redirect("servicehall:returncall", pk=smp.pk)
    return render(request, "servicehall/returncalls.html", {
        "samples": proxy.samples(request.user)[:50], "quarters": quarters,
        "default_quarter": quarters[0], "error": error, "post": request.POST,
    })  # fmt: skip


@login_required
def returncall(request, pk: int):
    """One sample: the applications to call (the applicant's phone shown in full, so the
    view is logged), a form per call, and the figures per agent."""
    from jiceng.accounts.models import AccessLog
    from jiceng.lib import clientip

    scope.require(request.user, "servicehall.agents")
    try:
        smp = proxy.get_sample(request.user, pk)
    except Refused as exc:
        raise Http404(str(exc)) from None
    if request.method == "POST":
        p = request.POST
        reached = p.get("reached") == "1"
        sat = {"1": True, "0": False}.get(p.get("satisfied", ""))
        try:
            proxy.record_return_call(request.user, p.get("number", ""), smp.quarter, reached,
                                     sat, p.get("note", ""), sample=smp)  # fmt: skip
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "回访结果已记录")
        return redirect("servicehall:returncall", pk=smp.pk)
    rows = proxy.sample_rows(smp)
    ip = clientip.client_ip(request)
    AccessLog.objects.bulk_create(
        AccessLog(viewer=request.user, subject_type="servicehall.application",
                  subject_id=r["app"].number, subject_label=r["app"].applicant_name,
                  fields="申请人电话", reason=f"代办件随机回访（抽样 #{smp.pk}）", channel="page",
                  ip=ip)
        for r in rows
    )  # fmt: skip
    return render(request, "servicehall/returncall.html", {
        "s": smp, "rows": rows, "figures": proxy.sample_figures(smp),
        "verified": proxy.check_sample(smp, request.user),
    })  # fmt: skip
