"""The user API: sign-up and the caller's own account. The pages are in ``accounts.pages``."""

from rest_framework import generics, permissions
from rest_framework.throttling import ScopedRateThrottle

from accounts import services
from accounts.serializers import SignUpSerializer, UserSerializer


class UserSignUpView(generics.CreateAPIView):
    """Anyone may create an account; the response never contains the password."""

    name = "Sign up"  # the browsable API's title

    serializer_class = SignUpSerializer
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "signup"

    def perform_create(self, serializer):
        serializer.instance = services.user_create(**serializer.validated_data)


class UserMeView(generics.RetrieveUpdateDestroyAPIView):
    """The caller's own account: read it, change its e-mail, or delete it with everything it owns."""

    name = "My account"  # the browsable API's title

    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]
    # A third-party token may read who it acts for; changing or deleting the account takes the password.
    token_scopes = {"read": ["profile"]}

    def get_object(self):
        return self.request.user

    def perform_update(self, serializer):
        serializer.instance = services.user_update(user=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.user_delete(user=instance)
