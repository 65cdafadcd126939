from django.contrib import admin

from activity.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Every account's security events, read-only (``pruneactivity`` removes old ones)."""

    list_display = ["created", "kind", "user", "ip", "details"]
    list_filter = ["kind", "created", ("user", admin.RelatedOnlyFieldListFilter)]
    date_hierarchy = "created"
    search_fields = ["user__username", "ip"]
    list_select_related = ["user"]
    fields = readonly_fields = ("created", "kind", "user", "ip", "user_agent", "details")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
