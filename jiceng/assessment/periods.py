"""Assessment periods: week (Mon–Sun), month, quarter or any date range; the one before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_noop

KINDS = {
    "week": gettext_noop("周"),
    "month": gettext_noop("月"),
    "quarter": gettext_noop("季度"),
    "range": gettext_noop("自定义"),
}
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class Span:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        if self.kind == "week":
            return f"{self.start:%Y-%m-%d}至{self.end:%m-%d}（周）"
        return f"{self.start:%Y-%m-%d}至{self.end:%Y-%m-%d}"

    @property
    def display(self) -> str:
        """The label in the active language, for pages ("2026年11月" / "November 2026");
        `label` stays the Chinese one that is stored and goes into file names."""
        from django.utils import formats

        if self.kind == "month":
            return formats.date_format(self.start, "YEAR_MONTH_FORMAT")
        if self.kind == "quarter":
            q = (self.start.month - 1) // 3 + 1
            return gettext("%(year)s年第%(q)s季度") % {"year": self.start.year, "q": q}
        start, end = self.start.isoformat(), self.end.isoformat()
        if self.kind == "week":
            return gettext("%(start)s至%(end)s（周）") % {"start": start, "end": end[5:]}
        return gettext("%(start)s至%(end)s") % {"start": start, "end": end}

    def previous(self) -> Span:
        """The period just before: last week/month/quarter, or as many days before."""
        if self.kind == "month":
            return month_of(self.start - timedelta(days=1))
        if self.kind == "quarter":
            return quarter_of(self.start - timedelta(days=1))
        if self.kind == "week":
            return week_of(self.start - timedelta(days=7))
        end = self.start - timedelta(days=1)
        return Span("range", end - timedelta(days=self.days - 1), end)


def month_of(d: date) -> Span:
    start = d.replace(day=1)
    nxt = (start + timedelta(days=32)).replace(day=1)
    return Span("month", start, nxt - timedelta(days=1))


def quarter_of(d: date) -> Span:
    m = (d.month - 1) // 3 * 3 + 1
    start = date(d.year, m, 1)
    end_month = month_of(date(d.year, m + 2, 1))
    return Span("quarter", start, end_month.end)


def week_of(d: date) -> Span:
    start = d - timedelta(days=d.weekday())
    return Span("week", start, start + timedelta(days=6))


def parse(kind: str, start: str | date, end: str | date | None = None) -> Span:
    """A span from a kind and a date (any date inside the week/month/quarter), or a range.
    Raises ValidationError (Chinese) on bad input."""
    try:
        s = start if isinstance(start, date) else date.fromisoformat(str(start))
        e = None
        if end:
            e = end if isinstance(end, date) else date.fromisoformat(str(end))
    except ValueError as exc:
        raise ValidationError(gettext("日期格式应为 YYYY-MM-DD")) from exc
    if kind == "month":
        return month_of(s)
    if kind == "quarter":
        return quarter_of(s)
    if kind == "week":
        return week_of(s)
    if kind == "range":
        if e is None:
            raise ValidationError(gettext("自定义区间需要结束日期"))
        if e < s:
            raise ValidationError(gettext("结束日期不能早于开始日期"))
        if (e - s).days + 1 > MAX_RANGE_DAYS:
            raise ValidationError(gettext("自定义区间不能超过 366 天"))
        return Span("range", s, e)
    raise ValidationError(gettext("周期应为 week、month、quarter 或 range"))
