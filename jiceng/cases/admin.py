from django.contrib import admin

from jiceng.cases import deadlines
from jiceng.cases.models import (
    CalendarDay,
    CalendarYear,
    Case,
    CaseEvent,
    Category,
    DispatchRule,
    Outbox,
    WorkerError,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "path", "handling_unit", "limit_amount", "limit_unit", "grid_can_fix"]
    search_fields = ["code", "name", "path"]
    list_filter = ["depth", "grid_can_fix", "active"]


@admin.register(DispatchRule)
class DispatchRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "region_prefix", "lead_unit", "active"]
    filter_horizontal = ["helper_units"]


class _CalendarAdmin(admin.ModelAdmin):
    """Editing the calendar changes deadlines at once (the cache is dropped)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        deadlines.invalidate()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        deadlines.invalidate()


@admin.register(CalendarYear)
class CalendarYearAdmin(_CalendarAdmin):
    list_display = ["year", "source", "complete", "note"]


@admin.register(CalendarDay)
class CalendarDayAdmin(_CalendarAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in CaseEvent._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through the workflow (services.transition)."""

    list_display = ["number", "title", "status", "tier", "unit", "deadline", "card"]
    list_filter = ["status", "channel", "card", "tier"]
    search_fields = ["number", "title", "reporter_phone"]
    inlines = [EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "to_phone", "state", "attempts", "last_error"]
    list_filter = ["state", "kind"]


admin.site.register(WorkerError)
