"""The cases API at /api/v1/cases/: intake, lists in scope, one case, moves.

A refused move is a structured error: {"error": {"code": "invalid_state" | "forbidden" |
"reason_required" | …, "message": "<中文>"}} with 400/403/409.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from jiceng.accounts import lookups
from jiceng.accounts.models import Role, User
from jiceng.cases import access, filters, moves, privacy, queries, services
from jiceng.cases.models import Case, Category, Channel
from jiceng.cases.workflow import MOVES, OPEN_STATES, status_label
from jiceng.dispatch.acceptance import record_suggestion
from jiceng.lib import filters as checked_filters
from jiceng.lib.errors import ErrorOut

router = Router(tags=["cases"])

if TYPE_CHECKING:

    class ApiRequest(HttpRequest):
        auth: User  # set by the API's authentication (jiceng/api.py)

else:
    ApiRequest = HttpRequest

RESIDENT_CHANNELS = {Channel.WEB, Channel.APP, Channel.WECHAT}
MAX_OFFSET = 1_000_000


class CategoryOut(Schema):
    code: str
    name: str
    path: str
    parent: str | None
    depth: int
    grid_can_fix: bool
    limit_amount: float | None
    limit_unit: str
    extra_fields: list[dict[str, Any]]


class CaseIn(Schema):
    channel: str = "api"
    request_type: str = "complaint"
    category: str | None = Field(None, description="category code")
    title: str = ""
    description: str
    lon: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    extra: dict[str, Any] = {}
    media_url: str = ""
    urgency: int = 1
    # the category suggestions the client showed (POST /api/v1/dispatch/suggest), best
    # first, and whether the operator took one: recorded for the acceptance figure
    suggested: list[str] = Field([], max_length=3, description="显示过的分类建议（一级分类，依次）")
    suggestion_accepted: bool | None = Field(None, description="操作员是否点选了建议")


class EventOut(Schema):
    at: datetime
    move: str
    label: str
    actor: str
    from_status: str
    to_status: str
    unit: str | None
    reason: str
    data: dict[str, Any]


class CaseOut(Schema):
    number: str
    title: str
    description: str
    channel: str
    request_type: str
    category: str | None
    category_path: str | None
    status: str
    status_label: str
    public_status: str
    tier: int
    unit: str | None
    owner_unit: str | None
    region_code: str
    lon: float | None
    lat: float | None
    address: str
    urgency: int
    deadline: datetime | None
    yellow_at: datetime | None
    card: str
    calendar_missing: bool
    public_note: str
    created_at: datetime
    closed_at: datetime | None
    closed_tier: int | None
    satisfaction: str
    extra: dict[str, Any]
    media: list[str]


class CaseDetail(CaseOut):
    reporter_name: str
    reporter_phone: str
    home_address: bool
    masked: bool = Field(description="reporter's name/phone (and a home address) are masked")
    can_reveal: bool = Field(description="POST …/reveal with a reason shows them in full")
    events: list[EventOut]
    moves: list[str]


ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """A JSON schema with its local `$ref`s replaced by the definitions (no dangling refs
    in the OpenAPI document)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def _move_body() -> dict[str, Any]:
    """The request body of a move in the OpenAPI document: the union of every move's input,
    told apart by the move named in the path (`moves.parse` reads it into that schema)."""
    offered = [(n, moves.RULES[n].input) for n in MOVES if MOVES[n].offered]
    inputs = list({cls.__name__: cls for _, cls in offered}.values())
    variants = []
    for cls in inputs:
        js = cls.model_json_schema()
        names = [n for n, c in offered if c is cls]
        variants.append({**_inline(js, js.get("$defs", {})), "description": "、".join(names)})
    schema = {
        "oneOf": variants,
        "description": "the input of the move named in the path: "
        + "; ".join(f"{n} → {cls.__name__}" for n, cls in offered),
    }
    return {"required": False, "content": {"application/json": {"schema": schema}}}


def _out(c: Case) -> dict[str, Any]:
    return {
        "number": c.number,
        "title": c.title,
        "description": c.description,
        "channel": c.channel,
        "request_type": c.request_type,
        "category": c.category.code if c.category else None,
        "category_path": c.category.path if c.category else None,
        "status": c.status,
        "status_label": status_label(c.status),
        "public_status": c.public_status,
        "tier": c.tier,
        "unit": c.unit.name if c.unit else None,
        "owner_unit": c.owner_unit.name if c.owner_unit else None,
        "region_code": c.region_code,
        "lon": c.lon,
        "lat": c.lat,
        "address": privacy.reporter(c, False)["address"],
        "urgency": c.urgency,
        "deadline": c.deadline,
        "yellow_at": c.yellow_at,
        "card": c.card,
        "calendar_missing": c.calendar_missing,
        "public_note": c.public_note,
        "created_at": c.created_at,
        "closed_at": c.closed_at,
        "closed_tier": c.closed_tier,
        "satisfaction": c.satisfaction,
        "extra": c.extra,
        "media": c.media,
    }


def _error(
    request: ApiRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    from jiceng.api import error

    return error(request, status, code, message, details)


@router.get("/categories", response=list[CategoryOut])
def categories(request: ApiRequest) -> list[dict[str, Any]]:
    """The category tree (Open311 services), with limits and extra fields."""
    rows = Category.objects.filter(active=True).select_related("parent")
    return [
        {
            "code": c.code,
            "name": c.name,
            "path": c.path,
            "parent": c.parent.code if c.parent else None,
            "depth": c.depth,
            "grid_can_fix": c.grid_can_fix,
            "limit_amount": c.limit_amount,
            "limit_unit": c.limit_unit,
            "extra_fields": c.extra_fields,
        }
        for c in rows
    ]


@router.post("/", response={201: CaseOut})
def create_case(request: ApiRequest, payload: CaseIn) -> HttpStatus:
    """Take a case in. Residents may use the web, app and WeChat channels only.

    An `Idempotency-Key` header (any string up to 64 characters) makes a retry safe: the
    same key from the same user returns the case the first request made."""
    user = request.auth
    if user.role == Role.RESIDENT and payload.channel not in RESIDENT_CHANNELS:
        payload.channel = Channel.APP
    if payload.channel == Channel.ALARM and user.role == Role.RESIDENT:
        payload.channel = Channel.APP
    cat = None
    if payload.category:
        cat = services.active_category(payload.category)  # in-process, no query per case
        if cat is None:
            raise ValidationError(
                gettext("分类 %(category)s 不存在") % {"category": payload.category}
            )
    # One request = one case: a retry with the same Idempotency-Key returns the first case.
    token = (request.headers.get("Idempotency-Key") or "").strip()[:64]
    key = f"api:{user.pk}:{token}" if token else ""
    fields: dict[str, Any] = dict(
        channel=payload.channel,
        request_type=payload.request_type,
        category=cat,
        title=payload.title,
        description=payload.description,
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        address=payload.address,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        user=user,
        extra=payload.extra,
        media_url=payload.media_url,
        urgency=payload.urgency,
    )

    def make() -> Case:
        if not payload.suggested:  # nothing to record: no extra savepoint on the hot path
            return services.intake(**fields)
        with transaction.atomic():  # the case and the dispatch record of its suggestions
            case = services.intake(**fields)
            record_suggestion(case, payload.suggested, payload.suggestion_accepted)
            return case

    case = services.once(key, make)
    # The answer from the case as written (its category and units are the instances intake
    # used), not read back; a repeated Idempotency-Key gives the stored case.
    return HttpStatus(201, _out(case))


def _reload(number: str) -> Case:
    return Case.objects.select_related("category", "unit", "owner_unit").get(number=number)


NEXT_CURSOR = "X-Next-Cursor"
LIST_HEADERS = {
    200: {
        "headers": {
            NEXT_CURSOR: {
                "description": "present when more rows follow: pass it back as `cursor` for "
                "the next page (absent on the last page)",
                "schema": {"type": "string"},
            }
        }
    },
    "400": {
        "description": "`invalid_filter`: a filter value outside its choices (`status`, "
        "`card`, `channel`; `category`: a beginning no category code has); error.message "
        "names the value and the choices, error.details has one entry per filter (loc "
        '["query", name]). `invalid_cursor`: a cursor with an offset, or a cursor this list '
        "did not give.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    },
}


@router.get("/", response=list[CaseOut], openapi_extra={"responses": LIST_HEADERS})
def list_cases(
    request: ApiRequest,
    response: HttpResponse,
    status: str = Query("", description=filters.describe(filters.API_STATUS)),
    card: str = Query("", description=filters.describe(filters.CARD)),
    channel: str = Query("", description=filters.describe(filters.CHANNEL)),
    category: str = Query(
        "",
        description="the beginning of a category code: that category and every category "
        "under it (e.g. `01` and its children `0101`, `0102` …); GET /api/v1/cases/categories lists "
        "them. A beginning no category has is a 400 invalid_filter naming the top level.",
    ),
    open: bool = False,
    q: str = "",
    phone: str = "",
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    cursor: str = Query(
        "",
        max_length=200,
        description="the X-Next-Cursor header of the previous page (keyset paging: the same "
        "cost at any depth, no row twice when cases come in meanwhile); not with offset",
    ),
) -> list[dict[str, Any]] | HttpResponse:
    """Cases the caller may see, newest first (created_at, then id); a `q` shaped like a
    case number or its beginning (`610921-2026…`) searches numbers only, in number order
    (newest number first). Page with `cursor` (preferred) or `offset`: the header
    X-Next-Cursor carries the cursor of the next page. Never counts the matching rows.
    The queue page's filters: `status`, `card`, `channel`, `category` (a code and what is
    under it), `q`. `offset` beyond 1,000,000 or below 0, or `limit` outside 1–200, is a
    400 (invalid_page) naming it and the bound; a cursor with an offset, or a cursor this
    list did not give, a 400 (invalid_cursor); a filter value outside its choices, a 400
    (invalid_filter) naming it and the choices, not an empty list."""
    checked = {"status": status, "card": card, "channel": channel, "category": category}
    checked_filters.on_api(checked, filters.API_FILTERS)
    if cursor and offset:
        return _error(request, 400, "invalid_cursor", gettext("cursor 与 offset 不能同时使用"))
    qs = services.visible_cases(request.auth)  # joined after the LIMIT: queries.page_of
    statuses = [v.strip() for v in status.split(",") if v.strip()]
    if statuses:
        qs = qs.filter(status__in=statuses)
    if card:
        qs = qs.filter(card=card)
    if channel:
        qs = qs.filter(channel=channel)
    if category:
        # the category and those under it, as a list of ids (the tree is small): for one
        # category the (category, created_at) index gives the list's order and the LIMIT
        # stops it; as a subquery the planner walked the whole table's created_at index
        # and tested every row against the categories (decision 0106, measured there)
        under = Category.objects.filter(code__startswith=category)
        qs = qs.filter(category_id__in=list(under.values_list("pk", flat=True)))
    if open:
        qs = qs.filter(status__in=OPEN_STATES)
    q = q.strip()
    order: tuple[str, ...] = queries.NEWEST
    if q and queries.looks_like_number(q):
        # a number or its beginning: numbers only, in number order, from the number's index
        qs, order = qs.filter(queries.number_q(q)), queries.BY_NUMBER
    elif q:
        # title and description: trigram indexes on PostgreSQL (0049), FTS5 on SQLite (0054)
        text = queries.text_q(q, indexed=not access.narrow_scope(request.auth))
        qs = qs.filter(queries.number_q(q) | text)
    if phone:
        qs = qs.filter(
            lookups.case_phone_filter(request.auth, phone, channel="api", request=request)
        )
    qs = qs.order_by(*order)
    if cursor:
        try:
            qs = qs.filter(queries.after_cursor(order, cursor))
        except queries.BadCursor:
            return _error(
                request, 400, "invalid_cursor", gettext("分页游标无效，请从第一页重新获取")
            )
    rows = queries.page_of(qs, offset, limit + 1)  # one more: is there a next page?
    if len(rows) > limit:
        rows = rows[:limit]
        response[NEXT_CURSOR] = queries.encode_cursor(order, rows[-1])
    return [_out(c) for c in rows]


class RevealIn(Schema):
    reason: str


@router.get("/{number}", response=CaseDetail)
def get_case(request: ApiRequest, number: str) -> dict[str, Any]:
    """One case; the reporter is masked unless the caller's unit holds it (then logged)."""
    return _detail(request, number, None)


@router.post("/{number}/reveal", response=CaseDetail)
def reveal_case(request: ApiRequest, number: str, body: RevealIn) -> dict[str, Any]:
    """One case with the reporter in full, after a reason; logged in the access log."""
    return _detail(request, number, body.reason)


def _detail(request: ApiRequest, number: str, reason: str | None) -> dict[str, Any]:
    case = services.get_visible(request.auth, number)
    case = _reload(case.number)
    who, access = privacy.present(request.auth, case, reason, "api", request)
    events = case.events.select_related("actor", "to_unit").order_by("at", "id")
    d = _out(case)
    d.update(who)
    d.update(
        can_reveal=access.can_reveal,
        events=[
            {
                "at": e.at,
                "move": e.move,
                "label": MOVES[e.move].label if e.move in MOVES else e.move,
                "actor": e.actor_label,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "unit": e.to_unit.name if e.to_unit else None,
                "reason": e.reason,
                "data": e.data,
            }
            for e in events
        ],
        moves=[m.name for m in services.allowed_moves_for(request.auth, case)],
    )
    return d


@router.post(
    "/{number}/moves/{move}",
    response={200: CaseOut, **ERRORS},
    openapi_extra={"requestBody": _move_body()},
)
def make_move(request: ApiRequest, number: str, move: str) -> dict[str, Any] | HttpResponse:
    """Make one move of the loop (see workflow.MOVES). The body is that move's input (a
    JSON object; empty means defaults): it is parsed before anything else, so a bad input
    is a 400 `invalid_input` with a Chinese message. Refusals are structured errors."""
    try:
        raw = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _error(request, 400, "invalid_input", "请求内容不是有效的 JSON")
    try:
        params = moves.parse(move, raw)
    except moves.MoveRefused as exc:
        return _error(request, exc.status, exc.code, exc.message)
    try:
        case = services.get_visible(request.auth, number)
    except Http404:
        return _error(request, 404, "not_found", "该诉求不存在或不在您的管辖范围内")
    try:
        case = moves.make(case, move, params, user=request.auth)
    except moves.MoveRefused as exc:
        return _error(request, exc.status, exc.code, exc.message)
    return _out(_reload(case.number))


@router.get("/lookup/duplicates", response=list[CaseOut])
def duplicates(
    request: ApiRequest, category: str, lon: float, lat: float, metres: float = 200
) -> list[dict[str, Any]]:
    """Possible duplicates in scope: same category, near, recent."""
    cat = Category.objects.filter(code=category).first()
    found = services.possible_duplicates(category=cat, lon=lon, lat=lat, metres=metres)
    visible = set(
        services.visible_cases(request.auth)
        .filter(pk__in=[c.pk for c in found])
        .values_list("pk", flat=True)
    )
    return [_out(c) for c in found if c.pk in visible]
