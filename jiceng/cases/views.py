"""Pages of the loop: queues per role, the case page, intake forms, the public tracker."""

from __future__ import annotations

import io
from datetime import date, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_POST

from jiceng.accounts import lookups
from jiceng.accounts.models import Role, Unit, UnitKind
from jiceng.accounts.scope import can, can_see_code, require, scope_code
from jiceng.cases import access, deadlines, filters, moves, privacy, queries, services
from jiceng.cases.models import (
    CalendarDay,
    CalendarYear,
    Card,
    Case,
    CaseAttachment,
    Category,
    Channel,
    RequestType,
    Satisfaction,
    Status,
    Tier,
    Urgency,
    WhistleCall,
)
from jiceng.cases.workflow import MOVES, OPEN_STATES, WATCHED_STATES, status_label, todo_states
from jiceng.dispatch.acceptance import record_suggestion
from jiceng.lib import paging
from jiceng.lib.clientip import client_ip

MAX_PHOTO_MB = settings.JICENG_PHOTO_MAX_MB
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
TRACK_LIMIT = settings.JICENG_TRACK_LIMIT_PER_10MIN

S = Status
# What waits for whom, from the table's `todo` column (workflow.MOVES).
VISIT_TODO = todo_states("dispatcher", moves=["return_visit"])  # 回访 due
DISPATCH_TODO = [s for s in todo_states("dispatcher") if s not in VISIT_TODO]
HANDLER_TODO = todo_states("handler")
GRID_TODO = todo_states("grid")
# The board: a column per state waiting for the centre; the rest of the units' work below.
IN_PROGRESS = [s for s in HANDLER_TODO if s not in DISPATCH_TODO]


def new_token() -> str:
    """A fresh token for an intake form's hidden `token` field (one submission, one case)."""
    import secrets

    return secrets.token_urlsafe(16)


def _once(request: HttpRequest, make: Any) -> Case:
    """Run an intake once per form token (intake.once): the same form sent twice — a
    double Ctrl+Enter, a double tap, a resend after a slow answer — makes one case."""
    token = (request.POST.get("token") or "").strip()[:64]
    key = f"page:{request.user.pk}:{token}" if token else ""
    return services.once(key, make)


def work_url(user: Any) -> str:
    """Where this person's work is: a department's inbox, everyone else's case list."""
    if can(user, "cases.inbox") and not user.is_superuser:
        return reverse("cases:inbox")
    return reverse("cases:queue")


def _land(request: HttpRequest, case: Case) -> HttpResponse:
    """The one rule after any move or intake: back to the case if this person may still
    see it, else to their own work list with a word on where the case went — never a 404
    (issue 17 item 3: after 退单 the department lands on its inbox)."""
    if services.visible_cases(request.user).filter(pk=case.pk).exists():
        return redirect("cases:detail", number=case.number)
    messages.info(
        request, gettext("诉求 %(number)s 已转出，不再由您办理") % {"number": case.number}
    )
    return redirect(work_url(request.user))


def _u(request) -> Any:
    """The logged-in user (views are behind login_required)."""
    return request.user


def _todo_q(user) -> Q:
    """What waits for this user: their own move is the next one."""
    q = Q(pk__in=[])
    tier = services.ROLE_TIER.get(user.role)
    if user.role in services.DISPATCH_ROLES and tier:
        q |= Q(status__in=DISPATCH_TODO, tier__lte=tier)
        q |= Q(status__in=VISIT_TODO, rated_at=None, tier__lte=tier)  # return visit (回访) due
    if user.role == Role.GRID_WORKER:
        q |= Q(tier=Tier.GRID, status__in=GRID_TODO)
    if user.unit_id:
        q |= Q(unit_id=user.unit_id, status__in=HANDLER_TODO)
        # a subquery, not a join: a join through the calls repeats a case per call and
        # needed DISTINCT, which sorted every matching row before the page (issue 11)
        q |= Q(
            pk__in=WhistleCall.objects.filter(unit_id=user.unit_id, reported_at=None).values(
                "whistle__case_id"
            )
        )
    if user.role == Role.RESIDENT:
        q |= Q(status__in=OPEN_STATES) | Q(status=S.CLOSED, rated_at=None)
    return q


def _base(request):
    require(request.user, "cases.view")
    return services.visible_cases(request.user).select_related("category", "unit", "owner_unit")


RESIDENT_TABS = [
    ("open", gettext_noop("办理中")),
    ("rate", gettext_noop("待评价")),
    ("all", gettext_noop("全部")),
]
STAFF_TABS = [
    ("todo", gettext_noop("待我处理")),
    ("open", gettext_noop("在办")),
    ("late", gettext_noop("黄红牌")),
    ("visit", gettext_noop("待回访")),
    ("all", gettext_noop("全部")),
]


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    qs = _base(request)
    resident = _u(request).role == Role.RESIDENT
    default_tab = "open" if _u(request).role in (Role.AUDITOR, Role.RESIDENT) else "todo"
    tabs = RESIDENT_TABS if resident else STAFF_TABS
    f = {k: request.GET.get(k, "") for k in ("tab", "status", "card", "channel", "q", "category")}
    # a value outside its choices is named with the choices, and that condition is not
    # applied, instead of an empty list that looks like a result (cases/filters.py)
    for param, problem in filters.check(
        f, [filters.tab_filter(tabs), *filters.PAGE_FILTERS]
    ).items():
        messages.warning(
            request, gettext("%(problem)s。下面的列表未按此条件筛选。") % {"problem": problem}
        )
        f[param] = ""
    tab = f.pop("tab") or default_tab
    if tab == "rate":  # the resident's: closed and not yet rated by them
        qs = qs.filter(status__in=[S.CLOSED, S.ARCHIVED], rated_at=None)
    if tab == "todo":
        qs = qs.filter(_todo_q(request.user))
    elif tab == "open":
        qs = qs.filter(status__in=OPEN_STATES)
    elif tab == "visit":
        qs = qs.filter(status__in=[S.CLOSED, S.ARCHIVED], rated_at=None)
    elif tab == "late":  # a paused case's clock is stopped: not late (WATCHED_STATES)
        qs = qs.filter(status__in=WATCHED_STATES, card__in=[Card.YELLOW, Card.RED])
    if f["status"]:
        qs = qs.filter(status=f["status"])
    if f["card"]:
        qs = qs.filter(card=f["card"])
    if f["channel"]:
        qs = qs.filter(channel=f["channel"])
    if f["category"]:
        qs = qs.filter(category__code__startswith=f["category"])
    q = f["q"].strip()
    by_number = queries.looks_like_number(q)
    if by_number:
        # a case number or its beginning: numbers only, in number order (its B-tree), not a
        # text search that sorts every case of the county by deadline (issue 11)
        qs = qs.filter(queries.number_q(q))
    elif q:
        # the number's beginning (its B-tree) or a substring of the title or description
        # (trigram indexes on PostgreSQL, FTS5 on SQLite: queries.text_q)
        text = queries.number_q(q) | queries.text_q(q, indexed=not access.narrow_scope(_u(request)))
        qs = qs.filter(text if resident else text | lookups.queue_phone_q(request, q))
    # every order ends with a unique key, so that page n + 1 starts where page n ended
    parts: list[Any] = []
    if by_number:
        qs = qs.order_by(*queries.BY_NUMBER)
    elif tab == "all":
        qs = qs.order_by(*queries.NEWEST)
    elif tab == "todo":
        # Work to do on open cases first (nearest deadline first); return visits after;
        # then anything else a summons still holds. Three queries read one after the
        # other, not one ORDER BY (closed?, deadline): no index has that order, and the
        # county's return visits are hundreds of thousands of rows to sort (issue 11).
        by_deadline = ("deadline", "id")
        parts = [
            qs.filter(status__in=OPEN_STATES).order_by(*by_deadline),
            qs.filter(status=S.CLOSED).order_by(*by_deadline),
            qs.exclude(status__in=[*OPEN_STATES, S.CLOSED]).order_by(*by_deadline),
        ]
    else:
        qs = qs.order_by("deadline", "id")
    # a page number that is not one (abc, 0, -1, beyond the last page a list can have, past
    # the end of this list) is named, and the first page shown (jiceng/lib/paging.py)
    number, problem = paging.page_number(request.GET.get("page"), Window.MAX_PAGE)
    page = Window(parts or [qs], number)
    if not problem and page.number != number:
        problem = paging.past_the_end(number)
    if problem:
        messages.warning(request, paging.on_page(problem))
    return render(
        request,
        "cases/queue.html",
        {
            "page": page,
            "tab": tab,
            "f": f,
            "qs": urlencode({"tab": tab, **{k: v for k, v in f.items() if v}}),
            "statuses": Status.choices,
            "channels": Channel.choices,
            "now": timezone.now(),
            "resident": resident,
            # a resident's own list has no staff tabs or filters (issue 17 item 11)
            "tabs": tabs,
        },
    )


class Window:
    """One page of a queue without counting every matching row (issue 11): PAGE + 1 rows
    are read, the last only to know that a next page exists. The total the page shows is
    exact when this is the last page (no query) and otherwise a count bounded at
    COUNT_CAP rows ("1000+"): a LIMITed count, never all of a county's cases.

    `parts`: querysets listed one after the other (each in its own order, e.g. the todo
    tab's open work, then its return visits); a part is read only when the page reaches
    it, and a part the page starts beyond is counted only up to the page's offset.
    Quacks like Django's Page for the template (`page.paginator.count` …)."""

    PAGE = 50
    COUNT_CAP = 1000
    MAX_PAGE = 20_000  # offset ≤ 1,000,000, as the API's

    def __init__(self, parts: list[Any], number: int) -> None:
        # a number checked by the view (paging.page_number); bounded here all the same
        self.number = min(max(number, 1), self.MAX_PAGE)
        self._parts = parts
        start = (self.number - 1) * self.PAGE
        rows = self._read(start, self.PAGE + 1)
        if not rows and self.number > 1:  # past the end (an old link): the first page
            self.number, start = 1, 0
            rows = self._read(0, self.PAGE + 1)
        self.object_list = rows[: self.PAGE]
        self._has_next = len(rows) > self.PAGE
        self._start = start
        self.paginator = self  # the template asks page.paginator.count / num_pages

    def _read(self, skip: int, need: int) -> list[Any]:
        rows: list[Any] = []
        for qs in self._parts:
            got = queries.page_of(qs, skip, need)
            if skip:
                if not got:  # the page starts past this part: how far past (bounded)
                    skip -= qs.order_by()[:skip].count()
                    continue
                skip = 0
            rows += got
            need -= len(got)
            if need <= 0:
                break
        return rows

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self._has_next or self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    @cached_property
    def _total(self) -> int | None:
        """Exact total, or None when it is beyond COUNT_CAP."""
        if not self._has_next:
            return self._start + len(self.object_list)
        if self._start + self.PAGE >= self.COUNT_CAP:
            return None
        n = 0
        for qs in self._parts:  # bounded counts, part after part, until past the cap
            n += qs.order_by()[: self.COUNT_CAP + 1 - n].count()
            if n > self.COUNT_CAP:
                return None
        return n

    @property
    def count(self) -> str:
        t = self._total
        return f"{t:,}" if t is not None else f"{self.COUNT_CAP:,}+"

    @property
    def num_pages(self) -> str:
        t = self._total
        return str(max(1, -(-t // self.PAGE))) if t is not None else f"{self.number + 1}+"


def place_name(code: str) -> str:
    """'城关镇 · 南街社区 · 南街社区第2网格' for a region code: its town, its village or
    community, and the place itself; '' when the code is unknown."""
    from jiceng.lib.codes import ancestors
    from jiceng.territory.models import Region

    if not code:
        return ""
    # the town and the village/community, then the place itself (no intermediate grids)
    chain = [c for c in ancestors(code) if len(c) in (9, 12)] + [code]
    names = dict(Region.objects.filter(code__in=chain).values_list("code", "name"))
    if code not in names:
        return ""
    return " · ".join(names[c] for c in chain if c in names)


def extra_rows(case: Case) -> list[tuple[str, str]]:
    """(label, shown value) for each extra field of the case, in the category's order:
    list values by their names, numbers without a trailing .0; unknown keys kept last."""
    defs = sorted(
        (case.category.extra_fields or []) if case.category_id and case.category else [],
        key=lambda f: f.get("order", 0),
    )
    values = dict(case.extra or {})
    out: list[tuple[str, str]] = []
    for f in defs:
        code = f["code"]
        if code not in values:
            continue
        v = values.pop(code)
        names = {str(x["key"]): x.get("name", x["key"]) for x in f.get("values", [])}
        if isinstance(v, list):
            shown = "、".join(str(names.get(str(x), x)) for x in v)
        elif isinstance(v, float) and v.is_integer():
            shown = str(int(v))
        else:
            shown = str(names.get(str(v), v))
        out.append((f.get("label", code), shown))
    out += [(k, str(v)) for k, v in values.items()]
    return out


def placement_note(user: Any, case: Case) -> str:
    """Why a case the viewer took in lies outside their own area: its point fell in the
    neighbouring grid (issue 17 item 1). '' when the case is in the viewer's area."""
    code = scope_code(user)
    if code is None or case.taken_by_id != user.pk or case.region_code.startswith(code):
        return ""
    where = place_name(case.region_code) or case.region_code
    return gettext(
        "上报位置落在相邻的「%(where)s」，已交由该网格所属社区办理；"
        "您是上报人，仍可在「我上报的」中跟进。"
    ) % {"where": where}


def _move_context(request, case: Case) -> list[dict]:
    """The moves this viewer may make on this case, with what each form needs."""
    moves = services.allowed_moves_for(request.user, case)
    # The forward step of the workflow comes first and is the one opened; a move that
    # sends back, closes for good or throws away (退单, 归档, 作废 …) comes last and is
    # never opened by default.
    moves = sorted(moves, key=lambda m: m.name in BACKWARD_MOVES)
    out = []
    for m in moves:
        out.append(
            {
                "name": m.name,
                "label": m.label,
                "needs_reason": m.needs_reason,
                "photo": m.name in PHOTO_MOVES,
                "backward": m.name in BACKWARD_MOVES,
                "open": False,
            }
        )
    if out and not out[0]["backward"]:
        out[0]["open"] = True
    return out


def _unit_choices(case: Case) -> list[Unit]:
    """Units a centre may dispatch to: departments, and the communities of the case's town."""
    q = Q(kind=UnitKind.DEPARTMENT)
    if len(case.region_code) >= 9:
        q |= Q(kind=UnitKind.COMMUNITY, code__startswith=case.region_code[:9])
    return list(Unit.objects.filter(q, active=True).order_by("kind", "name"))


@login_required
def detail(request: HttpRequest, number: str) -> HttpResponse:
    """The case page. POST with a reason reveals the reporter's contact (logged)."""
    require(request.user, "cases.view")
    case = services.get_visible(request.user, number)
    case = Case.objects.select_related("category", "unit", "owner_unit", "merged_into").get(
        pk=case.pk
    )
    reason = request.POST.get("reason", "") if request.method == "POST" else None
    try:
        who, access = privacy.present(request.user, case, reason, "page", request)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("cases:detail", number=number)
    events = case.events.select_related("to_unit", "from_unit").order_by("at", "id")
    moves = _move_context(request, case)
    names = {m["name"] for m in moves}
    ctx: dict[str, Any] = {
        "case": case,
        "who": who,
        "access": access,
        "events": events,
        "moves": moves,
        "move_labels": {k: v.label for k, v in MOVES.items()},
        "status_label": status_label(case.status),
        "attachments": case.attachments.all(),
        "assignments": case.assignments.filter(active=True).select_related("unit"),
        "whistle_calls": WhistleCall.objects.filter(whistle__case=case).select_related("unit"),
        "visits": case.visits.all(),
        "parts": case.parts.all(),
        "now": timezone.now(),
        "satisfactions": Satisfaction.choices,
        "placement_note": placement_note(request.user, case),
        "absorbed": services.visible_cases(request.user)
        .filter(merged_into=case)
        .only("number", "title"),
    }
    if names & {"dispatch", "redispatch", "whistle"}:
        lead, helpers = services.suggest_units(case.category, case.region_code)
        ctx.update(
            units=_unit_choices(case),
            suggested=lead,
            suggested_helpers=[h.pk for h in helpers],
            departments=Unit.objects.filter(kind=UnitKind.DEPARTMENT, active=True),
        )
    if "rate_report_in" in names:
        ctx["rate_calls"] = [c for c in ctx["whistle_calls"] if c.reported_at]
    if case.lon is not None:
        ctx["dupes"] = [
            d
            for d in services.possible_duplicates(
                category=case.category, lon=case.lon, lat=case.lat, exclude=case.pk
            )
            if services.visible_cases(request.user).filter(pk=d.pk).exists()
        ]
    return render(request, "cases/detail.html", ctx)


def _move_fields(request: HttpRequest, name: str) -> dict[str, Any]:
    """The posted form of a move as raw input for its schema (services.parse checks it):
    empty fields are left out (the schema's default), list fields read every value."""
    p = request.POST
    reg = moves.RULES.get(name)
    if reg is None:
        return {}
    raw: dict[str, Any] = {}
    for key, f in reg.input.model_fields.items():
        if key == "parts":
            raw[key] = [t for t in p.getlist("part") if t.strip()]
        elif "list" in str(f.annotation):
            raw[key] = [v for v in p.getlist(key) if v]
        elif p.get(key, "") != "":
            raw[key] = p[key]
    if name in ("dispatch", "redispatch"):
        raw["helpers"] = [h for h in raw.get("helpers", []) if h != p.get("unit")]
    return raw


@login_required
@require_POST
def move(request: HttpRequest, number: str, name: str) -> HttpResponse:
    require(request.user, "cases.view")
    case = services.get_visible(request.user, number)
    photo = request.FILES.get("photo") if name in PHOTO_MOVES else None
    try:
        checked = _check_photo(photo) if photo else None
        params = services.parse(name, _move_fields(request, name))
        with transaction.atomic():
            services.make(case, name, params, user=request.user)
            if checked:
                _attach(case, checked, request.user)
    except services.MoveRefused as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request,
            gettext("已%(move)s") % {"move": gettext(MOVES[name].label)}
            if name in MOVES
            else gettext("已提交"),
        )
    return _land(request, case)


# ---------------------------------------------------------------- intake


def _categories():
    return Category.objects.filter(active=True).order_by("path")


def _check_photo(f) -> tuple[bytes, str, int, int]:
    """Images are checked by content (Pillow), not by name or the browser's type."""
    from PIL import Image, UnidentifiedImageError

    if f.size > MAX_PHOTO_MB * 1024 * 1024:
        raise ValidationError(gettext("照片不能超过 %(mb)s MB") % {"mb": MAX_PHOTO_MB})
    data = f.read()
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.verify()
        with Image.open(io.BytesIO(data)) as im:
            fmt, (w, h) = im.format, im.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(gettext("上传的文件不是有效的图片")) from None
    if fmt not in PHOTO_FORMATS:
        raise ValidationError(gettext("只接受 JPEG、PNG 或 WebP 图片"))
    if w * h > 50_000_000:
        raise ValidationError(gettext("图片尺寸过大"))
    return data, PHOTO_FORMATS[fmt], w, h


# Moves whose form takes a photo of the work done (issue 17 item 13: a department attaches
# one to its handling report).
PHOTO_MOVES = {"report_handling", "handle", "close_on_spot"}
# Moves that send a case back (退单, 返工, 重新办理), close it for good or throw it
# away: listed last on the case page and never opened by default (the forward step is).
BACKWARD_MOVES = frozenset(
    {"return", "archive", "cancel", "merge", "rework", "reject_pause", "reopen"}
)


def _attach(case: Case, checked: tuple[bytes, str, int, int], user: Any) -> CaseAttachment:
    """Store a checked photo (_check_photo) as the case's next attachment."""
    data, ctype, w, h = checked
    ext = ctype.split("/")[1].replace("jpeg", "jpg")
    att = CaseAttachment(
        case=case, content_type=ctype, size=len(data), width=w, height=h, uploaded_by=user
    )
    n = CaseAttachment.objects.filter(case=case).count() + 1
    att.file.save(f"{case.number}-{n}.{ext}", ContentFile(data), save=True)
    return att


def _float(v):
    try:
        return float(v) if v not in (None, "") else None
    except ValueError:
        raise ValidationError(gettext("位置坐标格式不正确")) from None


def _intake_from_post(request, channel: str, **over) -> Case:
    p = request.POST
    cat = Category.objects.filter(code=p.get("category", ""), active=True).first()
    if cat is None and not over.get("allow_no_category"):
        raise ValidationError(gettext("请选择诉求分类"))
    region_code = p.get("region_code", "").strip()
    if region_code and not can_see_code(request.user, region_code):
        raise ValidationError(gettext("所选区域不在您的管辖范围内"))
    photo = request.FILES.get("photo")
    kept = _kept_photo_path(request)  # a photo chosen again replaces the waiting one
    if photo:
        checked = _check_photo(photo)
    elif kept and p.get("photo_kept") == "1" and default_storage.exists(kept):
        with default_storage.open(kept) as fh:
            checked = _check_photo(ContentFile(fh.read()))
    else:
        checked = None
    extra = {}
    if cat is not None:
        for fdef in cat.extra_fields or []:
            key = f"extra_{fdef['code']}"
            if fdef.get("datatype") == "multivaluelist":
                extra[fdef["code"]] = p.getlist(key)
            else:
                extra[fdef["code"]] = p.get(key, "")
    with transaction.atomic():
        case = services.intake(
            channel=channel,
            request_type=p.get("request_type") or over.get("request_type", "complaint"),
            category=cat,
            description=p.get("description", "") or over.get("description", ""),
            lon=_float(p.get("lon")),
            lat=_float(p.get("lat")),
            crs=p.get("crs", "wgs84"),
            address=p.get("address", ""),
            reporter_name=p.get("reporter_name", ""),
            reporter_phone=p.get("reporter_phone", ""),
            user=request.user,
            extra=extra,
            urgency=int(p.get("urgency") or over.get("urgency", Urgency.NORMAL)),
            region_code=region_code,
        )
        # which category suggestions were on screen, and whether this one was among them
        # (jiceng.dispatch; the acceptance figure of the command centre)
        record_suggestion(case, p.get("suggested", ""), p.get("suggestion_accepted"))
        if checked:
            att = _attach(case, checked, request.user)
            Case.objects.filter(pk=case.pk).update(
                media=[reverse("cases:attachment", args=[att.pk])]
            )
    if kept and default_storage.exists(kept):
        _drop_kept_photo(kept)
    return case


def _kept_photo_path(request) -> str | None:
    """Where a refused report's accepted photo waits for the second submit: keyed by the
    person and the form's own token, so no one else's form can pick it up."""
    token = (request.POST.get("token") or "").strip()
    if not token or len(token) > 64 or not all(c.isalnum() or c in "-_" for c in token):
        return None
    return f"pending-photos/{request.user.pk}/{token}"


def _drop_kept_photo(path: str) -> None:
    try:
        default_storage.delete(path)
    except OSError:
        pass


def _keep_refused_photo(request) -> str:
    """A report refused for another reason keeps its (valid) photo: stored until the form
    is sent again; returns the name to show ("已上传：name"), or "" when there is none."""
    path = _kept_photo_path(request)
    if path is None:
        return ""
    photo = request.FILES.get("photo")
    if photo is None:
        if request.POST.get("photo_kept") == "1" and default_storage.exists(path):
            return (request.POST.get("photo_name") or "")[:100] or "photo"
        _drop_kept_photo(path)  # unticked: the person removed it
        return ""
    try:
        photo.seek(0)
        data, _ctype, _w, _h = _check_photo(photo)
    except ValidationError:
        return ""  # the photo itself was refused: its own message says so
    _drop_kept_photo(path)
    default_storage.save(path, ContentFile(data))
    return (photo.name or "photo")[:100]


def _intake_ctx(request, **extra):
    cats = list(_categories())
    form = extra.get("form") or {}
    return {
        "token": form.get("token") or new_token(),
        "categories": cats,
        "request_types": RequestType.choices,
        "urgencies": Urgency.choices,
        "max_mb": MAX_PHOTO_MB,
        "extra_defs": {c.code: c.extra_fields for c in cats if c.extra_fields},
        **extra,
    }


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """A resident's or grid worker's report on the phone: map click or GPS, a photo."""
    require(request.user, "cases.report")
    channel = Channel.GRID if _u(request).role == Role.GRID_WORKER else Channel.APP
    if request.method == "POST":
        try:
            case = _once(request, lambda: _intake_from_post(request, channel))
        except ValidationError as exc:
            # A browser never refills a file input: an accepted photo is kept on the server
            # for the second submit, shown as "已上传：name" with a box to remove it.
            kept_photo = _keep_refused_photo(request)
            messages.error(request, "；".join(exc.messages))
            return render(
                request,
                "cases/report.html",
                _intake_ctx(request, form=request.POST, kept_photo=kept_photo),
            )
        messages.success(
            request, gettext("已提交，编号 %(number)s，请记好以便查询") % {"number": case.number}
        )
        return _land(request, case)  # the case page explains a landing over the grid edge
    return render(request, "cases/report.html", _intake_ctx(request, form={}))


@login_required
def hotline(request: HttpRequest) -> HttpResponse:
    """The 12345 operator's form: keyboard only, the caller's earlier cases as they type."""
    require(request.user, "cases.hotline")
    if request.method == "POST":
        try:
            case = _once(request, lambda: _intake_from_post(request, Channel.HOTLINE))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return render(
                request,
                "cases/hotline.html",
                _intake_ctx(request, form=request.POST, regions=_regions(request)),
            )
        messages.success(request, gettext("已受理立案，请将编号告知来电人"))
        return redirect(reverse("cases:hotline") + f"?last={case.number}")
    return render(
        request,
        "cases/hotline.html",
        _intake_ctx(request, form={}, regions=_regions(request), last=request.GET.get("last")),
    )


def _regions(request):
    from jiceng.territory.models import Level, Region

    code = scope_code(request.user)
    if code is None:
        return []
    return list(
        Region.objects.filter(code__under=code, level__in=[Level.STREET, Level.VILLAGE])
        .order_by("code")
        .values("code", "name")[:2000]
    )


ALARM_DEFAULT = "一键报警：现场紧急情况，请立即处置"


def alarm_description(text: str) -> str:
    """The alarm's text: whatever the person typed, however short ("有人落水"), prefixed so
    that it always passes intake's length rule — a form rule never blocks an alarm."""
    text = (text or "").strip()
    return f"一键报警：{text}" if text else ALARM_DEFAULT


@login_required
def alarm(request: HttpRequest) -> HttpResponse:
    """One-key alarm: highest urgency; the command room is notified at once.

    Nothing typed on the form can stop it: a short text is prefixed (alarm_description),
    a position intake refuses (outside the county, bad numbers) is dropped and the alarm
    goes out at the person's own area with the position written into the address."""
    require(request.user, "cases.alarm")
    if request.method == "POST":
        p = request.POST
        fields: dict[str, Any] = {
            "channel": Channel.ALARM,
            "request_type": RequestType.HELP,
            "category": None,
            "description": alarm_description(p.get("description", "")),
            "address": p.get("address", "")[:200],
            "user": request.user,
            "urgency": Urgency.CRITICAL,
        }
        try:
            where = {"lon": _float(p.get("lon")), "lat": _float(p.get("lat"))}
        except ValidationError:
            where = {}
        try:
            case = _once(request, lambda: services.intake(**fields, **where))
        except ValidationError:
            if p.get("lon") or p.get("lat"):
                fields["address"] = f"{fields['address']}（定位 {p.get('lat')},{p.get('lon')}）"[
                    :200
                ]
            case = _once(request, lambda: services.intake(**fields))
        messages.success(
            request, gettext("报警已发出，指挥中心已收到（%(number)s）") % {"number": case.number}
        )
        return _land(request, case)
    return render(request, "cases/alarm.html", {"token": new_token()})


@login_required
def lookup_phone(request: HttpRequest) -> JsonResponse:
    require(request.user, "cases.hotline")
    try:  # a full number only, logged and counted (jiceng.accounts.lookups)
        f = lookups.case_phone_filter(
            request.user, request.GET.get("phone", ""), channel="page", request=request
        )
    except (ValidationError, lookups.TooManyLookups) as exc:
        return JsonResponse({"cases": [], "error": getattr(exc, "message", str(exc))})
    rows = services.visible_cases(request.user).filter(f).order_by("-created_at")[:10]
    return JsonResponse(
        {
            "cases": [
                {
                    "number": c.number,
                    "title": c.title,
                    "status": status_label(c.status),
                    "at": f"{c.created_at.astimezone(deadlines.tz()):%Y-%m-%d}",
                    "name": privacy.list_name(c),
                    "url": reverse("cases:detail", args=[c.number]),
                }
                for c in rows
            ]
        }
    )


@login_required
def lookup_duplicates(request: HttpRequest) -> JsonResponse:
    require(request.user, "cases.view")
    cat = Category.objects.filter(code=request.GET.get("category", "")).first()
    try:
        lon, lat = _float(request.GET.get("lon")), _float(request.GET.get("lat"))
    except ValidationError:
        return JsonResponse({"cases": []})
    region = request.GET.get("region", "")
    found = services.possible_duplicates(
        category=cat, lon=lon, lat=lat, region_code=region if region.isdigit() else ""
    )
    visible = set(
        services.visible_cases(request.user)
        .filter(pk__in=[c.pk for c in found])
        .values_list("pk", flat=True)
    )
    return JsonResponse(
        {
            "cases": [
                {"number": c.number, "title": c.title, "status": status_label(c.status)}
                for c in found
                if c.pk in visible  # any role, a resident too: only what they may see
            ]
        }
    )


# ---------------------------------------------------------------- boards


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The street's dispatch board: what waits for the centre, column by column."""
    require(request.user, "cases.board")
    tier = services.ROLE_TIER.get(_u(request).role, Tier.DISTRICT)
    qs = _base(request).filter(tier__lte=tier)
    cols = []
    for st in DISPATCH_TODO:
        rows = qs.filter(status=st).order_by("deadline")
        cols.append(
            {"status": st, "label": status_label(st), "count": rows.count(), "cases": rows[:30]}
        )
    in_progress = qs.filter(status__in=IN_PROGRESS)
    by_unit = (
        in_progress.values("unit__name")
        .annotate(
            n=Count("id"),
            yellow=Count("id", filter=Q(card="yellow")),
            red=Count("id", filter=Q(card="red")),
        )
        .order_by("-n")[:20]
    )
    return render(
        request, "cases/board.html", {"cols": cols, "by_unit": by_unit, "now": timezone.now()}
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """A department's inbox: to accept, in hand, summoned by a whistle."""
    require(request.user, "cases.inbox")
    qs = _base(request)
    u = _u(request).unit_id
    ctx = {
        "to_accept": qs.filter(unit_id=u, status=S.DISPATCHED).order_by("deadline"),
        "in_hand": qs.filter(
            unit_id=u, status__in=[S.HANDLING, S.PAUSE_REQUESTED, S.PAUSED]
        ).order_by("deadline"),
        "helping": qs.filter(
            assignments__unit_id=u, assignments__active=True, assignments__role="helper"
        ).distinct(),
        "calls": WhistleCall.objects.filter(unit_id=u, reported_at=None)
        .select_related("whistle__case")
        .order_by("due_at"),
        "now": timezone.now(),
    }
    return render(request, "cases/inbox.html", ctx)


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    """The supervisor's list: red cards first, then yellow, by deadline."""
    require(request.user, "cases.overdue")
    # a paused case's clock is stopped: it is not overdue (the rule of statistics and the
    # worker, WATCHED_STATES)
    qs = _base(request).filter(status__in=WATCHED_STATES, card__in=[Card.RED, Card.YELLOW])
    rows = qs.order_by("-card", "deadline")[:300]
    return render(
        request,
        "cases/overdue.html",
        {
            "rows": rows,
            "red": qs.filter(card="red").count(),
            "yellow": qs.filter(card="yellow").count(),
            "now": timezone.now(),
        },
    )


# ---------------------------------------------------------------- public tracker


def _client_ip(request) -> str:
    return client_ip(request) or "-"


def _limited(request) -> bool:
    # counted in the database: one count shared by every server process
    key = f"cases-track:{_client_ip(request)}"
    return lookups.count_attempt(key, TRACK_LIMIT, timedelta(minutes=10))


def track(request: HttpRequest) -> HttpResponse:
    """A resident follows a case by number and phone, and rates it — no login needed."""
    number = (request.POST.get("number") or request.GET.get("number") or "").strip()
    phone = (request.POST.get("phone") or "").strip()
    ctx: dict = {"number": number, "satisfactions": Satisfaction.choices}
    if request.method == "POST":
        if _limited(request):
            ctx["error"] = "查询过于频繁，请 10 分钟后再试"
            return render(request, "cases/track.html", ctx, status=429)
        try:
            case = services.find_public(number, phone)
        except Http404 as exc:
            ctx["error"] = str(exc)
            return render(request, "cases/track.html", ctx, status=404)
        if request.POST.get("satisfaction"):
            try:
                case = services.rate_by_resident(
                    number,
                    phone,
                    satisfaction=request.POST["satisfaction"],
                    resolved={"1": True, "0": False}.get(request.POST.get("resolved", "")),
                    comment=request.POST.get("comment", ""),
                )
                ctx["thanks"] = True
            except services.MoveRefused as exc:
                ctx["error"] = exc.message
        ctx.update(
            case=case,
            phone=phone,
            status_label=status_label(case.status),
            events=services.public_events(case),
            move_labels={k: v.label for k, v in MOVES.items()},
            unit_name=services.handling_unit_name(case),
            can_rate=case.status in (S.CLOSED, S.ARCHIVED) and case.rated_at is None,
        )
    return render(request, "cases/track.html", ctx)


# ---------------------------------------------------------------- calendar


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    """Holidays and 调休 days: years known, years missing, and editing by an administrator."""
    if not can(request.user, "cases.calendar"):
        raise PermissionDenied(gettext("只有区县管理员可以维护工作日历"))
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add":
                d = date.fromisoformat(request.POST.get("date", ""))
                kind = request.POST.get("kind")
                if kind not in (CalendarDay.HOLIDAY, CalendarDay.WORKDAY):
                    raise ValueError
                CalendarDay.objects.update_or_create(
                    date=d, defaults={"kind": kind, "name": request.POST.get("name", "")[:50]}
                )
                messages.success(request, gettext("已保存 %(d)s") % {"d": d})
            elif action == "delete":
                CalendarDay.objects.filter(date=request.POST.get("date", "")).delete()
                messages.success(request, gettext("已删除"))
            elif action == "year":
                y = int(request.POST.get("year", ""))
                CalendarYear.objects.update_or_create(
                    year=y, defaults={"source": "管理员录入", "complete": True}
                )
                messages.success(request, gettext("%(y)s 年已标记为已录入") % {"y": y})
            elif action == "seed":
                from jiceng.cases.calendar_seed import seed

                added = seed(CalendarYear, CalendarDay)
                messages.success(
                    request,
                    gettext("已导入：%(years)s") % {"years": added or gettext("没有新的年份")},
                )
        except (ValueError, TypeError, ValidationError):
            messages.error(request, gettext("日期或类型无效"))
        deadlines.invalidate()
        return redirect(reverse("cases:calendar") + f"?year={request.POST.get('year_view', '')}")
    this_year = timezone.localdate().year
    known = {y.year: y for y in CalendarYear.objects.all()}
    years = [
        {"year": y, "known": y in known, "row": known.get(y)}
        for y in sorted(set(known) | {this_year, this_year + 1})
        if y >= this_year - 2
    ]
    try:
        view_year = int(request.GET.get("year") or this_year)
    except ValueError:
        view_year = this_year
    days = CalendarDay.objects.filter(date__year=view_year)
    missing_open = Case.objects.filter(calendar_missing=True, status__in=OPEN_STATES).count()
    return render(
        request,
        "cases/calendar.html",
        {
            "years": years,
            "days": days,
            "view_year": view_year,
            "missing_open": missing_open,
            "periods": deadlines.WORK_PERIODS,
            "yellow_share": deadlines.YELLOW_SHARE,
        },
    )


@login_required
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """Photos are served only to those who may see the case (not from a public folder)."""
    require(request.user, "cases.view")
    att = CaseAttachment.objects.select_related("case").filter(pk=pk).first()
    if att is None or not services.visible_cases(request.user).filter(pk=att.case_id).exists():
        raise Http404(gettext("附件不存在"))
    with att.file.open("rb") as fh:
        resp = HttpResponse(fh.read(), content_type=att.content_type)
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private, max-age=3600"
    return resp
