"""Seed CalendarYear/CalendarDay from the `chinesecalendar` package (years it knows)."""

from __future__ import annotations

from datetime import date, timedelta


def package_years() -> list[int]:
    from chinese_calendar import constants

    return sorted({d.year for d in constants.holidays})


def seed(CalendarYear, CalendarDay, years: list[int] | None = None) -> dict[int, int]:
    """Add each year's holidays and weekend working days; an existing year is left alone
    (an administrator may have corrected it). Returns {year: days added}."""
    import chinese_calendar as cc

    known = set(CalendarYear.objects.values_list("year", flat=True))
    added: dict[int, int] = {}
    for year in years or package_years():
        if year in known:
            continue
        rows = []
        d = date(year, 1, 1)
        while d.year == year:
            try:
                work = cc.is_workday(d)
            except NotImplementedError:
                break
            _, name = cc.get_holiday_detail(d)
            if d.weekday() < 5 and not work:
                rows.append(CalendarDay(date=d, kind="holiday", name=_zh(name)))
            elif d.weekday() >= 5 and work:
                rows.append(CalendarDay(date=d, kind="workday", name=_zh(name)))
            d += timedelta(days=1)
        else:
            CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)
            CalendarYear.objects.create(year=year, source="chinesecalendar")
            added[year] = len(rows)
    return added


_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _zh(name: str | None) -> str:
    return _NAMES.get(name or "", name or "")
