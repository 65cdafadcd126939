from django.contrib import admin

from lockers.models import Beer


@admin.register(Beer)
class BeerAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "quantity", "owner", "created"]
    list_filter = ["type"]
    list_select_related = ["owner"]
    search_fields = ["name", "type", "owner__username"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created", "updated"]
