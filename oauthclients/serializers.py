from rest_framework import serializers

from oauthclients.grants import CLIENT_METADATA, DEFAULT_GRANT_TYPES, DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD
from oauthclients.models import Client


class SpaceSeparatedListField(serializers.ListField):
    """A list in JSON, stored by DOT as one space-separated string."""

    def to_representation(self, data):
        return super().to_representation(data.split() if isinstance(data, str) else data)


class ClientSerializer(serializers.ModelSerializer):
    """A client's RFC 7591 metadata. Rules live in ``oauthclients.validation``, applied by the
    services; this only checks JSON types. The secret is never a field: the create and rotate
    views add the raw one to their own response, once."""

    client_name = serializers.CharField(source="name", max_length=255, trim_whitespace=False)
    client_id_issued_at = serializers.SerializerMethodField()
    redirect_uris = SpaceSeparatedListField(child=serializers.CharField(trim_whitespace=False), default=list)
    # RFC 7591 §2: the defaults when a client leaves these out.
    grant_types = serializers.ListField(
        child=serializers.CharField(trim_whitespace=False), default=lambda: list(DEFAULT_GRANT_TYPES)
    )
    token_endpoint_auth_method = serializers.CharField(default=DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD)
    scope = serializers.CharField(allow_blank=True, default="", trim_whitespace=False)
    # RP-Initiated Logout 1.0 §3.1 and Back-Channel Logout 1.0 §2.2 registration metadata.
    post_logout_redirect_uris = SpaceSeparatedListField(
        child=serializers.CharField(trim_whitespace=False), default=list
    )
    backchannel_logout_uri = serializers.CharField(allow_blank=True, default="", trim_whitespace=False)
    backchannel_logout_session_required = serializers.BooleanField(default=False)
    # RFC 7591 §2: the client's public keys (private_key_jwt, signed request objects), by value or
    # by reference; only the JSON types are checked here, the rules are the services'.
    jwks = serializers.JSONField(required=False, allow_null=True, default=None)
    jwks_uri = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    request_uris = serializers.ListField(
        child=serializers.CharField(trim_whitespace=False), required=False, default=list
    )
    request_object_signing_alg = serializers.CharField(required=False, allow_blank=True, default="")
    userinfo_signed_response_alg = serializers.CharField(required=False, allow_blank=True, default="")
    logo_uri = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    policy_uri = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    tos_uri = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)

    class Meta:
        model = Client
        fields = ["client_id", "client_id_issued_at", *CLIENT_METADATA]
        read_only_fields = ["client_id"]

    def get_client_id_issued_at(self, client) -> int:
        # RFC 7591 §3.2.1: seconds since the epoch.
        return int(client.created.timestamp())

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # RFC 7591 §3.2.1 returns the metadata registered: a client without keys has neither member.
        for name in (
            "jwks",
            "jwks_uri",
            "request_uris",
            "request_object_signing_alg",
            "userinfo_signed_response_alg",
            "logo_uri",
            "policy_uri",
            "tos_uri",
        ):
            if data.get(name) in (None, "", []):
                data.pop(name, None)
        return data

    def service_fields(self) -> dict:
        """The validated data under the services' (RFC 7591) argument names."""
        data = dict(self.validated_data)
        if "name" in data:
            data["client_name"] = data.pop("name")
        return data
