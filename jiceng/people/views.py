"""Pages of the household register (Chinese). Every page goes through `services` for scope
and `privacy` for masking, the same functions as the API and exports."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, F, IntegerField, Max, Q, Value, When
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiceng.accounts import lookups, scope
from jiceng.accounts.models import Role
from jiceng.lib import exports, paging
from jiceng.lib.filters import on_page
from jiceng.people import exporting, filters, importer, privacy, services, stats
from jiceng.people.models import CareTag, CareTagType, ColourService, Household, Resident, Visit
from jiceng.territory.models import Level


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


@login_required
def start(request):
    """/people/: the grid worker starts on the phone list, everyone else on the overview."""
    if request.user.role == Role.GRID_WORKER:
        return redirect("people:mobile")
    return redirect("people:index")


@login_required
def index(request):
    scope.require(request.user, "people.view")
    code = scope.scope_code(request.user)
    if code is None:
        raise PermissionDenied("您没有管辖区域")
    target = reverse("people:region", args=[code])
    query = request.META.get("QUERY_STRING", "")  # the filters go along (?colour=…)
    return redirect(f"{target}?{query}" if query else target)


@login_required
def region(request, code: str):
    data = stats.region_counts(request.user, code)
    r = stats.region_for(request.user, code)
    households = None
    # an unknown colour is named at every level (above a village there is no list to filter)
    colour = on_page(request, [filters.COLOUR])["colour"]
    if r.level >= Level.VILLAGE:
        qs = services.households_for(request.user).filter(grid_code__under=r.code)
        if colour:
            qs = qs.filter(colour=colour)
        page = paging.page_for(
            request, qs.select_related("grid").order_by("grid_code", "number"), 30
        )
        households = page
        rows = [privacy.household_dict(h, False, members=False) for h in page]
    else:
        rows = []
    return render(
        request,
        "people/region.html",
        {
            "r": r,
            "crumbs": [a for a in r.ancestors() if scope.can_see_code(request.user, a.code)],
            "data": data,
            "page": households,
            "rows": rows,
            "colour": colour,
            "services": ColourService.objects.order_by("-visit_every_days"),
            "can_export": scope.can(request.user, "people.export"),
            "can_full_export": scope.can(request.user, "people.full"),
        },
    )


@login_required
def search(request):
    """Search by name, or by a full ID number or phone. The form posts, so that numbers do not
    end up in URLs, browser history and server logs; a number is not echoed back in full."""
    scope.require(request.user, "people.view")
    q = (request.POST.get("q") if request.method == "POST" else request.GET.get("q", "")) or ""
    q = q.strip()
    rows = []
    total = 0
    error = ""
    if q:
        try:
            qs = services.search_residents(request.user, q, channel="page", request=request)
        except PermissionDenied as exc:
            qs, error = Resident.objects.none(), str(exc)
        except lookups.TooManyLookups as exc:
            qs, error = Resident.objects.none(), exc.message
        qs = qs.prefetch_related("tags__type")
        total = qs.count()
        rows = [
            {
                **privacy.resident_dict(r, False),
                "household_number": r.household.number if r.household else "",
            }
            for r in qs.order_by("grid_code", "id")[:100]
        ]
    shown = q if not any(ch.isdigit() for ch in q) else privacy.mask_query(q)
    return render(
        request,
        "people/search.html",
        {"q": shown, "searched": bool(q), "rows": rows, "total": total, "error": error},
        status=429 if error and "频繁" in error else 200,
    )


def _household_context(request, h: Household, access: privacy.Access, channel="page") -> dict:
    if access.full:
        privacy.log_household_view(request.user, h, access, channel, request)
    service = ColourService.objects.filter(colour=h.colour).first()
    return {
        "h": h,
        "d": privacy.household_dict(h, access.full),
        "access": access,
        "service": service,
        "history": h.colour_history.select_related("by")[:20],
        "contacts": privacy.contacts(h, access.full),
        "visits": h.visits.all()[:50],
        "visit_kinds": Visit.Kind.choices,
        "relations": Resident.Relation.choices,
        "kinds": Resident.Kind.choices,
        "id_types": Resident.IdType.choices,
        "can_visit": scope.can(request.user, "people.visit"),
        "can_reveal": not access.full and scope.can(request.user, "people.reveal"),
        "can_edit": scope.can(request.user, "people.edit"),
        "grid": h.grid,
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }


@login_required
def household(request, pk: int):
    h = services.get_household(request.user, pk)
    ctx = _household_context(request, h, privacy.decide(request.user))
    return render(request, "people/household.html", ctx)


@login_required
@require_POST
def household_reveal(request, pk: int):
    h = services.get_household(request.user, pk)
    try:
        access = privacy.decide(request.user, request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("people:household", pk=pk)
    return render(request, "people/household.html", _household_context(request, h, access))


@login_required
@require_POST
def household_edit(request, pk: int):
    h = services.get_household(request.user, pk)
    data = {
        k: request.POST.get(k) for k in ("annual_income", "safe_family_years") if k in request.POST
    }
    try:
        services.update_household(request.user, h, data)
        messages.success(request, _("已保存，户颜色已按规则重新计算"))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("people:household", pk=pk)


@login_required
@require_POST
def member_add(request, pk: int):
    h = services.get_household(request.user, pk)
    data = {
        k: request.POST.get(k, "")
        for k in ("name", "id_type", "id_number", "relation", "kind", "phone")
    }
    data["household_id"] = h.id
    data["address"] = h.address
    try:
        r = services.create_resident(request.user, data)
        messages.success(
            request, _("已添加成员 %(name)s，户颜色已按规则重新计算") % {"name": r.name}
        )
    except ValidationError as exc:
        messages.error(request, _("添加成员失败：") + _errors(exc))
    return redirect(reverse("people:household", args=[pk]) + "#members")


@login_required
@require_POST
def visit_create(request, pk: int):
    h = services.get_household(request.user, pk)
    data = {
        "found": request.POST.get("found", ""),
        "follow_up": request.POST.get("follow_up", ""),
        "kind": request.POST.get("kind", "home"),
        "needs_case": request.POST.get("needs_case") == "on",
    }
    at = request.POST.get("visited_at", "").strip()
    if at:
        try:
            data["visited_at"] = datetime.fromisoformat(at)
        except ValueError:
            messages.error(request, _("走访时间格式不正确"))
            back = request.POST.get("back", "")
            if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                back = reverse("people:household", args=[pk])
            return redirect(back)
    try:
        services.record_visit(request.user, h, data)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        back = request.POST.get("back", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect("people:household", pk=pk)
    messages.success(request, _("走访记录已保存"))
    # the phone page sends `back`: the grid worker stays on the phone (issue 17 item 13)
    back = request.POST.get("back", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(reverse("people:household", args=[pk]) + "#visits")


def _resident_context(request, r: Resident, access: privacy.Access) -> dict:
    if access.full:
        privacy.log_views(
            request.user, [("resident", r.id, r.name)], access.reason, "page", request
        )
    return {
        "r": r,
        "d": privacy.resident_dict(r, access.full),
        "access": access,
        "tag_types": CareTagType.objects.filter(active=True),
        "can_edit": scope.can(request.user, "people.edit"),
        "can_reveal": not access.full and scope.can(request.user, "people.reveal"),
    }


@login_required
def resident(request, pk: int):
    r = services.get_resident(request.user, pk)
    return render(
        request, "people/resident.html", _resident_context(request, r, privacy.decide(request.user))
    )


@login_required
@require_POST
def resident_reveal(request, pk: int):
    r = services.get_resident(request.user, pk)
    try:
        access = privacy.decide(request.user, request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("people:resident", pk=pk)
    return render(request, "people/resident.html", _resident_context(request, r, access))


@login_required
@require_POST
def tag_add(request, pk: int):
    r = services.get_resident(request.user, pk)
    code = request.POST.get("type", "")
    t = CareTagType.objects.filter(code=code, active=True).first()
    values = {}
    if t is not None:
        for f in t.schema:
            raw = request.POST.get(f"f_{code}_{f['name']}", "")
            if f.get("type") == "bool":
                values[f["name"]] = raw == "on"
            elif raw != "":
                values[f["name"]] = raw
    try:
        services.add_tag(request.user, r, code, values, request.POST.get("since") or None)
        messages.success(request, _("标签已添加，户颜色已按规则重新计算"))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("people:resident", pk=pk)


@login_required
@require_POST
def tag_end(request, pk: int):
    scope.require(request.user, "people.edit")
    tag = CareTag.objects.select_related("resident").filter(pk=pk).first()
    if tag is None or not scope.can_see_code(request.user, tag.resident.grid_code):
        raise Http404("该标签不存在或不在您的管辖范围内")
    services.end_tag(request.user, tag)
    messages.success(request, _("标签已结束"))
    return redirect("people:resident", pk=tag.resident_id)


# ---- phone layout -------------------------------------------------------------------------


@login_required
def mobile(request):
    """The grid worker's phone: find a household of my grid in one box, tap, record a visit."""
    scope.require(request.user, "people.visit")
    q = request.GET.get("q", "").strip()
    qs = services.households_for(request.user)
    if q:
        head_ids = Resident.objects.filter(
            scope.code_filter(request.user, "grid_code"), name__contains=q
        ).values("household_id")
        qs = qs.filter(Q(number__contains=q) | Q(address__contains=q) | Q(id__in=head_ids))
    # red, then yellow, then green: those most in need first; within a colour, the one
    # not visited for longest first
    qs = qs.annotate(
        rank=Case(
            When(colour="red", then=Value(0)),
            When(colour="yellow", then=Value(1)),
            When(colour="green", then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ),
        last_visit=Max("visits__visited_at"),
    ).order_by("rank", F("last_visit").asc(nulls_first=True), "number")
    every = dict(ColourService.objects.values_list("colour", "visit_every_days"))
    now = timezone.now()
    items = []
    for h in qs.prefetch_related("members")[:40]:
        head = h.head
        d = privacy.household_dict(h, False, members=False)
        d["head"] = head.name if head else ""
        d["last_visit"] = h.last_visit
        days = every.get(h.colour)
        d["overdue"] = bool(days) and (h.last_visit is None or (now - h.last_visit).days > days)
        items.append(d)
    return render(request, "people/mobile.html", {"q": q, "items": items, "total": qs.count()})


@login_required
def mobile_household(request, pk: int):
    scope.require(request.user, "people.visit")
    h = services.get_household(request.user, pk)
    ctx = _household_context(request, h, privacy.decide(request.user))
    return render(request, "people/mobile_household.html", ctx)


# ---- import -------------------------------------------------------------------------------


@login_required
def import_page(request):
    scope.require(request.user, "people.import")
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择要导入的文件"))
        elif upload.size > 50 * 1024 * 1024:
            messages.error(request, _("文件超过 50MB，请分批导入"))
        else:
            try:
                report = importer.run(
                    request.user, upload.name, upload, request.POST.get("mode", "report")
                )
            except ValidationError as exc:
                messages.error(request, _errors(exc))
    return render(
        request,
        "people/import.html",
        {"report": report, "columns": importer.COLUMNS, "notes": importer.NOTES},
    )


@login_required
def import_template(request, fmt: str):
    scope.require(request.user, "people.import")
    if fmt not in ("csv", "xlsx"):
        raise Http404("只有 CSV 和 Excel 模板")
    if fmt == "xlsx":
        resp = HttpResponse(
            importer.template_xlsx(request.user),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        resp = HttpResponse(
            importer.template_csv(request.user), content_type="text/csv; charset=utf-8"
        )
    resp["Content-Disposition"] = f'attachment; filename="residents-template.{fmt}"'
    return resp


# ---- export -------------------------------------------------------------------------------


@login_required
def export(request, code: str, fmt: str):
    """Residents of a region as CSV or Excel, masked like every other view; a role that sees
    full data may export it in full with a reason (every person exported is logged).

    CSV streams straight to the browser; Excel is written in the background and the person
    is sent to the job's page, which shows rows done / total and downloads the file when it
    is ready (decision 0056)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("只支持 CSV 和 Excel 导出")
    r = stats.region_for(request.user, code)
    reason = request.POST.get("reason") if request.method == "POST" else request.GET.get("reason")
    try:
        access = privacy.decide_export(request.user, reason)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("people:region", code=code)
    qs = services.residents_for(request.user).filter(grid_code__under=r.code)
    total = None
    if fmt == "xlsx":
        # one sheet holds 1,048,576 rows: say so before anything is logged or started
        total = qs.count()
        if total >= exports.XLSX_MAX_ROWS:
            messages.error(
                request,
                _(
                    "该区域有 %(n)s 名居民，超过 Excel 单个工作表的上限（%(max)s 行）："
                    "请按下级区域分别导出，或导出 CSV"
                )
                % {"n": f"{total:,}", "max": f"{exports.XLSX_MAX_ROWS - 1:,}"},
            )
            return redirect("people:region", code=code)
    if access.full:
        seen = [("resident", pk, name) for pk, name in qs.values_list("id", "name").iterator()]
        privacy.log_views(
            request.user,
            seen,
            access.reason,
            "export",
            request,
            about=("region", r.code, f"{r.name}（{len(seen)}人）"),
        )
    name = f"residents-{r.code}{'-full' if access.full else ''}.{fmt}"
    if fmt == "xlsx":
        token = exporting.start_xlsx(request.user, qs, access.full, name, total=total)
        return redirect("people:export_job", token=token)
    resp = StreamingHttpResponse(
        exporting.csv_stream(qs, access.full, exporting.labels()),
        content_type="text/csv; charset=utf-8",
    )
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


def _job(request, token: str) -> dict:
    scope.require(request.user, "people.export")
    state = exporting.load(token, request.user)
    if state is None:
        raise Http404("没有这个导出任务，或它已过期")
    return state


@login_required
def export_job(request, token: str):
    """The page of an Excel export: progress, then the download."""
    state = _job(request, token)
    return render(request, "people/export_job.html", {"job": state, "token": token})


@login_required
def export_state(request, token: str):
    state = _job(request, token)
    return JsonResponse(
        {
            "state": state["state"],
            "done": state["done"],
            "total": state["total"],
            "error": state["error"],
            "download": reverse("people:export_file", kwargs={"token": token})
            if state["state"] == "done"
            else None,
        }
    )


@login_required
def export_file(request, token: str):
    state = _job(request, token)
    path = exporting.file_path(token)
    if state["state"] != "done" or not path.exists():
        raise Http404("文件还没有准备好")
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 — FileResponse closes it
        as_attachment=True,
        filename=state["name"],
        content_type=exporting.XLSX_TYPE,
    )


# ---- access log ---------------------------------------------------------------------------


@login_required
def access_log(request):
    qs = stats.access_log_for(request.user)
    viewer = request.GET.get("viewer", "").strip()
    if viewer:
        qs = qs.filter(Q(viewer__username=viewer) | Q(viewer__full_name__contains=viewer))
    channel = on_page(request, [filters.CHANNEL])["channel"]  # an unknown one is named
    if channel:
        qs = qs.filter(channel=channel)
    subject = request.GET.get("subject", "").strip()[:100]
    qs = stats.filter_subject(qs, subject)
    page = paging.page_for(request, qs, 50)
    stats.attach_subjects(page.object_list)
    return render(
        request,
        "people/access_log.html",
        {"page": page, "viewer": viewer, "channel": channel, "subject": subject},
    )
