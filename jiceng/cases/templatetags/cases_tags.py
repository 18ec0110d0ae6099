from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_noop, ngettext

from jiceng.cases.models import Tier
from jiceng.cases.workflow import status_label

register = template.Library()


@register.filter
def status_zh(status: str) -> str:
    return gettext(status_label(status))


@register.filter
def tier_zh(tier) -> str:
    try:
        return gettext(Tier(int(tier)).label)
    except (TypeError, ValueError):
        return ""


@register.simple_tag
def card_badge(case) -> str:
    if case.card == "red":
        return format_html('<span class="badge red">{}</span>', gettext("红牌"))
    if case.card == "yellow":
        return format_html('<span class="badge yellow">{}</span>', gettext("黄牌"))
    return ""


@register.simple_tag
def time_left(case) -> str:
    """'剩 3 小时' / '超期 2 天' for an open case's deadline."""
    if case.closed_at is not None:
        return ""
    if case.status == "paused":
        # The clock is stopped while a pause (缓办) runs: never "超期" (WATCHED_STATES).
        return gettext("缓办中，时限暂停")
    if case.deadline is None:
        return ""
    secs = (case.deadline - timezone.now()).total_seconds()
    late = secs < 0
    secs = abs(secs)
    # ngettext: English says "1 hour", not "1 hours" (Chinese has one form)
    if secs >= 86400:
        n = round(secs / 86400)
        txt = ngettext("%(n)s 天", "%(n)s 天", n) % {"n": n}
    elif secs >= 3600:
        n = round(secs / 3600)
        txt = ngettext("%(n)s 小时", "%(n)s 小时", n) % {"n": n}
    else:
        n = round(max(secs / 60, 1))
        txt = ngettext("%(n)s 分钟", "%(n)s 分钟", n) % {"n": n}
    return (gettext("超期 %(t)s") if late else gettext("剩 %(t)s")) % {"t": txt}


@register.filter
def get_item(d, key):
    return d.get(key) if hasattr(d, "get") else None


@register.filter
def sat_zh(value) -> str:
    from jiceng.cases.models import Satisfaction

    try:
        return gettext(Satisfaction(value).label)
    except ValueError:
        return value or ""


@register.filter
def place(code: str) -> str:
    """A region code as people say it: 城关镇 · 南街社区 · 第2网格 (from the town down),
    never the 21-digit code (issue 17 item 9). Unknown codes are shown as they are."""
    from jiceng.cases.views import place_name

    return place_name(code) or (code or "")


@register.filter
def extra_rows(case) -> list[tuple[str, str]]:
    """The category's extra fields as (label, value) with value names, not keys (item 9)."""
    from jiceng.cases.views import extra_rows as rows

    return rows(case)


WEEKDAYS_ZH = (
    gettext_noop("星期一"),
    gettext_noop("星期二"),
    gettext_noop("星期三"),
    gettext_noop("星期四"),
    gettext_noop("星期五"),
    gettext_noop("星期六"),
    gettext_noop("星期日"),
)


@register.filter
def weekday_zh(d) -> str:
    """星期一 … 星期日 for a date, in the chosen language — never the browser's, so a
    Chinese page never shows English weekdays (issue 17 item 9, decision 0052)."""
    try:
        return gettext(WEEKDAYS_ZH[d.weekday()])
    except AttributeError:
        return ""
