"""Admin for the data a county edits: care-tag types ("X"), colour rules and services.
Personal data is not in the admin: it is read through the pages, which mask and log."""

from django.contrib import admin

from jiceng.people.models import CareTagType, ColourRule, ColourService


@admin.register(CareTagType)
class CareTagTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "group", "sensitive", "builtin", "active", "order")
    list_filter = ("group", "sensitive", "active")


@admin.register(ColourRule)
class ColourRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "colour", "priority", "active")
    list_filter = ("colour", "active")
    actions = ["recompute"]

    @admin.action(description="按现行规则重新计算全部户颜色")
    def recompute(self, request, queryset):
        from jiceng.people import services

        changed = services.recompute_all("rules", request.user)
        self.message_user(request, f"已重新计算，{changed} 户颜色发生变化")


@admin.register(ColourService)
class ColourServiceAdmin(admin.ModelAdmin):
    list_display = ("colour", "name", "service", "visit_every_days", "hotline")
