"""The filters of the service hall's lists with their choices, for the pages and the API
(jiceng/lib/filters.py, decision 0103)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from jiceng.lib.filters import Filter
from jiceng.servicehall.models import Status

STATUS = Filter("status", gettext_noop("状态"), lambda: Status.choices)
CARD = Filter(
    "card",
    gettext_noop("亮牌"),
    lambda: [("yellow", gettext_noop("黄牌")), ("red", gettext_noop("红牌"))],
)
# the figures page's grouping (the API's `by` is a Literal: a 422 there)
BY = Filter(
    "by",
    gettext_noop("分组"),
    lambda: [
        ("item", gettext_noop("按事项")),
        ("unit", gettext_noop("按实施部门")),
        ("window", gettext_noop("按受理窗口")),
    ],
)
