from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from jiceng.accounts.models import AccessLog, AccessSubject, ApiToken, Unit, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("基层治理", {"fields": ("full_name", "phone", "role", "scope", "unit")}),
    )
    list_display = ("username", "full_name", "role", "scope", "unit", "is_active")
    list_filter = ("role", "is_active")
    raw_id_fields = ("scope", "unit")
    search_fields = ("username", "full_name", "phone")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "region", "active")
    list_filter = ("kind", "active")
    raw_id_fields = ("region",)
    search_fields = ("code", "name")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "created_at", "revoked_at")
    readonly_fields = ("key_hash",)


class AccessSubjectInline(admin.TabularInline):
    """The people a view of several people listed (decision 0071); read-only like the log."""

    model = AccessSubject
    fields = ("subject_type", "subject_id", "subject_label")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ("at", "viewer", "subject_type", "subject_label", "fields", "reason", "channel")
    list_filter = ("subject_type", "channel")
    inlines = [AccessSubjectInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
