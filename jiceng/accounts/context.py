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
                items.append({"label": label, "url": url, "active": False})
        # Only the longest matching entry is active (/territory/map/ is not also /territory/).
        matches = [i for i in items if request.path.startswith(i["url"])]
        if matches:
            max(matches, key=lambda i: len(i["url"]))["active"] = True
    return {"nav_items": items}
