"""Paging parameters (`page`, `size`, `page_size`, `limit`, `offset`) that are not a page of
the list — named back, like a filter value outside its choices (decisions 0100, 0103, 0106).

A page number that is not a whole number (`?page=abc`), below 1 (`0`, `-1`), beyond the
last page a list can have (`99999999999999999999`) or past the end of this list (an old
link) used to give the first page without a word on the case queue. Now:

- on a page, `page_number()` answers the number to show and, for a bad one, a warning in
  the page's language naming the value (the first page is shown, as before);
- in the API the parameters are typed and bounded (jiceng/lib/bounds.py); a value outside
  its bounds is a 400 `invalid_page` naming the parameter, the value and the bound, one
  `details` entry per parameter (`loc [source, name]`, `type` not_an_integer / too_small /
  too_large) — `invalid_problems()` turns the framework's validation errors into that, and
  jiceng/api.py answers it and declares it on every operation that takes one of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext, gettext_noop

from jiceng.lib.filters import SHOWN

# the paging parameters of the list APIs and pages, with their names for people
PARAMS: dict[str, str] = {
    "page": gettext_noop("页码"),
    "size": gettext_noop("每页条数"),
    "page_size": gettext_noop("每页条数"),
    "limit": gettext_noop("每页条数"),
    "offset": gettext_noop("跳过的条数"),
}


def _shown(value: Any) -> str:
    return f"“{str(value)[:SHOWN]}”"


def not_an_integer(param: str, value: Any) -> str:
    return gettext("“%(name)s”须为整数，%(value)s不是") % {
        "name": gettext(PARAMS.get(param, param)),
        "value": _shown(value),
    }


def too_small(param: str, value: Any, low: int) -> str:
    return gettext("“%(name)s”最小为 %(low)s，%(value)s太小") % {
        "name": gettext(PARAMS.get(param, param)),
        "value": _shown(value),
        "low": f"{low:,}",
    }


def too_large(param: str, value: Any, high: int) -> str:
    return gettext("“%(name)s”最大为 %(high)s，%(value)s太大") % {
        "name": gettext(PARAMS.get(param, param)),
        "value": _shown(value),
        "high": f"{high:,}",
    }


def page_number(raw: str | None, highest: int) -> tuple[int, str]:
    """The page to show for `?page=raw` and, when raw is not a page number from 1 to
    `highest`, the sentence that says so ("": nothing to say). An empty value is page 1."""
    raw = (raw or "").strip()
    if not raw:
        return 1, ""
    if not (raw.isascii() and raw.lstrip("-").isdigit()):
        return 1, not_an_integer("page", raw)
    n = int(raw)
    if n < 1:
        return 1, too_small("page", raw, 1)
    if n > highest:
        return 1, too_large("page", raw, highest)
    return n, ""


def past_the_end(number: int) -> str:
    """A page number beyond the last page of this list (an old link)."""
    return gettext("列表没有第 %(number)s 页") % {"number": f"{number:,}"}


def on_page(problem: str) -> str:
    """The warning of a page that shows its first page instead."""
    return gettext("%(problem)s。下面显示第 1 页。") % {"problem": problem}


class InvalidPage(Exception):
    """A list API's paging parameter outside its bounds: a 400 `invalid_page`."""

    def __init__(self, details: list[dict[str, Any]]):
        super().__init__("；".join(d["msg"] for d in details))
        self.details = details


KINDS = {
    "int_parsing": "not_an_integer",
    "int_from_float": "not_an_integer",
    "int_type": "not_an_integer",
    "greater_than_equal": "too_small",
    "greater_than": "too_small",
    "less_than_equal": "too_large",
    "less_than": "too_large",
}


def is_paging(error: Mapping[str, Any]) -> bool:
    loc = list(error.get("loc") or ())
    return (
        len(loc) >= 2
        and loc[0] in ("query", "body")
        and loc[-1] in PARAMS
        and error.get("type") in KINDS
    )


def invalid_page(errors: Iterable[Mapping[str, Any]], given: Mapping[str, Any]) -> InvalidPage:
    """The 400 for validation errors that are all paging errors (`is_paging`); `given`: the
    values as sent (the query string, or the body), for the message."""
    details = []
    for e in errors:
        param = str(list(e["loc"])[-1])
        value = given.get(param, "")
        kind = KINDS[e["type"]]
        ctx = e.get("ctx") or {}
        if kind == "too_small":
            low = ctx.get("ge", ctx.get("gt", 0) + 1) if ctx else 0
            msg = too_small(param, value, int(low))
        elif kind == "too_large":
            high = ctx.get("le", ctx.get("lt", 1) - 1) if ctx else 0
            msg = too_large(param, value, int(high))
        else:
            msg = not_an_integer(param, value)
        details.append({"loc": [str(p) for p in e["loc"]], "msg": msg, "type": kind})
    return InvalidPage(details)


DECLARED = (
    "`invalid_page`: a paging parameter ({names}) that is not a whole number or is outside its "
    "bounds; error.message names the value and the bound, error.details has one entry per "
    "parameter (loc [source, name], type not_an_integer, too_small or too_large)."
)


# a bound on ?page= for Django-paginated pages, beyond any list they show
MAX_PAGE = 1_000_000


def checked_page(paginator: Any, raw: str | None) -> tuple[Any, str]:
    """Django's `Paginator` page for `?page=raw` and, for a number that is not a page of this
    list, the warning to show (`on_page(...)`; "" when raw is fine) — the page then is the
    first. Replaces `paginator.get_page(raw)`, which gives a nearby page without a word."""
    number, problem = page_number(raw, MAX_PAGE)
    if not problem and number > paginator.num_pages:
        number, problem = 1, past_the_end(number)
    return paginator.page(number), on_page(problem) if problem else ""


def page_for(request: Any, object_list: Any, per_page: int) -> Any:
    """A page of `object_list` for a list page's `?page=`: a bad number is named above the
    list (messages.warning, in the request's language) and the first page shown."""
    from django.contrib import messages
    from django.core.paginator import Paginator

    page, warning = checked_page(Paginator(object_list, per_page), request.GET.get("page"))
    if warning:
        messages.warning(request, warning)
    return page
