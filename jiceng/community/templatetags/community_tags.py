"""`{% load community_tags %}{% community_origin case %}` on the case page: a link back to
the resident message (or dispute) the case came from. The case page is the cases app's;
this include is what it adds at merge (one line)."""

from __future__ import annotations

from typing import Any

from django import template

from jiceng.community import access
from jiceng.community.models import Dispute, Message

register = template.Library()


@register.inclusion_tag("community/_case_origin.html", takes_context=True)
def community_origin(context, case) -> dict[str, Any]:
    number = getattr(case, "number", "") or ""
    m = Message.objects.filter(case_number=number).first() if number else None
    disputes = list(Dispute.objects.filter(case_number=number)[:5]) if number else []
    user = getattr(context.get("request"), "user", None)
    # the link only for those the message page opens to (its author, the village's staff)
    open_message = m is not None and (
        m.author_id == getattr(user, "pk", None)
        or access.staff_covers(user, m.village_code, "community.reply")
    )
    open_disputes = {
        d.number
        for d in disputes
        if access.staff_covers(user, d.handling_code, "community.mediate")
        or access.staff_covers(user, d.village_code, "community.mediate")
    }
    return {
        "message": m,
        "open_message": open_message,
        "disputes": [(d, d.number in open_disputes) for d in disputes],
    }


@register.filter
def yuan(value) -> str:
    """12345.6 / "12345.60" → "12,345.60" (the grouping finance sheets use, whatever the
    locale's number format)."""
    from decimal import Decimal, InvalidOperation

    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return ""


FIELD_LABELS = {
    "name": "名称",
    "phone": "电话",
    "active": "在任",
    "category": "类别",
    "points": "分值",
    "source": "依据",
}


@register.simple_tag
def change_summary(change) -> str:
    """One line of a `ConfigChange`: 新设「…」, 名称：甲 → 乙, 停用「…」（原因）."""
    from django.utils.html import format_html
    from django.utils.translation import gettext as _

    before, after = change.before or {}, change.after or {}
    label = after.get("name") or before.get("name") or ""
    if change.action == "create":
        text = _("新设「%(name)s」") % {"name": label}
        if "points" in after:
            text += f"（{after['points']:+d}）"
    elif change.action == "retire" and not after:
        text = _("停用「%(name)s」") % {"name": label}
    else:
        parts = []
        for key, title in FIELD_LABELS.items():
            if key in before and key in after and before[key] != after[key]:
                a, b = before[key], after[key]
                if key == "active":
                    a, b = (_("在任") if a else _("停用")), (_("在任") if b else _("停用"))
                parts.append(f"{_(title)}：{a or '—'} → {b or '—'}")
        text = f"「{label}」" + "；".join(parts)
    if change.reason:
        text += _("（原因：%(reason)s）") % {"reason": change.reason}
    return format_html("{}", text)
