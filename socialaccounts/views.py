from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import ListView
from rest_framework import exceptions, generics, status
from rest_framework.response import Response
from social_core.backends.open_id_connect import OpenIdConnectAuth
from social_core.exceptions import AuthConfigurationError
from social_django.utils import load_backend, load_strategy

from socialaccounts import backchannel, services
from socialaccounts.models import SocialAccount
from socialaccounts.serializers import SocialAccountConnectSerializer, SocialAccountSerializer


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ProviderUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "temporarily_unavailable"


def _api_error(error: services.ProviderTokenError):
    if error.status == status.HTTP_503_SERVICE_UNAVAILABLE:
        return ProviderUnavailable(error.description)
    return exceptions.ValidationError({"access_token": [error.description]})


class SocialAccountListCreateView(generics.ListCreateAPIView):
    """The caller's linked provider accounts; POST links the account behind a verified provider token."""

    serializer_class = SocialAccountSerializer
    pagination_class = None
    filter_backends = []  # nothing to search, order or filter (the project defaults would parse ?search=)
    token_scopes = {"read": ["social:read"], "write": ["social:write"]}

    def get_queryset(self):
        return SocialAccount.objects.owned_by(self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = SocialAccountConnectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            account, created = services.social_account_connect(user=request.user, **serializer.validated_data)
        except services.AccountInUse as error:
            raise Conflict(str(error)) from error
        except services.ProviderTokenError as error:
            raise _api_error(error) from error
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(SocialAccountSerializer(account).data, status=answer)


class SocialAccountDetailView(generics.RetrieveDestroyAPIView):
    """One of the caller's linked accounts; DELETE unlinks it unless it is the last way to sign in."""

    serializer_class = SocialAccountSerializer
    token_scopes = {"read": ["social:read"], "write": ["social:write"]}

    def get_queryset(self):
        return SocialAccount.objects.owned_by(self.request.user)

    def perform_destroy(self, instance):
        try:
            services.social_account_disconnect(account=instance)
        except services.LastSignInMethod as error:
            raise Conflict(str(error)) from error


class SocialAccountRefreshView(generics.GenericAPIView):
    """POST: re-read the account's profile from the provider with the stored (server-side) token."""

    serializer_class = SocialAccountSerializer
    token_scopes = {"write": ["social:write"]}

    def get_queryset(self):
        return SocialAccount.objects.owned_by(self.request.user)

    def post(self, request, *args, **kwargs):
        try:
            account = services.social_account_refresh_profile(account=self.get_object())
        except services.ProviderTokenError as error:
            raise _api_error(error) from error
        return Response(SocialAccountSerializer(account).data)


class ConnectionsView(LoginRequiredMixin, ListView):
    """The signed-in user's connected accounts, with Connect, Refresh and Disconnect buttons (no
    Disconnect where ``social_account_disconnect`` would refuse it: ``can_disconnect`` is False and
    ``last_sign_in_method`` says why)."""

    template_name = "socialaccounts/connections.html"
    context_object_name = "accounts"

    def get_queryset(self):
        return SocialAccount.objects.owned_by(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        others = len(context["accounts"]) - 1
        context["can_disconnect"] = services.social_account_disconnect_allowed(
            user=self.request.user, other_accounts=others
        )
        context["last_sign_in_method"] = services.LAST_SIGN_IN_METHOD
        return context


class DisconnectView(LoginRequiredMixin, View):
    """POST (with CSRF): unlink one of the user's accounts, refused when it is the last way to sign in."""

    def post(self, request, pk):
        account = get_object_or_404(SocialAccount.objects.owned_by(request.user), pk=pk)
        try:
            services.social_account_disconnect(account=account)
        except services.LastSignInMethod as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Disconnected %(provider)s.") % {"provider": account.provider_title})
        return redirect("socialaccounts:connections")


class RefreshView(LoginRequiredMixin, View):
    """POST (with CSRF): refresh one linked account's profile from its provider."""

    def post(self, request, pk):
        account = get_object_or_404(SocialAccount.objects.owned_by(request.user), pk=pk)
        try:
            services.social_account_refresh_profile(account=account)
        except services.ProviderTokenError as error:
            # English in the token-exchange JSON (RFC 6749); the page shows it translated.
            messages.error(request, _(error.description))
        else:
            messages.success(
                request, _("Refreshed your %(provider)s profile.") % {"provider": account.provider_title}
            )
        return redirect("socialaccounts:connections")


@method_decorator([csrf_exempt, login_not_required, never_cache], name="dispatch")
class BackChannelLogoutView(View):
    """``POST /social/backchannel-logout/<backend>/``: an OpenID provider's logout token (Back-Channel
    Logout 1.0 §2.5) ends the local sessions its sign-in created. 200 when accepted; 400 with an
    ``error`` JSON body for a missing or invalid token (§2.8); 404 for a backend that is not an
    OpenID Connect one or not configured."""

    http_method_names = ["post"]

    def post(self, request, backend):
        try:
            oidc = load_backend(load_strategy(request), backend, redirect_uri=None)
        except AuthConfigurationError:
            oidc = None
        if not isinstance(oidc, OpenIdConnectAuth) or not oidc.get_key_and_secret()[0]:
            return JsonResponse({"error": "not_found"}, status=404)
        token = request.POST.get("logout_token")
        if not token:
            return _logout_error("invalid_request", "Send logout_token as application/x-www-form-urlencoded.")
        try:
            claims = backchannel.logout_token_claims(oidc, token)
        except backchannel.InvalidLogoutToken as error:
            return _logout_error("invalid_request", str(error))
        backchannel.provider_logout(backend_name=backend, claims=claims)
        return HttpResponse(status=200)


def _logout_error(error: str, description: str) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=400)
