"""The filters of the register's lists with their choices, for the pages and the API
(jiceng/lib/filters.py, decision 0103)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from jiceng.lib.filters import Filter
from jiceng.people.models import Colour, Organisation

COLOUR = Filter("colour", gettext_noop("颜色"), lambda: Colour.choices)
ORGANISATION_KIND = Filter("kind", gettext_noop("类型"), lambda: Organisation.Kind.choices)
# the access log's channels (AccessLog.channel has no choices: page, api, export)
CHANNEL = Filter(
    "channel",
    gettext_noop("渠道"),
    lambda: [
        ("page", gettext_noop("页面")),
        ("api", gettext_noop("接口")),
        ("export", gettext_noop("导出")),
    ],
)
