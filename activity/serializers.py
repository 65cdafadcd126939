from rest_framework import serializers

from activity.models import Event


class EventSerializer(serializers.ModelSerializer):
    """One event of the caller's activity: what, when, from where, with its (secret-free) details."""

    description = serializers.CharField(source="get_kind_display", read_only=True)
    address = serializers.IPAddressField(source="ip", read_only=True, allow_null=True)
    time = serializers.DateTimeField(source="created", read_only=True)

    class Meta:
        model = Event
        fields = ["id", "kind", "description", "time", "address", "user_agent", "details"]
        read_only_fields = fields
