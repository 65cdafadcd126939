from rest_framework import serializers

from socialaccounts.models import SocialAccount


class SocialAccountSerializer(serializers.ModelSerializer):
    """A linked provider account as the API shows it: never a token."""

    profile = serializers.SerializerMethodField()
    provider_title = serializers.CharField(read_only=True)

    class Meta:
        model = SocialAccount
        fields = ["id", "provider", "provider_title", "uid", "profile", "created", "modified"]
        read_only_fields = fields

    def get_profile(self, account) -> dict:
        return account.extra_data.get("profile") or {}


class SocialAccountConnectSerializer(serializers.Serializer):
    provider = serializers.CharField(max_length=32)
    access_token = serializers.CharField(max_length=4096, trim_whitespace=True)
