"""Announcements (信息发布) and instructions (指令) with receipts.

Rules (each a test):
  - senders: community, street and district staff (`command.notice`); targets are region
    or grid codes inside the sender's territory (others: refused as not found) and,
    optionally, roles;
  - recipients are the active staff whose territory lies in a target (their scope code
    starts with a target code), minus the sender; an empty group is refused with a clear
    message and nothing is sent;
  - an instruction needs a deadline in the future; a recipient acknowledges it and
    reports completion (a report text is required); overdue = not completed by the
    deadline, counted per notice and listed;
  - opening a notice records the read receipt (once, the first time).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from jiceng.accounts.models import STAFF_ROLES, Role, User
from jiceng.accounts.scope import can, require, scope_code
from jiceng.command.models import Notice, NoticeRecipient

ROLE_LABELS = dict(Role.choices)


def _sender_prefix(user) -> str:
    require(user, "command.notice")
    if user.is_superuser:
        return ""
    code = scope_code(user)
    if code is None:
        raise PermissionDenied("您没有管辖区域，无法发布")
    return code


def recipients_for(prefix: str, codes: list[str], roles: list[str], sender) -> list[int]:
    """User ids of the active staff in any of `codes` (subtrees) with one of `roles`."""
    q = Q()
    for c in codes:
        q |= Q(scope__code__startswith=c)
    qs = User.objects.filter(q, is_active=True, role__in=sorted(roles or STAFF_ROLES))
    if prefix:
        qs = qs.filter(scope__code__startswith=prefix)
    return list(qs.exclude(pk=sender.pk).order_by("pk").values_list("pk", flat=True))


def send(
    sender,
    *,
    kind: str,
    title: str,
    body: str,
    region_codes: list[str],
    roles: list[str] | None = None,
    due_at: datetime | None = None,
    now: datetime | None = None,
) -> Notice:
    """Send a notice. ValidationError (Chinese) for bad input or an empty group; Http404
    for a target outside the sender's territory."""
    prefix = _sender_prefix(sender)
    now = now or timezone.now()
    errors = []
    if kind not in (Notice.ANNOUNCEMENT, Notice.INSTRUCTION):
        errors.append("请选择通知公告或工作指令")
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        errors.append("请填写标题")
    if not body:
        errors.append("请填写内容")
    codes = sorted({c.strip() for c in region_codes if c and c.strip()})
    if not codes:
        errors.append("请选择接收的区域或网格")
    roles = sorted(set(roles or []))
    bad_roles = [r for r in roles if r not in STAFF_ROLES]
    if bad_roles:
        errors.append(f"未知的角色：{'、'.join(bad_roles)}")
    if kind == Notice.INSTRUCTION:
        if due_at is None:
            errors.append("工作指令须设定办结期限")
        elif due_at <= now:
            errors.append("办结期限须晚于当前时间")
    if errors:
        raise ValidationError(errors)
    from jiceng.territory.models import Region

    known = set(Region.objects.filter(code__in=codes).values_list("code", flat=True))
    for c in codes:
        if c not in known or (prefix and not c.startswith(prefix)):
            raise Http404(f"区域 {c} 不存在或不在您的管辖范围内")
    ids = recipients_for(prefix, codes, roles, sender)
    if not ids:
        raise ValidationError("所选区域和角色中没有接收人，未发送（请调整区域或角色）")
    with transaction.atomic():
        n = Notice.objects.create(
            kind=kind,
            title=title[:120],
            body=body,
            author=sender,
            author_scope=prefix,
            region_codes=codes,
            roles=roles,
            due_at=due_at if kind == Notice.INSTRUCTION else None,
            created_at=now,
        )
        NoticeRecipient.objects.bulk_create([NoticeRecipient(notice=n, user_id=i) for i in ids])
    return n


def inbox(
    user, limit: int = 100, offset: int = 0, kind: str | None = None
) -> list[NoticeRecipient]:
    """The notices sent to this user (their own recipient rows only), newest first."""
    qs = NoticeRecipient.objects.filter(user=user)
    if kind:
        qs = qs.filter(notice__kind=kind)
    return list(
        qs.select_related("notice", "notice__author").order_by("-notice__created_at", "-notice_id")[
            offset : offset + limit
        ]
    )


def sent(
    user,
    now: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    overdue_only: bool = False,
) -> list[dict[str, Any]]:
    """The sender's notices with receipt counts: {notice, total, read, acked, done, overdue}."""
    if not can(user, "command.notice"):
        return []
    now = now or timezone.now()
    qs = Notice.objects.filter(author=user)
    if overdue_only:
        # a subquery: a filter on the recipients here would narrow the counts below
        late = NoticeRecipient.objects.filter(
            notice__author=user,
            notice__kind=Notice.INSTRUCTION,
            notice__due_at__lt=now,
            done_at__isnull=True,
        ).values("notice_id")
        qs = qs.filter(pk__in=late)
    rows = qs.annotate(
        total=Count("recipients"),
        read=Count("recipients", filter=Q(recipients__read_at__isnull=False)),
        acked=Count("recipients", filter=Q(recipients__acked_at__isnull=False)),
        done=Count("recipients", filter=Q(recipients__done_at__isnull=False)),
        overdue=Count(
            "recipients",
            filter=Q(due_at__lt=now, recipients__done_at__isnull=True),
        ),
    ).order_by("-created_at", "-pk")[offset : offset + limit]
    return [
        {
            "notice": n,
            "total": n.total,  # type: ignore[attr-defined]
            "read": n.read,  # type: ignore[attr-defined]
            "acked": n.acked,  # type: ignore[attr-defined]
            "done": n.done,  # type: ignore[attr-defined]
            "overdue": n.overdue,  # type: ignore[attr-defined]
        }
        for n in rows
    ]


def open_notice(
    user, pk: int, now: datetime | None = None
) -> tuple[Notice, NoticeRecipient | None]:
    """A notice for its author (or a superuser) or a recipient; the recipient's first
    opening is the read receipt. Http404 for anyone else."""
    now = now or timezone.now()
    n = Notice.objects.select_related("author").filter(pk=pk).first()
    if n is None:
        raise Http404("该通知不存在")
    r = NoticeRecipient.objects.filter(notice=n, user=user).first()
    if r is None and n.author_id != user.pk and not user.is_superuser:
        raise Http404("该通知不存在")
    if r is not None and r.read_at is None:
        NoticeRecipient.objects.filter(pk=r.pk, read_at__isnull=True).update(read_at=now)
        r.read_at = now
    return n, r


def acknowledge(user, pk: int, now: datetime | None = None) -> NoticeRecipient:
    now = now or timezone.now()
    n, r = open_notice(user, pk, now)
    if r is None or n.kind != Notice.INSTRUCTION:
        raise ValidationError("只有指令的接收人可以签收")
    if r.acked_at is None:
        NoticeRecipient.objects.filter(pk=r.pk, acked_at__isnull=True).update(acked_at=now)
        r.acked_at = now
    return r


def complete(user, pk: int, report: str, now: datetime | None = None) -> NoticeRecipient:
    """Report completion of an instruction (acknowledges it too). A second report is
    refused: the first one stands (history is not overwritten)."""
    now = now or timezone.now()
    report = (report or "").strip()
    n, r = open_notice(user, pk, now)
    if r is None or n.kind != Notice.INSTRUCTION:
        raise ValidationError("只有指令的接收人可以报告办结")
    if not report:
        raise ValidationError("请填写办结情况")
    if r.done_at is not None:
        raise ValidationError("已报告办结，不能重复报告")
    with transaction.atomic():
        NoticeRecipient.objects.filter(pk=r.pk, done_at__isnull=True).update(
            done_at=now, report=report[:2000], acked_at=r.acked_at or now
        )
    r.refresh_from_db()
    return r


def receipts(n: Notice, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or timezone.now()
    out = []
    for r in n.recipients.select_related("user", "user__scope").order_by("user__username"):
        out.append(
            {
                "name": r.user.display_name,
                "role": str(ROLE_LABELS.get(r.user.role, r.user.role)),
                "where": r.user.scope.name if r.user.scope_id and r.user.scope else "",
                "read_at": r.read_at,
                "acked_at": r.acked_at,
                "done_at": r.done_at,
                "report": r.report,
                "overdue": bool(n.due_at and n.due_at < now and r.done_at is None),
            }
        )
    return out


def overdue_instructions(
    user, now: datetime | None = None, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    """Instructions the user sent whose deadline passed with recipients not done."""
    return sent(user, now, limit=limit, offset=offset, overdue_only=True)
