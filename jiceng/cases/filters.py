"""The filters of the case lists — the queue page /cases/ and GET /api/v1/cases/ — checked
against their choices in one table.

A filter value outside its choices (a typo, an old link, a client built against another
version) used to reach the query as it was and answer an empty list ("共 0 件") that looked
like a real result. Now it is named back with the valid choices: on the page a message and
the list without that condition, on the API a 400 `invalid_filter` (docs/decisions/0100).
Free text (`q`, `phone`) and the paging parameters are not filters of this kind: `q` has no
closed set of values, and paging has its own checks (`cursor`, `limit`, `offset`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext, gettext_noop

from jiceng.cases.models import Card, Category, Channel
from jiceng.cases.workflow import Status
from jiceng.lib.filters import SHOWN, Filter, check, describe

__all__ = ["API_FILTERS", "API_STATUS", "PAGE_FILTERS", "Filter", "check", "describe", "tab_filter"]


@dataclass(frozen=True)
class PrefixFilter(Filter):
    """A filter whose value is the beginning of a code (the category tree): valid when some
    code starts with it; `choices()` lists the top of the tree only. The rest — checks,
    messages, the OpenAPI description — is the shared filter's (jiceng/lib/filters.py)."""

    def bad_values(self, raw: str) -> list[str]:
        return [raw] if raw and not _category_prefix_exists(raw) else []

    def message(self, bad: list[str]) -> str:
        shown = gettext("、").join(f"“{v[:SHOWN]}”" for v in bad)
        choices = gettext("、").join(
            gettext("%(label)s（%(value)s）") % {"label": gettext(label), "value": value}
            for value, label in self.choices()
        )
        return gettext("“%(name)s”没有以%(values)s开头的编号；一级分类有：%(choices)s") % {
            "name": gettext(self.label),
            "values": shown,
            "choices": choices,
        }


def _category_prefix_exists(value: str) -> bool:
    return Category.objects.filter(code__startswith=value).exists()


def _top_categories() -> list[tuple[str, str]]:
    return list(Category.objects.filter(depth=1).order_by("code").values_list("code", "name"))


STATUS = Filter("status", gettext_noop("状态"), lambda: list(Status.choices))
CARD = Filter(
    "card", gettext_noop("亮牌"), lambda: [(c.value, str(c.label)) for c in Card if c.value]
)
CHANNEL = Filter("channel", gettext_noop("渠道"), lambda: list(Channel.choices))
CATEGORY = PrefixFilter("category", gettext_noop("分类"), _top_categories)

# the queue page's filters (its tab is checked by the view: the tabs depend on the user)
PAGE_FILTERS = (STATUS, CARD, CHANNEL, CATEGORY)
# the list API's: the page's, status a comma list (the tab is the page's: the API has `open`)
API_STATUS = Filter("status", STATUS.label, STATUS.choices, multi=True)
API_FILTERS = (API_STATUS, CARD, CHANNEL, CATEGORY)


def tab_filter(tabs: Iterable[tuple[str, str]]) -> Filter:
    """The queue's tab as a filter: its choices are the tabs this user has."""
    listed = list(tabs)
    return Filter("tab", gettext_noop("标签页"), lambda: listed)
