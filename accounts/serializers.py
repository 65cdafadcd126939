from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.sessions import describe_user_agent, session_amr

User = get_user_model()


class UserSerializer(serializers.ModelSerializer):
    password = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Your current password: needed to change the e-mail address unless you signed in "
        "within minutes.",
    )

    class Meta:
        model = User
        fields = ["id", "username", "email", "password"]
        read_only_fields = ["id", "username"]


class SignUpSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"}, trim_whitespace=False)

    class Meta:
        model = User
        fields = ["id", "username", "email", "password"]
        read_only_fields = ["id"]


class UserSessionSerializer(serializers.Serializer):
    """A browser session as its user sees it: never the session key, only its public id."""

    id = serializers.CharField(source="public_id", read_only=True)
    browser = serializers.SerializerMethodField()
    os = serializers.SerializerMethodField()
    address = serializers.IPAddressField(source="ip", read_only=True, allow_null=True)
    started = serializers.DateTimeField(read_only=True)
    last_active = serializers.DateTimeField(read_only=True)
    current = serializers.SerializerMethodField(help_text="Whether this is the session making the request.")
    signed_in_with = serializers.SerializerMethodField(
        help_text="How the session signed in: RFC 8176 methods (pwd, otp, mfa...); empty when unknown."
    )

    def get_browser(self, session) -> str:
        return describe_user_agent(session.user_agent).browser

    def get_os(self, session) -> str:
        return describe_user_agent(session.user_agent).os

    def get_signed_in_with(self, session) -> list[str]:
        return session_amr(session)

    def get_current(self, session) -> bool:
        request = self.context.get("request")
        return request is not None and session.session_key == request.session.session_key


class AuthenticatorSerializer(serializers.Serializer):
    """One of the caller's second factors (never a secret: no key, no code)."""

    id = serializers.CharField(read_only=True, help_text="Stable id, e.g. otp_totp.totpdevice-3.")
    type = serializers.CharField(source="kind", read_only=True, help_text="totp, recovery_codes or passkey.")
    name = serializers.CharField(read_only=True)
    added = serializers.DateTimeField(read_only=True, allow_null=True)
    last_used = serializers.DateTimeField(read_only=True, allow_null=True)
