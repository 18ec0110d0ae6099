"""Resident messages: write (residents of the village), answer (village staff, once),
take into the case loop, the 回音墙 of answered messages, overdue replies for the town.

Rules: the reply deadline is the village's setting (default 5 working days, see
docs/decisions/0039-community-board-and-messages.md); a message whose deadline passed
without a reply or a case is overdue and listed for the town (街镇) that covers the
village; a message appears on the 回音墙 only if the resident agreed and it was answered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from jiceng.accounts import scope
from jiceng.community import access, facts
from jiceng.community.models import Message
from jiceng.lib.masks import mask_name

MAX_BODY = 2000


def write(
    user, village_code: str, body: str, public_consent: bool, now: datetime | None = None
) -> Message:
    """A resident of the village leaves a message; the deadline is fixed now.

    Raises PermissionDenied for anyone but a resident member of the village,
    ValidationError for an empty (or whitespace-only) or too long message.
    """
    access.village(village_code)
    access.require_resident_of(user, village_code)
    body = (body or "").strip()
    if not body:
        raise ValidationError(gettext("留言内容不能为空"))
    if len(body) > MAX_BODY:
        raise ValidationError(gettext("留言不能超过 %(max_body)s 字") % {"max_body": MAX_BODY})
    now = now or timezone.now()
    s = access.settings_for(village_code)
    due, missing = facts.reply_due(now, s.reply_days, s.reply_unit)
    return Message.objects.create(
        village_code=village_code,
        author=user,
        body=body,
        public_consent=bool(public_consent),
        created_at=now,
        due_at=due,
        due_rule=f"{s.reply_days} {s.reply_unit}",
        calendar_missing=missing,
    )


def staff_messages(user) -> QuerySet[Message]:
    """Messages of the villages in the user's scope (staff who answer or oversee)."""
    scope.require(user, "community.reply")
    qs = Message.objects.select_related("author")
    if user.is_superuser:
        return qs
    return qs.filter(scope.code_filter(user, "village_code"))


def overdue_q(now: datetime) -> Q:
    return Q(replied_at__isnull=True, case_number="", due_at__lt=now)


def answer(user, message: Message, reply: str, now: datetime | None = None) -> Message:
    """The village's answer, written once. Refused outside the user's villages (404)."""
    access.require_staff(user, message.village_code, "community.reply")
    reply = (reply or "").strip()
    if len(reply) < 2:
        raise ValidationError(gettext("请填写答复内容"))
    now = now or timezone.now()
    with transaction.atomic():
        m = Message.objects.select_for_update().get(pk=message.pk)
        if m.settled:
            raise ValidationError(gettext("该留言已答复或已转为诉求，不能再次答复"))
        m.reply = reply[:MAX_BODY]
        m.replied_by = user
        m.replied_at = now
        m.save(update_fields=["reply", "replied_by", "replied_at"])
    return m


def to_case(user, message: Message, request_type: str = "complaint") -> Message:
    """Hand the message to the case loop (intake, channel web); the number is kept here and
    the case carries `community-message:<id>` as its external reference."""
    access.require_staff(user, message.village_code, "community.reply")
    with transaction.atomic():
        m = Message.objects.select_for_update().get(pk=message.pk)
        if m.settled:
            raise ValidationError(gettext("该留言已答复或已转为诉求"))
        m.case_number = facts.message_to_case(m, user, request_type)
        m.converted_at = timezone.now()
        m.save(update_fields=["case_number", "converted_at"])
    return m


def echo_wall(village_code: str) -> QuerySet[Message]:
    """回音墙: answered messages whose author agreed to publication, newest answer first."""
    return Message.objects.filter(
        village_code=village_code, public_consent=True, replied_at__isnull=False
    ).order_by("-replied_at")


def message_dict(m: Message, public: bool = True, now: datetime | None = None) -> dict[str, Any]:
    """A message as the API and the wall show it; on the wall the author is masked."""
    now = now or timezone.now()
    name = m.author.display_name
    return {
        "id": m.id,
        "village_code": m.village_code,
        "author": mask_name(name) if public else name,
        "body": m.body,
        "created_at": m.created_at.isoformat(),
        "due_at": m.due_at.isoformat(),
        "overdue": not m.settled and m.due_at < now,
        "reply": m.reply,
        "replied_at": m.replied_at.isoformat() if m.replied_at else None,
        "case_number": m.case_number,
        "public_consent": m.public_consent,
    }
