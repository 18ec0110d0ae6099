"""`{% load dispatch_tags %}{% dispatch_acceptance %}` — the suggestions' acceptance rate as a
small figure for the command centre (wall or big screen); nothing for a viewer without
`dispatch.hotwords`."""

from __future__ import annotations

from django import template
from django.core.exceptions import PermissionDenied
from django.http import Http404

register = template.Library()


@register.inclusion_tag("dispatch/_acceptance.html", takes_context=True)
def dispatch_acceptance(context, days: int = 7) -> dict:
    from jiceng.dispatch import acceptance as services

    user = context.get("user") or getattr(context.get("request"), "user", None)
    try:
        fig = services.acceptance(user, days=days)
    except (PermissionDenied, Http404, ValueError):
        fig = None
    return {"fig": fig}


@register.inclusion_tag("dispatch/_suggest_script.html", takes_context=True)
def dispatch_suggest_script(context, form_selector: str) -> dict:
    """The suggestions' script for an intake form, for a viewer who may ask for them
    (`dispatch.suggest`); nothing otherwise (a resident's form stays as it is)."""
    from jiceng.accounts import scope

    user = context.get("user") or getattr(context.get("request"), "user", None)
    ok = bool(user is not None and user.is_authenticated and scope.can(user, "dispatch.suggest"))
    return {"show": ok, "form": form_selector}
