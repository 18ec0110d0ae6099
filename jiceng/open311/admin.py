from django.contrib import admin, messages

from jiceng.open311.models import ApiKey, Submission


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    fields = ("name", "note", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke_keys"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new key: generated here, shown once, only its hash stored.
        issued, key = ApiKey.issue(obj.name, created_by=request.user, note=obj.note)
        obj.pk = issued.pk
        obj.refresh_from_db()
        messages.warning(request, f"“{issued.name}”的密钥（只显示这一次，请立即复制）：{key}")

    @admin.action(description="吊销所选密钥")
    def revoke_keys(self, request, queryset):
        n = sum(1 for k in queryset if k.revoke())
        self.message_user(request, f"已吊销 {n} 个密钥。")

    def has_delete_permission(self, request, obj=None):
        # Keys are revoked, not deleted: the cases they brought in keep pointing at them.
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("token", "case", "api_key", "created_at")
    search_fields = ("token", "case__number")
    raw_id_fields = ("case", "api_key")
    readonly_fields = [f.name for f in Submission._meta.fields]

    def has_add_permission(self, request):
        return False
