from rest_framework import serializers

from personaltokens import conf
from personaltokens.models import PREFIX, PersonalAccessToken


class PersonalAccessTokenSerializer(serializers.ModelSerializer):
    """A token as listed: never the token itself, which only the creating response carries."""

    scopes = serializers.ListField(child=serializers.CharField(), read_only=True)
    hint = serializers.SerializerMethodField(help_text="The token's first characters, to recognise it.")

    class Meta:
        model = PersonalAccessToken
        fields = ["id", "name", "hint", "scopes", "created", "expires", "last_used"]
        read_only_fields = fields

    def get_hint(self, token) -> str:
        return f"{PREFIX}{token.hint}…"


class PersonalAccessTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(child=serializers.CharField(max_length=64), max_length=32)
    lifetime_days = serializers.IntegerField(
        required=False, help_text="How long the token lives, in days (the page lists the choices)."
    )

    def validate_lifetime_days(self, value):
        return value if value is not None else conf.get("LIFETIME_DAYS")[0]


class PersonalAccessTokenCreatedSerializer(PersonalAccessTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown this once: store it now.")

    class Meta(PersonalAccessTokenSerializer.Meta):
        fields = [*PersonalAccessTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields
