from __future__ import annotations

from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, gettext_noop

from jiceng.accounts.scope import can
from jiceng.lib.jsi18n import js_catalogue

# The labels of jiceng/cases' nav_items are plain strings (that app is being restructured by
# another engineer); marking them here puts them in the catalogue, and `gettext` below
# translates any label that is still a plain string. Move these marks into cases/apps.py later.
_CASES_NAV_LABELS = [
    gettext_noop("诉求办理"),
    gettext_noop("我要反映"),
    gettext_noop("热线受理"),
    gettext_noop("调度台"),
    gettext_noop("部门收件箱"),
    gettext_noop("超期督办"),
    gettext_noop("工作日历"),
    gettext_noop("一键报警"),
    gettext_noop("派单规则"),
    gettext_noop("通知发送"),
    gettext_noop("分类建议"),
    gettext_noop("高频词"),
    gettext_noop("智能派单"),  # dispatch's verbose_name: the group of its two entries
    gettext_noop("我的诉求"),
]

# A user with more entries than this gets them grouped by app (a district or street
# manager has ~30); fewer stay one row of plain links (grid worker, resident, department).
FLAT_NAV_MAX = 7

# The resident's list of cases is "my cases", not the staff's "case handling".
RESIDENT_LABELS = {"cases:queue": "我的诉求"}


def navigation(request):
    """Navigation entries from every app's `nav_items` (label, url name, action), and the
    same entries grouped by app (`nav_groups`: label, items, active) for the top bar when
    there are more than FLAT_NAV_MAX of them (decision 0070)."""
    user = getattr(request, "user", None)
    items: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    if user is not None and user.is_authenticated:
        resident = getattr(user, "role", "") == "resident"
        for config in apps.get_app_configs():
            group: list[dict[str, Any]] = []
            for label, url_name, action in getattr(config, "nav_items", ()):
                if action and not can(user, action):
                    continue
                try:
                    url = reverse(url_name)
                except NoReverseMatch:
                    continue
                if resident:
                    label = RESIDENT_LABELS.get(url_name, label)
                group.append({"label": gettext(str(label)), "url": url, "active": False})
            if group:
                items += group
                groups.append({"label": gettext(str(config.verbose_name)), "items": group})
        # Only the longest matching entry is active (/territory/map/ is not also /territory/).
        matches = [i for i in items if request.path.startswith(i["url"])]
        if matches:
            max(matches, key=lambda i: len(i["url"]))["active"] = True
        for g in groups:
            g["active"] = any(i["active"] for i in g["items"])
    return {
        "nav_items": items,
        "nav_groups": groups if len(items) > FLAT_NAV_MAX else [],
        "js_catalogue": js_catalogue(),
    }
