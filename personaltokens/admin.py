from django.contrib import admin

from personaltokens import services
from personaltokens.models import PersonalAccessToken


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    """Administrators see and revoke tokens (delete); the token itself is stored nowhere to show."""

    list_display = ["name", "user", "hint", "scope", "created", "expires", "last_used"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["user", "name", "hint", "scope", "created", "expires", "last_used"]
    exclude = ["digest"]

    def has_add_permission(self, request):
        return False  # a token is its owner's to create: only they may ever see it

    def delete_model(self, request, obj):
        services.token_revoke(token=obj)  # with the tokens issued with it

    def delete_queryset(self, request, queryset):
        for token in queryset:
            services.token_revoke(token=token)
