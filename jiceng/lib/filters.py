"""List filters with a closed set of values, checked against their choices — for every list
page and list API outside the case queue (which has its own table, cases/filters.py, and the
same messages: docs/decisions/0100 and 0103).

A filter value outside its choices (a typo, an old link, a client built against another
version) used to reach the query as it was: an empty list that looked like a real result,
or — where the view compared it with a few known values — the whole list without a word.
Now it is named back with the valid choices: on a page a warning and the list without that
condition (`on_page`), on the API a 400 `invalid_filter` with one `details` entry per bad
parameter (`on_api` raises `InvalidFilter`; jiceng/api.py answers it). `answer_400` is the
declaration of that 400 for an operation's `openapi_extra`, `describe` a parameter's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext

SHOWN = 40  # characters of a bad value echoed back

Choices = Callable[[], Iterable[tuple[str, Any]]]


@dataclass(frozen=True)
class Filter:
    """One query parameter with a closed set of values.

    `label`: the parameter's name for people (gettext_noop: translated when the message is
    made); `choices()`: (value, label) pairs, labels untranslated or lazy; `multi`: a comma
    list of values."""

    param: str
    label: str
    choices: Choices
    multi: bool = False

    def bad_values(self, raw: str) -> list[str]:
        values = [v.strip() for v in raw.split(",")] if self.multi else [raw]
        valid = {str(v) for v, _ in self.choices()}
        return [v for v in values if v and v not in valid]

    def message(self, bad: list[str]) -> str:
        """The sentence naming the bad value(s) and the choices, in the active language
        (the message strings of the case queue's: no new translations)."""
        shown = gettext("、").join(f"“{v[:SHOWN]}”" for v in bad)
        choices = gettext("、").join(
            gettext("%(label)s（%(value)s）") % {"label": gettext(str(label)), "value": value}
            for value, label in self.choices()
        )
        return gettext("“%(name)s”没有%(values)s这个值；可选：%(choices)s") % {
            "name": gettext(self.label),
            "values": shown,
            "choices": choices,
        }


def check(params: Mapping[str, str | None], filters: Iterable[Filter]) -> dict[str, str]:
    """{param: message} for each filter whose value is not among its choices."""
    out = {}
    for f in filters:
        bad = f.bad_values(params.get(f.param) or "")
        if bad:
            out[f.param] = f.message(bad)
    return out


def on_page(
    request: HttpRequest, filters: Iterable[Filter], defaults: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The filters' values from the query string; a value outside its choices is named in
    a warning with the choices and replaced by its default ("": the condition dropped)."""
    fs = list(filters)
    defaults = defaults or {}
    values = {f.param: request.GET.get(f.param) or defaults.get(f.param, "") for f in fs}
    for param, problem in check(values, fs).items():
        messages.warning(
            request, gettext("%(problem)s。下面的列表未按此条件筛选。") % {"problem": problem}
        )
        values[param] = defaults.get(param, "")
    return values


class InvalidFilter(Exception):
    """A list API's filter value outside its choices: a 400 `invalid_filter` (jiceng/api.py),
    one `details` entry per parameter."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("；".join(problems.values()))
        self.problems = problems

    def details(self) -> list[dict[str, Any]]:
        return [
            {"loc": ["query", param], "msg": msg, "type": "invalid_choice"}
            for param, msg in self.problems.items()
        ]


def on_api(params: Mapping[str, str | None], filters: Iterable[Filter]) -> None:
    """Raise InvalidFilter when a filter's value is outside its choices."""
    problems = check(params, filters)
    if problems:
        raise InvalidFilter(problems)


def describe(f: Filter) -> str:
    """The choices of a filter for the OpenAPI document (values, untranslated labels)."""
    values = ", ".join(f"`{v}` ({label})" for v, label in f.choices())
    return ("a comma list of: " if f.multi else "one of: ") + values


def answer_400(*filters: Filter, also: str = "") -> dict[str, Any]:
    """The operation's 400 for `openapi_extra={"responses": ...}` (a string key: the API
    keeps an operation's own 400 only so), naming its checked filters."""
    names = ", ".join(f"`{f.param}`" for f in filters)
    return {
        "400": {
            "description": f"`invalid_filter`: a filter value outside its choices ({names}); "
            "error.message names the value and the choices, error.details has one entry "
            'per filter (loc ["query", name], type invalid_choice).' + (f" {also}" if also else ""),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }
    }
