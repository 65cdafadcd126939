from django.contrib import admin

from socialaccounts.models import SocialAccount


@admin.register(SocialAccount)
class SocialAccountAdmin(admin.ModelAdmin):
    """Linked accounts; the encrypted provider data (tokens) is never displayed or editable."""

    list_display = ["user", "provider", "uid", "created", "modified"]
    list_filter = ["provider"]
    search_fields = ["user__username", "uid"]
    fields = readonly_fields = ("user", "provider", "uid", "created", "modified")

    def has_add_permission(self, request):
        # Links are made by signing in with the provider, which proves the account is the user's.
        return False
