from __future__ import annotations

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from jiceng.accounts.scope import can


def navigation(request):
    """Navigation entries from every app's `nav_items` (label, url name, action)."""
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        for config in apps.get_app_configs():
            for label, url_name, action in getattr(config, "nav_items", ()):
                if action and not can(user, action):
                    continue
                try:
                    url = reverse(url_name)
                except NoReverseMatch:
                    continue
                items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return {"nav_items": items}
