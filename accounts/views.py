"""The user API: sign-up, the caller's own account and browser sessions (pages: ``accounts.pages``)."""

from datetime import timedelta

from django.contrib.auth import logout
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import factors, services
from accounts.models import UserSession
from accounts.serializers import (
    AuthenticatorSerializer,
    SignUpSerializer,
    UserSerializer,
    UserSessionSerializer,
)
from accounts.sessions import current_session
from beerlocker_api.authentication import BasicAuthentication


class UserSignUpView(generics.CreateAPIView):
    """Anyone may create an account; the response never contains the password."""

    name = "Sign up"  # the browsable API's title

    serializer_class = SignUpSerializer
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "signup"

    def perform_create(self, serializer):
        serializer.instance = services.user_create(
            **serializer.validated_data, site_url=site_url(self.request)
        )


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
        data = dict(serializer.validated_data)
        password = data.pop("password", None)
        serializer.instance = services.user_update(
            user=serializer.instance,
            **data,
            recently_authenticated=recently_authenticated(self.request, password),
            site_url=site_url(self.request),
        )

    def perform_destroy(self, instance):
        services.user_delete(user=instance)


def site_url(request) -> str:
    """This site's scheme and host, for links in e-mails."""
    return request.build_absolute_uri("/").rstrip("/")


def recently_authenticated(request, password: str | None) -> bool:
    """The caller proved who they are just now: HTTP Basic (the password, with this request), the
    current password given in the body, or a browser session signed in moments ago."""
    if isinstance(request.successful_authenticator, BasicAuthentication):
        return True
    if password is not None:
        return request.user.check_password(password)
    session = (
        current_session(request)
        if isinstance(request.successful_authenticator, SessionAuthentication)
        else None
    )
    return bool(
        session is not None
        and session.started is not None
        and timezone.now() - session.started <= timedelta(seconds=services.RECENT_SIGN_IN_SECONDS)
    )


class MyAuthenticatorListView(APIView):
    """The caller's second factors: type, name, when added and last used (never a secret)."""

    name = "My authenticators"
    token_scopes = {"read": ["sessions:read"]}

    @extend_schema(responses=AuthenticatorSerializer(many=True))
    def get(self, request):
        return Response(AuthenticatorSerializer(factors.factors_of(request.user), many=True).data)


class MyAuthenticatorDetailView(APIView):
    """Remove one of the caller's second factors (another's is a 404): takes a recent sign-in, or
    ``password`` in the body. A first-party scope: a third-party app never removes a factor."""

    token_scopes = {"read": ["sessions:read"], "write": ["sessions:write"]}

    @extend_schema(
        request=inline_serializer("FactorRemoval", {"password": serializers.CharField(required=False)}),
        responses={204: None},
    )
    def delete(self, request, factor_id):
        device = factors.factor_of(request.user, factor_id)
        if device is None:
            raise Http404("No such authenticator.")
        password = request.data.get("password") if hasattr(request.data, "get") else None
        recent = recently_authenticated(request, password if isinstance(password, str) else None)
        services.second_factor_remove(device=device, recently_authenticated=recent)
        return Response(status=204)


class MySessionsMixin(generics.GenericAPIView):
    """Every session view starts from the caller's own live sessions: another's is a 404."""

    serializer_class = UserSessionSerializer
    queryset = UserSession.objects.none()  # documents the model; get_queryset() scopes it

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return UserSession.objects.signed_in_as(self.request.user)


class MySessionListView(MySessionsMixin, generics.ListAPIView):
    """The caller's live browser sessions, most recently active first (``current`` marks this one)."""

    token_scopes = {"read": ["sessions:read"]}


class MySessionDetailView(MySessionsMixin, generics.DestroyAPIView):
    """Sign one of the caller's sessions out (the current one too: then this request signs out)."""

    token_scopes = {"write": ["sessions:write"]}
    lookup_field = "public_id"
    lookup_url_kwarg = "public_id"

    def perform_destroy(self, instance):
        if instance.session_key == self.request.session.session_key:
            logout(self.request)  # ends it through the same service, and leaves no cookie behind
        else:
            services.session_end(session=instance, by=services.EndedBy.USER, actor=self.request.user)


class MySessionsEndOthersView(APIView):
    """Sign out every session of the caller but the one making the request; says how many ended."""

    token_scopes = {"write": ["sessions:write"]}

    @extend_schema(
        request=None, responses=inline_serializer("SessionsEnded", {"ended": serializers.IntegerField()})
    )
    def post(self, request):
        ended = services.user_sessions_end(
            user=request.user,
            except_session=current_session(request),
            by=services.EndedBy.USER,
            actor=request.user,
        )
        return Response({"ended": ended})
