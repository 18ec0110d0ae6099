"""`{% load community_tags %}{% community_origin case %}` on the case page: a link back to
the resident message (or dispute) the case came from. The case page is the cases app's;
this include is what it adds at merge (one line)."""

from __future__ import annotations

from typing import Any

from django import template

from jiceng.community.models import Message

register = template.Library()


@register.inclusion_tag("community/_case_origin.html", takes_context=True)
def community_origin(context, case) -> dict[str, Any]:
    number = getattr(case, "number", "") or ""
    m = Message.objects.filter(case_number=number).first() if number else None
    return {"message": m}
