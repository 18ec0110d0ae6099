"""JSON API of community self-governance (/api/v1/community/…): the same functions and
rules as the pages (`access`, `board`, `inbox`, `mediation`). Errors are
{"error": {"code", "message"}} with a Chinese message (jiceng/api.py handlers)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Query, Router, Schema
from ninja.responses import Status as HttpStatus

from jiceng.api import SessionAuth, TokenAuth
from jiceng.community import access, board, deliberation, filters, inbox, mediation, points
from jiceng.community.models import Message, Publication, Topic
from jiceng.lib import filters as checked
from jiceng.lib.bounds import RowId
from jiceng.lib.errors import ErrorOut


class _Anonymous:
    """Last in the list: lets a request through without credentials; the endpoint then
    decides (a village's board may be public)."""

    def __call__(self, request):
        return True


OPEN = [TokenAuth(), SessionAuth(), _Anonymous()]
router = Router(tags=["community"])


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class MessageIn(Schema):
    body: str
    public_consent: bool = False


class ReplyIn(Schema):
    reply: str


@router.get(
    "/villages/{code}/board",
    auth=OPEN,
    response={200: list[dict], **ERRORS},
    openapi_extra={"responses": checked.answer_400(filters.BOARD_KIND)},
)
def village_board(
    request, code: str, kind: str = Query("", description=checked.describe(filters.BOARD_KIND))
):
    """A village's publications (current versions), newest first. Open without credentials
    when the village chose a public board; otherwise to its residents and staff. A `kind`
    outside its choices is a 400 (invalid_filter)."""
    access.village(code)
    access.require_board(request.user, code)
    checked.on_api({"kind": kind}, [filters.BOARD_KIND])
    return [board.publication_dict(p) for p in board.board(code, kind)[:100]]


@router.get("/publications/{pk}", auth=OPEN, response={200: dict, **ERRORS})
def publication(request, pk: RowId):
    """One publication with its finance tables and every version (number, reason, date)."""
    pub = get_object_or_404(Publication.objects.select_related("current"), pk=pk)
    access.require_board(request.user, pub.village_code)
    return board.publication_dict(pub, with_versions=True)


@router.get("/villages/{code}/echo", auth=OPEN, response={200: list[dict], **ERRORS})
def echo(request, code: str):
    """回音墙: answered messages whose authors agreed, authors masked."""
    access.village(code)
    access.require_board(request.user, code)
    now = timezone.now()
    return [
        inbox.message_dict(m, True, now)
        for m in inbox.echo_wall(code).select_related("author")[:100]
    ]


@router.post("/villages/{code}/messages", response={201: dict, **ERRORS})
def write_message(request, code: str, payload: MessageIn):
    """A resident of the village leaves a message; the answer is due by `due_at`."""
    m = inbox.write(request.user, code, payload.body, payload.public_consent)
    return HttpStatus(201, inbox.message_dict(m, public=False))


@router.get(
    "/messages",
    response={200: list[dict], **ERRORS},
    openapi_extra={"responses": checked.answer_400(filters.MESSAGE_STATE)},
)
def list_messages(
    request, state: str = Query("open", description=checked.describe(filters.MESSAGE_STATE))
):
    """Staff: messages of the villages in scope; state open | overdue | all (another state
    is a 400, invalid_filter)."""
    qs = inbox.staff_messages(request.user)  # refused first: 403 before 400
    checked.on_api({"state": state}, [filters.MESSAGE_STATE])
    now = timezone.now()
    if state == "open":
        qs = qs.filter(replied_at__isnull=True, case_number="")
    elif state == "overdue":
        qs = qs.filter(inbox.overdue_q(now))
    return [inbox.message_dict(m, False, now) for m in qs.order_by("due_at")[:200]]


@router.post("/messages/{pk}/reply", response={200: dict, **ERRORS})
def reply(request, pk: RowId, payload: ReplyIn):
    """The village's answer (once)."""
    m = get_object_or_404(Message, pk=pk)
    return inbox.message_dict(inbox.answer(request.user, m, payload.reply), public=False)


# ---------------------------------------------------------------- mediation


class PartySchema(Schema):
    role: str
    name: str
    phone: str = ""
    id_number: str = ""
    address: str = ""


class DisputeIn(Schema):
    village_code: str
    kind: str
    place: str
    summary: str
    amount: str | None = None
    case_number: str = ""
    parties: list[PartySchema]


class ReasonIn(Schema):
    reason: str


@router.get(
    "/disputes",
    response={200: list[dict], **ERRORS},
    openapi_extra={"responses": checked.answer_400(filters.DISPUTE_STATUS, filters.DISPUTE_LEVEL)},
)
def list_disputes(
    request,
    status: str = Query("", description=checked.describe(filters.DISPUTE_STATUS)),
    level: str = Query("", description=checked.describe(filters.DISPUTE_LEVEL)),
):
    """Disputes arising in the caller's territory; parties masked. A `status` or `level`
    outside its choices is a 400 (invalid_filter)."""
    qs = mediation.visible(request.user).prefetch_related("parties")  # 403 before 400
    checked.on_api(
        {"status": status, "level": level}, [filters.DISPUTE_STATUS, filters.DISPUTE_LEVEL]
    )
    if status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    return [mediation.dispute_dict(d) for d in qs.order_by("-created_at")[:200]]


@router.post("/disputes", response={201: dict, **ERRORS})
def register_dispute(request, payload: DisputeIn):
    """Register a dispute at its village's committee."""
    d = mediation.register(
        request.user,
        payload.village_code,
        kind=payload.kind,
        place=payload.place,
        summary=payload.summary,
        amount=payload.amount,
        case_number=payload.case_number,
        parties=[mediation.PartyIn(**p.dict()) for p in payload.parties],
    )
    return HttpStatus(201, mediation.dispute_dict(d))


@router.get("/disputes/{number}", response={200: dict, **ERRORS})
def get_dispute(request, number: str):
    return mediation.dispute_dict(mediation.get(request.user, number))


@router.post("/disputes/{number}/reveal", response={200: dict, **ERRORS})
def reveal_dispute(request, number: str, payload: ReasonIn):
    """The parties in full after a reason; each party seen is logged."""
    d = mediation.get(request.user, number)
    full = mediation.reveal(
        request.user, d, payload.reason, channel="api", ip=request.META.get("REMOTE_ADDR")
    )
    return mediation.dispute_dict(d, parties=full)


@router.post("/disputes/{number}/escalate", response={200: dict, **ERRORS})
def escalate_dispute(request, number: str, payload: ReasonIn):
    """Village → town → county with the reason."""
    d = mediation.escalate(request.user, mediation.get(request.user, number), payload.reason)
    return mediation.dispute_dict(d)


@router.get("/mediation/rates", response={200: dict, **ERRORS})
def mediation_rates(request):
    """Success rates of the caller's territory: per level, village (code) and mediator (id),
    and the 红黑榜 (village codes)."""
    prefix = mediation.stats_prefix(request.user)
    r = mediation.rates(prefix)
    red, black = mediation.honour_board(r["villages"])
    return {
        **r,
        "mediators": {str(k): v for k, v in r["mediators"].items()},
        "red": red,
        "black": black,
    }


# ---------------------------------------------------------------- deliberation, points


class VoteIn(Schema):
    choice: str


@router.get("/villages/{code}/topics", auth=OPEN, response={200: list[dict], **ERRORS})
def village_topics(request, code: str):
    """The village's topics with their vote count and decision."""
    access.village(code)
    access.require_board(request.user, code)
    out = []
    for t in deliberation.topics(code)[:100]:
        d = getattr(t, "decision", None) if t.status in ("adopted", "rejected") else None
        out.append(
            {
                "id": t.id,
                "title": t.title,
                "status": t.status,
                "tally": deliberation.tally(t),
                "decision": d.text if d else None,
            }
        )
    return out


@router.post("/topics/{pk}/vote", response={201: dict, **ERRORS})
def vote_topic(request, pk: RowId, payload: VoteIn):
    """A household representative's vote (once)."""
    t = get_object_or_404(Topic, pk=pk)
    deliberation.vote(request.user, t, payload.choice)
    return HttpStatus(201, {"topic": t.id, "tally": deliberation.tally(t)})


@router.get("/villages/{code}/points", auth=OPEN, response={200: dict, **ERRORS})
def village_points(request, code: str, month: str = ""):
    """Monthly 红黑榜 of household points (YYYY-MM, default this month)."""
    from datetime import date

    access.village(code)
    access.require_board(request.user, code)
    try:
        y, m = (
            month.split("-")
            if month
            else (str(timezone.localdate().year), str(timezone.localdate().month))
        )
        first = date(int(y), int(m), 1)
    except ValueError:
        from django.core.exceptions import ValidationError

        raise ValidationError(gettext("月份格式应为 2026-11")) from None
    red, black = points.boards(code, first)
    return {"month": first.isoformat()[:7], "red": red, "black": black}
