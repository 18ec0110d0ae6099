"""JSON API of the service hall (/api/v1/servicehall/…).

Typed schemas in and out (`schemas.py`); refusals are `{"error": {"code", "message"}}`
with a Chinese message. The public routes (guide, follow an application by number and
phone, rate it, book a proxy) need no login.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status as HttpStatus

from jiceng.accounts import scope
from jiceng.lib import filters as checked
from jiceng.lib.bounds import RowId, Size200, Weeks
from jiceng.lib.errors import ErrorOut
from jiceng.servicehall import (
    applications,
    catalogue,
    excel,
    filters,
    proxy,
    ratings,
    stats,
    uploads,
)
from jiceng.servicehall.applications import Refused
from jiceng.servicehall.models import Application, MaterialFile, ServiceItem
from jiceng.servicehall.schemas import (
    LEVEL_NAME,
    AgentReviewIn,
    ApplicationIn,
    ApplicationOut,
    EventOut,
    GuideIn,
    GuideOut,
    MoveIn,
    NoticeOut,
    ProxyRequestIn,
    RatingIn,
    SignIn,
    TrackIn,
)

router = Router(tags=["servicehall"])
ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _refused(request, exc: Refused, status: int = 409):
    from jiceng.api import error

    return error(request, status, exc.code, str(exc))


def app_out(app: Application, public: bool = False) -> ApplicationOut:
    now = timezone.now()
    events = app.events.select_related("actor").order_by("at", "id")
    if public:
        events = events.filter(public=True)
    rating = getattr(app, "rating", None) if hasattr(app, "rating") else None
    files = uploads.files_of(app)
    refs = {r.material_id: r for r in app.references.all()}
    return ApplicationOut(
        number=app.number,
        item_code=app.version.item.code,
        item_name=app.version.item.name,
        version=app.version.version,
        status=app.status,
        status_label=app.get_status_display(),
        channel=app.channel,
        applicant_name=app.applicant_name,
        applicant_phone=app.applicant_phone[:3] + "****" + app.applicant_phone[-4:]
        if public
        else app.applicant_phone,
        region_code=app.region_code,
        accepted_level=LEVEL_NAME.get(app.accepted_level, ""),
        current_level=LEVEL_NAME.get(app.current_level, ""),
        accepted_at=app.accepted_at,
        promised_due=app.promised_due,
        legal_due=app.legal_due,
        pending_until=app.pending_until,
        card=applications.card_of(app, now),
        clerk=app.clerk.display_name,
        materials=[
            {
                "id": m.material_id,
                "name": m.material.name,
                "state": m.state,
                "state_label": m.get_state_display(),
                "files": [file_out(f) for f in files.get(m.material_id, [])],
                "on_file": (
                    {
                        "source": refs[m.material_id].source,
                        "record": refs[m.material_id].record_type
                        + ":"
                        + refs[m.material_id].record_id
                        if not public
                        else "",
                        "label": refs[m.material_id].label,
                        "by": refs[m.material_id].by_name,
                        "at": refs[m.material_id].at.isoformat(),
                    }
                    if m.material_id in refs
                    else None
                ),
            }
            for m in app.materials.select_related("material")
        ],  # fmt: skip
        notices=[NoticeOut(at=n.at, missing=n.missing, text=n.text) for n in app.notices.all()],
        events=[
            EventOut(
                at=e.at,
                kind=e.kind,
                label=e.label,
                level=LEVEL_NAME.get(e.level, ""),
                actor=e.actor_name,
                note=e.note,
            )
            for e in events
        ],  # fmt: skip
        rating=rating.score if rating else None,
    )


# ------------------------------------------------------------------ catalogue


@router.get("/catalogue", response=list[GuideOut], auth=None)
def catalogue_list(request):
    """The service guides in force (public: 办事指南)."""
    return [catalogue.guide_out(i.current) for i in catalogue.published() if i.current]


@router.post("/catalogue", response={200: GuideOut, 403: ErrorOut, 422: ErrorOut})
def catalogue_publish(request, guide: GuideIn):
    """Publish a guide (a new version when it differs from the one in force)."""
    scope.require(request.auth, "servicehall.catalogue")
    v, _ = catalogue.publish(guide, request.auth)
    return catalogue.guide_out(v)


class ImportOut(Schema):
    items: int
    published: int
    unchanged: int


@router.post("/catalogue/import", response={200: ImportOut, 400: ErrorOut, 403: ErrorOut})
def catalogue_import(request, file: File[UploadedFile]):
    """Import the catalogue workbook: everything or nothing; errors by sheet and row."""
    scope.require(request.auth, "servicehall.catalogue")
    from jiceng.api import error

    try:
        res = excel.import_catalogue(file.read(excel.MAX_BYTES + 1), request.auth)
    except excel.ImportRefused as exc:
        return error(request, 400, "import_refused", "导入失败，未写入任何数据", exc.errors)
    return ImportOut(items=res.items, published=res.published, unchanged=res.unchanged)


@router.get("/catalogue.xlsx", response={200: None, 403: ErrorOut})
def catalogue_export(request):
    """The catalogue in force as an Excel workbook (the import's format)."""
    scope.require(request.auth, "servicehall.view")
    resp = HttpResponse(
        excel.export_catalogue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''catalogue.xlsx"
    return resp


@router.get("/catalogue/{code}", response={200: GuideOut, 404: ErrorOut}, auth=None)
def catalogue_get(request, code: str, version: RowId | None = None):
    """One item's guide; `version` for an earlier one (what an old application was made under)."""
    item = ServiceItem.objects.filter(code=code).first()
    if item is None or item.current is None:
        from django.http import Http404

        raise Http404(gettext("该事项不存在或尚未发布"))
    v = item.versions.filter(version=version).first() if version else item.current
    if v is None:
        from django.http import Http404

        raise Http404(gettext("该版本不存在"))
    return catalogue.guide_out(v)


@router.get("/catalogue/{code}/figures", response={200: dict, 403: ErrorOut, 404: ErrorOut})
def item_figures(request, code: str, since: date | None = None, until: date | None = None):
    """提速率, 提前办结率, on-time and satisfaction figures of one item in the caller's
    territory, for applications taken in from `since` to `until` (inclusive)."""
    return stats.item_figures(request.auth, code, since, until)


FigureBy = Literal["item", "unit", "window"]


@router.get("/figures", response={200: list[dict], 400: ErrorOut, 403: ErrorOut})
def figures(request, by: FigureBy = "item", since: date | None = None,
            until: date | None = None):  # fmt: skip
    """Figures per item, unit (department) or window (the accepting hall) in the caller's
    territory and period: counts, 提速率, 提前办结率, 法定时限内, 好评率 and 差评率."""
    from jiceng.api import error

    if since and until and since > until:
        return error(request, 400, "bad_period", "开始日期不能晚于结束日期")
    return stats.grouped(request.auth, by, since, until)


@router.get("/figures.xlsx", response={200: None, 400: ErrorOut, 403: ErrorOut})
def figures_xlsx(request, by: FigureBy = "item", since: date | None = None,
                 until: date | None = None):  # fmt: skip
    """The same figures as an Excel workbook."""
    from jiceng.api import error

    if since and until and since > until:
        return error(request, 400, "bad_period", "开始日期不能晚于结束日期")
    resp = HttpResponse(
        stats.export_xlsx(stats.grouped(request.auth, by, since, until), by, since, until),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''figures-{by}.xlsx"
    return resp


# ------------------------------------------------------------------ applications


@router.post("/applications", response={201: ApplicationOut, **ERRORS})
def application_create(request, data: ApplicationIn):
    """一窗受理: take an application in; missing materials give one notice listing all."""
    try:
        app = applications.intake(request.auth, data, log_channel="api", request=request)
    except Refused as exc:
        return _refused(request, exc, 400)
    return HttpStatus(201, app_out(app))


class AppRow(Schema):
    number: str
    item_name: str
    status: str
    status_label: str
    applicant_name: str
    current_level: str
    promised_due: datetime | None
    card: str


@router.get(
    "/applications",
    response={200: list[AppRow], 403: ErrorOut},
    openapi_extra={"responses": checked.answer_400(filters.STATUS, filters.CARD)},
)
def application_list(
    request,
    status: str = Query("", description=checked.describe(filters.STATUS)),
    card: str = Query("", description=checked.describe(filters.CARD)),
    limit: Size200 = 50,
):
    """Applications in the caller's territory, newest first; `card` = yellow | red. A
    `status` or `card` outside its choices is a 400 (invalid_filter), not a list."""
    qs = applications.visible(request.auth).select_related("version__item")  # 403 first
    checked.on_api({"status": status, "card": card}, [filters.STATUS, filters.CARD])
    now = timezone.now()
    if status:
        qs = qs.filter(status=status)
    if card:
        qs = qs.filter(applications.card_q(card, now))
    rows = qs.order_by("-created_at")[: max(1, min(limit, 200))]
    return [
        AppRow(number=a.number, item_name=a.version.item.name, status=a.status,
               status_label=a.get_status_display(), applicant_name=a.applicant_name,
               current_level=LEVEL_NAME.get(a.current_level, ""), promised_due=a.promised_due,
               card=applications.card_of(a, now))
        for a in rows
    ]  # fmt: skip


@router.get("/applications/{number}", response={200: ApplicationOut, 403: ErrorOut, 404: ErrorOut})
def application_get(request, number: str):
    return app_out(applications.get_visible(request.auth, number))


@router.post("/applications/{number}/moves", response={200: ApplicationOut, **ERRORS})
def application_move(request, number: str, data: MoveIn):
    """Pass up, return, approve, refuse, suspend, resume, extend, supplement, deliver, withdraw."""
    try:
        app = applications.move(request.auth, number, data)
    except Refused as exc:
        return _refused(request, exc)
    return app_out(app)


class FileOut(Schema):
    id: int
    material_id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    at: datetime


def file_out(f: MaterialFile) -> dict:
    return {"id": f.pk, "material_id": f.material_id, "name": f.name,
            "content_type": f.content_type, "size": f.size, "sha256": f.sha256,
            "uploaded_by": f.uploaded_by_name, "at": f.at}  # fmt: skip


def _upload_refused(request, exc: uploads.UploadRefused):
    from jiceng.api import error

    return error(request, 400, exc.code, str(exc))


@router.post(
    "/applications/{number}/materials/{material_id}/files",
    response={201: FileOut, **ERRORS},
)
def material_upload(request, number: str, material_id: RowId, file: File[UploadedFile]):
    """A file (PDF, JPEG or PNG, by content; at most JICENG_MATERIAL_MAX_MB) for one
    material of the application's guide version; the material counts as provided.
    400 codes: `wrong_type`, `too_large`, `empty_file`, `unknown_material`."""
    app = applications.get_visible(request.auth, number)
    if not applications._may_act(request.auth, app, "supplement"):
        raise PermissionDenied(gettext("您不能为此办件上传材料"))
    try:
        f = uploads.upload(app, material_id, file.name or "",
                           file.read(uploads.max_bytes() + 1), request.auth)  # fmt: skip
    except uploads.UploadRefused as exc:
        return _upload_refused(request, exc)
    except Refused as exc:
        return _refused(request, exc)
    return HttpStatus(201, file_out(f))


@router.get("/applications/{number}/files/{file_id}", response={200: None, 403: ErrorOut,
            404: ErrorOut})  # fmt: skip
def material_download(request, number: str, file_id: RowId):
    """A material's file, to those who may see the application; logged (PIPL)."""
    from django.http import Http404

    app = applications.get_visible(request.auth, number)
    f = app.files.filter(pk=file_id).first()
    if f is None:
        raise Http404(gettext("文件不存在"))
    data = uploads.read_blob(f)
    uploads.log_download(request.auth, f, "api", request)
    resp = HttpResponse(data, content_type=f.content_type)
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private, no-store"
    return resp


# ------------------------------------------------------------------ public (no login)


class TrackSignIn(TrackIn, SignIn):
    pass


@router.post("/track", response={200: ApplicationOut, 404: ErrorOut}, auth=None)
def track(request, data: TrackIn):
    """The applicant follows an application by its number and phone (no login)."""
    return app_out(applications.find_public(data.number, data.phone), public=True)


@router.post("/track/sign", response={200: ApplicationOut, **ERRORS}, auth=None)
def track_sign(request, data: TrackSignIn):
    """The applicant's drawn signature with the hash of the content it was drawn on."""
    app = applications.find_public(data.number, data.phone)
    try:
        app = applications.sign(app, data.signed_hash, data.signature)
    except Refused as exc:
        return _refused(request, exc)
    return app_out(app, public=True)


@router.post("/track/rating", response={200: dict, **ERRORS}, auth=None)
def track_rate(request, data: RatingIn):
    """好差评: five levels; a 差评 opens a rectification with a deadline."""
    try:
        r = ratings.rate(data.number, data.phone, data.score, data.comment)
    except Refused as exc:
        return _refused(request, exc)
    return {"score": r.score, "label": r.label, "rectification": r.bad}


@router.post("/proxy/requests", response={201: dict, **ERRORS}, auth=None)
def proxy_request(request, data: ProxyRequestIn):
    """A resident books proxy handling (预约/上门/网上代办); assigned to the village's agent."""
    try:
        req = proxy.request(data)
    except Refused as exc:
        return _refused(request, exc, 400)
    return HttpStatus(201, {"id": req.id, "status": req.status,
                 "agent": req.agent.user.display_name if req.agent else None,
                 "agent_phone": req.agent.user.phone if req.agent else None})  # fmt: skip


# ------------------------------------------------------------------ proxy agents, ratings


class AssignIn(Schema):
    agent_id: int


@router.post("/proxy/requests/{req_id}/assign", response={200: dict, **ERRORS})
def proxy_assign(request, req_id: RowId, data: AssignIn):
    """A waiting booking handed to an active agent of the same village (town window)."""
    try:
        req = proxy.assign(request.auth, req_id, data.agent_id)
    except Refused as exc:
        return _refused(request, exc, 400)
    return {"id": req.id, "status": req.status, "agent": req.agent.user.display_name
            if req.agent else None}  # fmt: skip


@router.get("/proxy/agents", response={200: list[dict], 403: ErrorOut})
def agents(request, quarter: str = ""):
    """Agents in the caller's territory with workload and the quarter's review."""
    return proxy.agent_board(request.auth, quarter or proxy.quarter_of(timezone.now()))


@router.post("/proxy/agents/{agent_id}/reviews", response={201: dict, **ERRORS})
def agent_review(request, agent_id: RowId, data: AgentReviewIn):
    """Quarterly review (季度述职评议) of an agent by a villager or cadre."""
    try:
        r = proxy.review(request.auth, agent_id, data)
    except Refused as exc:
        return _refused(request, exc, 400)
    return HttpStatus(201, {"id": r.id, "quarter": r.quarter, "score": r.score})


@router.get("/ratings/weekly", response={200: list[dict], 403: ErrorOut})
def ratings_weekly(request, weeks: Weeks = 8):
    """Weekly satisfaction (二七区's weekly survey) in the caller's territory."""
    scope.require(request.auth, "servicehall.view")
    from jiceng.servicehall.models import Rating

    qs = Rating.objects.filter(scope.code_filter(request.auth, "application__region_code"))
    return ratings.weekly(qs, max(1, min(weeks, 52)))


class RectifyIn(Schema):
    reply: str


@router.post("/rectifications/{rect_id}", response={200: dict, **ERRORS})
def rectification_close(request, rect_id: RowId, data: RectifyIn):
    try:
        r = ratings.rectify(request.auth, rect_id, data.reply)
    except Refused as exc:
        return _refused(request, exc)
    except PermissionDenied:
        raise
    return {"id": r.id, "done_at": r.done_at}
