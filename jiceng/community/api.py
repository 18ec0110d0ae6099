"""JSON API of community self-governance (/api/v1/community/…): the same functions and
rules as the pages (`access`, `board`, `inbox`, `mediation`). Errors are
{"error": {"code", "message"}} with a Chinese message (jiceng/api.py handlers)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Status as HttpStatus

from jiceng.api import SessionAuth, TokenAuth
from jiceng.community import access, board, inbox
from jiceng.community.models import Message, Publication


class _Anonymous:
    """Last in the list: lets a request through without credentials; the endpoint then
    decides (a village's board may be public)."""

    def __call__(self, request):
        return True


OPEN = [TokenAuth(), SessionAuth(), _Anonymous()]
router = Router(tags=["community"])


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class MessageIn(Schema):
    body: str
    public_consent: bool = False


class ReplyIn(Schema):
    reply: str


@router.get("/villages/{code}/board", auth=OPEN, response={200: list[dict], **ERRORS})
def village_board(request, code: str, kind: str = ""):
    """A village's publications (current versions), newest first. Open without credentials
    when the village chose a public board; otherwise to its residents and staff."""
    access.village(code)
    access.require_board(request.user, code)
    return [board.publication_dict(p) for p in board.board(code, kind)[:100]]


@router.get("/publications/{pk}", auth=OPEN, response={200: dict, **ERRORS})
def publication(request, pk: int):
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


@router.get("/messages", response={200: list[dict], **ERRORS})
def list_messages(request, state: str = "open"):
    """Staff: messages of the villages in scope; state open | overdue | all."""
    qs = inbox.staff_messages(request.user)
    now = timezone.now()
    if state == "open":
        qs = qs.filter(replied_at__isnull=True, case_number="")
    elif state == "overdue":
        qs = qs.filter(inbox.overdue_q(now))
    return [inbox.message_dict(m, False, now) for m in qs.order_by("due_at")[:200]]


@router.post("/messages/{pk}/reply", response={200: dict, **ERRORS})
def reply(request, pk: int, payload: ReplyIn):
    """The village's answer (once)."""
    m = get_object_or_404(Message, pk=pk)
    return inbox.message_dict(inbox.answer(request.user, m, payload.reply), public=False)
