"""`jiceng seed-calendar`: add the years `chinesecalendar` knows and the table lacks."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "从 chinesecalendar 导入节假日与调休（已录入的年份不覆盖）"

    def handle(self, *args, **opts):
        from jiceng.cases import deadlines
        from jiceng.cases.calendar_seed import package_years, seed
        from jiceng.cases.models import CalendarDay, CalendarYear

        added = seed(CalendarYear, CalendarDay)
        deadlines.invalidate()
        known = sorted(CalendarYear.objects.values_list("year", flat=True))
        self.stdout.write(
            f"新增年份：{added or '无'}；已录入：{known[0] if known else '—'}–{known[-1] if known else '—'}"
        )
        last = max(package_years())
        self.stdout.write(
            f"注意：{last + 1} 年起的节假日须由管理员录入（工作日历页面或管理后台）。"
        )
