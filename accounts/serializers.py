from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.sessions import describe_user_agent

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

    def get_browser(self, session) -> str:
        return describe_user_agent(session.user_agent).browser

    def get_os(self, session) -> str:
        return describe_user_agent(session.user_agent).os

    def get_current(self, session) -> bool:
        request = self.context.get("request")
        return bool(request) and session.session_key == request.session.session_key
