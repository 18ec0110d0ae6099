"""JSON API of the household register (/api/v1/people/…): scoped by `scope.code_filter`
and masked by `privacy` exactly like the pages; a full view needs a reason and is logged."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from jiceng.accounts import scope
from jiceng.accounts.models import AccessLog
from jiceng.lib import filters as checked
from jiceng.lib.bounds import Page, RowId, Size200
from jiceng.people import filters, importer, privacy, services, stats
from jiceng.people.models import (
    Building,
    CareTag,
    CareTagType,
    ColourRule,
    ColourService,
    Organisation,
    Visit,
)

router = Router(tags=["people"])
PAGE = 50
MAX_PAGE = 200


class Reason(Schema):
    reason: str


class HouseholdIn(Schema):
    number: str
    grid_code: str
    address: str
    phone: str = ""
    annual_income: float | None = None
    safe_family_years: int = 0
    note: str = ""


class HouseholdPatch(Schema):
    address: str | None = None
    phone: str | None = None
    annual_income: float | None = None
    safe_family_years: int | None = None
    note: str | None = None


class ResidentIn(Schema):
    name: str
    id_number: str
    id_type: str = "id_card"
    household_id: int | None = None
    grid_code: str = ""
    relation: str = "other"
    kind: str = "registered"
    phone: str = ""
    address: str = ""
    ethnicity: str = "汉族"
    party_member: bool = False


class ResidentPatch(Schema):
    name: str | None = None
    relation: str | None = None
    kind: str | None = None
    phone: str | None = None
    address: str | None = None
    household_id: int | None = None
    party_member: bool | None = None


class TagIn(Schema):
    type: str
    values: dict[str, Any] = {}
    since: date | None = None
    note: str = ""


class OrganisationIn(Schema):
    name: str
    kind: str = "company"
    grid_code: str
    credit_code: str = ""
    legal_person: str = ""
    phone: str = ""
    address: str = ""
    employees: int | None = None
    party_organisation: bool = False


class VisitIn(Schema):
    found: str
    follow_up: str = ""
    kind: str = "home"
    visited_at: datetime | None = None
    needs_case: bool = False


def _page(qs, page: int, size: int):
    size = max(1, min(size, MAX_PAGE))
    page = max(1, page)
    total = qs.count()
    return total, list(qs[(page - 1) * size : page * size])


def _household_out(request, h, access: privacy.Access) -> dict:
    if access.full:
        privacy.log_household_view(request.user, h, access, "api", request)
    out = privacy.household_dict(h, access.full)
    out["contacts"] = [
        {"kind": c["kind_label"], "name": c["name"], "phone": c["phone"], "title": c["title"]}
        for c in privacy.contacts(h, access.full)
    ]
    return out


def visit_dict(v: Visit) -> dict:
    return {
        "id": v.id,
        "household_id": v.household_id,
        "visitor": v.visitor_name,
        "kind": v.kind,
        "kind_label": v.get_kind_display(),
        "visited_at": v.visited_at.isoformat(),
        "found": v.found,
        "follow_up": v.follow_up,
        "needs_case": v.needs_case,
        "case_number": v.case_number,
    }


# ---- households -------------------------------------------------------------------------


@router.get("/households", openapi_extra={"responses": checked.answer_400(filters.COLOUR)})
def list_households(
    request,
    region: str = "",
    colour: str = Query("", description=checked.describe(filters.COLOUR)),
    q: str = "",
    page: Page = 1,
    size: Size200 = PAGE,
):
    """Households of the user's territory (masked), filtered by region code, colour or 户号.
    A `colour` outside its choices is a 400 (invalid_filter)."""
    qs = services.households_for(request.user).select_related("grid")
    checked.on_api({"colour": colour}, [filters.COLOUR])
    if region:
        if not region.isdigit():
            raise ValidationError("区域代码只能是数字")
        qs = qs.filter(grid_code__under=region)
    if colour:
        qs = qs.filter(colour=colour)
    if q:
        qs = qs.filter(number__contains=q.strip())
    total, rows = _page(qs.order_by("grid_code", "number"), page, size)
    return {
        "total": total,
        "page": page,
        "items": [privacy.household_dict(h, False, members=False) for h in rows],
    }


@router.post("/households", response={201: dict})
def create_household(request, body: HouseholdIn):
    h = services.create_household(request.user, body.dict())
    return 201, privacy.household_dict(h, False, members=False)


@router.get("/households/{hid}")
def get_household(request, hid: RowId):
    """The household file: full for roles that see full data (logged), masked otherwise."""
    h = services.get_household(request.user, hid)
    return _household_out(request, h, privacy.decide(request.user))


@router.post("/households/{hid}/reveal")
def reveal_household(request, hid: RowId, body: Reason):
    """The full household file, after a reason; logged in the access log."""
    h = services.get_household(request.user, hid)
    return _household_out(request, h, privacy.decide(request.user, body.reason))


@router.patch("/households/{hid}")
def patch_household(request, hid: RowId, body: HouseholdPatch):
    h = services.get_household(request.user, hid)
    h = services.update_household(request.user, h, body.dict(exclude_unset=True))
    return privacy.household_dict(h, False, members=False)


@router.get("/households/{hid}/colour-history")
def colour_history(request, hid: RowId):
    h = services.get_household(request.user, hid)
    return [
        {
            "colour": c.colour,
            "previous": c.previous,
            "reasons": c.reasons,
            "trigger": c.trigger,
            "at": c.at.isoformat(),
        }
        for c in h.colour_history.all()
    ]


@router.get("/households/{hid}/visits")
def list_visits(request, hid: RowId):
    h = services.get_household(request.user, hid)
    return [visit_dict(v) for v in h.visits.all()[:200]]


@router.post("/households/{hid}/visits", response={201: dict})
def create_visit(request, hid: RowId, body: VisitIn):
    h = services.get_household(request.user, hid)
    v = services.record_visit(request.user, h, body.dict())
    return 201, visit_dict(v)


# ---- residents ---------------------------------------------------------------------------


@router.get("/residents")
def search(request, q: str = "", page: Page = 1, size: Size200 = PAGE):
    """Search by name (contains), full ID number or phone (exact); results always masked."""
    qs = services.search_residents(request.user, q, channel="api", request=request)
    qs = qs.prefetch_related("tags__type")
    total, rows = _page(qs.order_by("grid_code", "id"), page, size)
    return {"total": total, "page": page, "items": [privacy.resident_dict(r, False) for r in rows]}


class SearchIn(Schema):
    q: str
    page: Page = 1
    size: Size200 = PAGE


@router.post("/residents/search")
def search_post(request, body: SearchIn):
    """The same search with the query in the body: prefer it for ID numbers and phones,
    which then stay out of URLs and access logs of proxies."""
    return search(request, body.q, body.page, body.size)


@router.post("/residents", response={201: dict})
def create_resident(request, body: ResidentIn):
    r = services.create_resident(request.user, body.dict())
    return 201, privacy.resident_dict(r, False, tags=False)


def _resident_out(request, r, access: privacy.Access):
    if access.full:
        privacy.log_views(request.user, [("resident", r.id, r.name)], access.reason, "api", request)
    return privacy.resident_dict(r, access.full)


@router.get("/residents/{rid}")
def get_resident(request, rid: RowId):
    r = services.get_resident(request.user, rid)
    return _resident_out(request, r, privacy.decide(request.user))


@router.post("/residents/{rid}/reveal")
def reveal_resident(request, rid: RowId, body: Reason):
    r = services.get_resident(request.user, rid)
    return _resident_out(request, r, privacy.decide(request.user, body.reason))


@router.patch("/residents/{rid}")
def patch_resident(request, rid: RowId, body: ResidentPatch):
    r = services.get_resident(request.user, rid)
    r = services.update_resident(request.user, r, body.dict(exclude_unset=True))
    return privacy.resident_dict(r, False, tags=False)


@router.post("/residents/{rid}/tags", response={201: dict})
def add_tag(request, rid: RowId, body: TagIn):
    r = services.get_resident(request.user, rid)
    tag = services.add_tag(request.user, r, body.type, body.values, body.since, body.note)
    return 201, privacy.tag_dict(tag, True)


@router.post("/tags/{tid}/end")
def end_tag(request, tid: RowId):
    scope.require(request.user, "people.edit")
    tag = get_object_or_404(CareTag.objects.select_related("resident", "type"), pk=tid)
    if not scope.can_see_code(request.user, tag.resident.grid_code):
        raise Http404("该标签不存在或不在您的管辖范围内")
    tag = services.end_tag(request.user, tag)
    return {"id": tag.id, "ended_at": tag.ended_at.isoformat() if tag.ended_at else None}


# ---- places and organisations -------------------------------------------------------------


def org_dict(o: Organisation) -> dict:
    # a business's registered contact is public information; the legal person's own phone
    # is not collected here
    return {
        "id": o.id,
        "name": o.name,
        "kind": o.kind,
        "kind_label": o.get_kind_display(),
        "credit_code": o.credit_code,
        "legal_person": o.legal_person,
        "phone": o.phone,
        "address": o.address,
        "employees": o.employees,
        "party_organisation": o.party_organisation,
        "grid_code": o.grid_code,
    }


@router.get(
    "/organisations",
    openapi_extra={"responses": checked.answer_400(filters.ORGANISATION_KIND)},
)
def list_organisations(
    request,
    region: str = "",
    kind: str = Query("", description=checked.describe(filters.ORGANISATION_KIND)),
    page: Page = 1,
    size: Size200 = PAGE,
):
    """Non-public companies and social organisations of the user's territory. A `kind`
    outside its choices is a 400 (invalid_filter)."""
    scope.require(request.user, "people.view")
    checked.on_api({"kind": kind}, [filters.ORGANISATION_KIND])
    qs = Organisation.objects.filter(scope.code_filter(request.user, "grid_code"))
    if region:
        if not region.isdigit():
            raise ValidationError("区域代码只能是数字")
        qs = qs.filter(grid_code__under=region)
    if kind:
        qs = qs.filter(kind=kind)
    total, rows = _page(qs.order_by("grid_code", "name"), page, size)
    return {"total": total, "page": page, "items": [org_dict(o) for o in rows]}


@router.post("/organisations", response={201: dict})
def create_organisation(request, body: OrganisationIn):
    return 201, org_dict(services.create_organisation(request.user, body.dict()))


@router.get("/buildings")
def list_buildings(request, region: str = "", page: Page = 1, size: Size200 = PAGE):
    """Buildings with their rooms and how many households live in them."""
    scope.require(request.user, "people.view")
    qs = Building.objects.filter(scope.code_filter(request.user, "grid_code")).annotate(
        rooms_count=Count("rooms", distinct=True),
        households_count=Count("households", distinct=True),
    )
    if region:
        if not region.isdigit():
            raise ValidationError("区域代码只能是数字")
        qs = qs.filter(grid_code__under=region)
    total, rows = _page(qs.order_by("grid_code", "name"), page, size)
    return {
        "total": total,
        "page": page,
        "items": [
            {
                "id": b.id,
                "name": b.name,
                "kind": b.get_kind_display(),
                "address": b.address,
                "floors": b.floors,
                "units": b.units,
                "rooms": b.rooms_count,
                "households": b.households_count,
                "grid_code": b.grid_code,
            }
            for b in rows
        ],
    }


# ---- reference data, counts ---------------------------------------------------------------


@router.get("/tag-types")
def tag_types(request):
    scope.require(request.user, "people.view")
    return [
        {
            "code": t.code,
            "name": t.name,
            "group": t.group,
            "sensitive": t.sensitive,
            "schema": t.schema,
            "builtin": t.builtin,
        }
        for t in CareTagType.objects.filter(active=True)
    ]


@router.get("/colour-rules")
def colour_rules(request):
    scope.require(request.user, "people.view")
    return {
        "rules": [
            {"colour": r.colour, "name": r.name, "conditions": r.conditions, "priority": r.priority}
            for r in ColourRule.objects.filter(active=True)
        ],
        "services": [
            {
                "colour": s.colour,
                "name": s.name,
                "service": s.service,
                "visit_every_days": s.visit_every_days,
                "hotline": s.hotline,
            }
            for s in ColourService.objects.all()
        ],
    }


@router.get("/counts")
def counts(request, region: str = ""):
    """Colour and care-tag counts of a region (default: the user's scope), per child region."""
    return stats.region_counts(request.user, region or None)


# ---- import, access log -------------------------------------------------------------------


@router.post("/import")
def import_file(request, file: UploadedFile = File(...), mode: str = Form("report")):  # noqa: B008
    """Import an .xlsx or .csv (see /people/import/template.xlsx); whole or nothing."""
    report = importer.run(request.user, file.name or "upload.csv", file, mode)
    return {
        "ok": report.ok,
        "rows": report.rows,
        "counts": report.counts,
        "errors": report.errors,
        "seconds": report.seconds,
    }


@router.get("/access-log")
def access_log(
    request,
    page: Page = 1,
    size: Size200 = PAGE,
    viewer: str = "",
    subject: str = "",
    subject_type: str = "",
    subject_id: str = "",
):
    """The PIPL access log: auditor and district administrator only. One item per view;
    a view of several people lists them in `subjects` (up to 20, `subjects_count` in all).
    `subject_type` + `subject_id` (e.g. resident, 12) find every view that showed that
    record; `subject` every view naming it."""
    scope.require(request.user, "accesslog.view")
    qs = stats.access_log_for(request.user)
    if viewer:
        qs = qs.filter(viewer__username=viewer)
    if subject_type and subject_id:
        qs = qs.about(subject_type[:50], subject_id[:64])
    qs = stats.filter_subject(qs, subject.strip()[:100])
    total, rows = _page(qs, page, size)
    stats.attach_subjects(rows)
    return {"total": total, "page": page, "items": [log_dict(e) for e in rows]}


def log_dict(e: AccessLog) -> dict:
    return {
        "at": e.at.isoformat(),
        "viewer": e.viewer.username,
        "viewer_name": e.viewer.display_name,
        "subject_type": e.subject_type,
        "subject_id": e.subject_id,
        "subject_label": e.subject_label,
        "fields": e.fields,
        "reason": e.reason,
        "channel": e.channel,
        "ip": e.ip,
        "subjects": [
            {"type": s.subject_type, "id": s.subject_id, "label": s.subject_label}
            for s in getattr(e, "listed", [])
        ],
        "subjects_count": getattr(e, "listed_count", 0),
    }
