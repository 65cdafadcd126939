"""The device flow (RFC 8628): the device authorization endpoint a TV or CLI calls, and the page
where a signed-in user types the code it shows, sees who asks for what, and Allows or Denies.

The device then polls the token endpoint (oauthclients.oauth2.endpoints.token) with oauthlib's
``DeviceCodeGrant``; the codes and the polling pace are in oauthclients.oauth2.tokens.devices.
"""

import json

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView, View
from oauth2_provider.compat import login_not_required
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.common import urlencode
from oauthlib.oauth2.rfc6749 import errors

from beerlocker_api import limits
from oauthclients import authorizations, conf, signals
from oauthclients.grants import DEVICE_CODE
from oauthclients.models import Client, grant_enabled
from oauthclients.oauth2.clientauth.authenticate import basic_credentials
from oauthclients.oauth2.endpoints.base import ClientEndpointMixin, oauth_error
from oauthclients.oauth2.oidc import authn
from oauthclients.oauth2.tokens import devices
from oauthclients.scopes import scope_words

# The session key holding the device authorization whose code the user has just entered.
SESSION_KEY = "oauthclients.device"


def verification_uri(request) -> str:
    return request.build_absolute_uri(reverse("oauth2_provider:device"))


class DeviceAuthorization(View):
    """RFC 8628 §3.1-3.2: a device code, a user code a person can type, and where to type it. The
    client authenticates as at the token endpoint (a public client names itself), and must have
    registered the device grant."""

    def post(self, request, *args, **kwargs):
        if not grant_enabled(DEVICE_CODE):
            return oauth_error("unsupported_grant_type", "This server does not offer the device flow.")
        core = get_oauthlib_core()
        oauthlib_request = OAuthlibRequest(
            request.build_absolute_uri(),
            http_method="POST",
            body=urlencode(core.extract_body(request)),
            headers=core.extract_headers(request),
        )
        basic = basic_credentials(oauthlib_request)
        if basic is not None and not oauthlib_request.client_id:
            oauthlib_request.client_id = basic[0]  # RFC 8628 §3.1: client_id, or client authentication
        grant_type = core.server.device_code_grant
        try:
            grant_type.validate_device_authorization_request(oauthlib_request)
            client = oauthlib_request.client
            if not client.allows_grant(DEVICE_CODE):
                raise errors.UnauthorizedClientError(request=oauthlib_request)
        except errors.OAuth2Error as error:
            response = JsonResponse(json.loads(error.json), status=error.status_code)
            for name, value in error.headers.items():
                response[name] = value
            return response
        scope = " ".join(oauthlib_request.scopes or [])
        grant, device_code, user_code = devices.device_authorization_create(client=client, scope=scope)
        uri = verification_uri(request)
        return JsonResponse(
            {
                "device_code": device_code,
                "user_code": user_code,
                "verification_uri": uri,
                "verification_uri_complete": f"{uri}?{urlencode([('user_code', user_code)])}",
                "expires_in": conf.get("DEVICE_CODE_EXPIRE_SECONDS"),
                "interval": grant.interval,
            }
        )


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class DeviceAuthorizationView(ClientEndpointMixin, DeviceAuthorization):
    """The device authorization endpoint, with the token endpoint's hygiene (no-store, a Basic
    challenge on a 401)."""


def _device_client(grant):
    """The client a device authorization names, with its owner, if it may still use the grant."""
    client = Client.objects.select_related("user").filter(client_id=grant.client_id).first()
    if client is None or not client.is_usable() or not client.allows_grant(DEVICE_CODE):
        return None
    return client


def _scope_items(scopes):
    words = scope_words()
    return [(scope, words.get(scope, scope)) for scope in scopes]


def _authorize(request, grant, client) -> bool:
    """The user allowed the device (by pressing Allow, or by consent remembered as at the
    authorization endpoint); announced once it holds."""
    auth_time, acr = authn.session_authentication(request)
    if not devices.device_authorization_decide(
        grant=grant, user=request.user, allow=True, auth_time=auth_time, acr=acr
    ):
        return False
    signals.device_authorized.send(
        sender=Client, client=client, user=request.user, scopes=grant.scope.split()
    )
    return True


class DevicePageView(LoginRequiredMixin, TemplateView):
    """The device pages: for a signed-in user, never framed, no Referer leaving the site."""

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response["Cache-Control"] = "no-store"
        return response

    def done(self, client, allowed: bool):
        context = {"done": "allowed" if allowed else "denied", "application": client}
        return self.render_to_response(self.get_context_data(**context))


@method_decorator(xframe_options_deny, name="dispatch")
class DeviceVerificationView(DevicePageView):
    """RFC 8628 §3.3: the user types the code their device shows. A wrong code counts like a wrong
    password for this account from this address (beerlocker_api.limits), so codes cannot be
    guessed here; once locked, even the right code waits."""

    template_name = "oauthclients/device.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("user_code", self.request.GET.get("user_code", "")[:64])
        return context

    def error(self, message, status, user_code=""):
        return self.render_to_response(
            self.get_context_data(error=message, user_code=user_code), status=status
        )

    def post(self, request, *args, **kwargs):
        typed = request.POST.get("user_code", "")[:64]
        if wait := limits.user_code_wait(request, request.user):
            response = self.error(limits.wait_message(wait), 429, typed)
            response["Retry-After"] = str(wait)
            return response
        grant = devices.pending_by_user_code(typed)
        client = _device_client(grant) if grant is not None else None
        if client is None:
            limits.user_code_failed(request, request.user)
            return self.error(
                "That code is not valid, or it has expired. Check it on your device.", 400, typed
            )
        scopes = grant.scope.split()
        if not client.is_public and (
            client.skip_authorization or authorizations.consent_remembered(request.user, client, scopes)
        ):
            # The authorization endpoint's rules (a first-party client, or these scopes already
            # allowed by a live token, is not asked again), for a confidential client only: its
            # device code buys tokens only with its secret. A public client's device flow can be
            # started by anyone, so a phisher's code for a known client always gets the question.
            return self.done(client, allowed=_authorize(request, grant, client))
        # The code this user entered in this session: the confirm page asks about nothing else.
        request.session[SESSION_KEY] = [grant.pk, request.user.pk]
        return redirect("oauth2_provider:device-confirm")


@method_decorator(xframe_options_deny, name="dispatch")
class DeviceConfirmView(DevicePageView):
    """RFC 8628 §5.4: who asks (the client and its owner) and for what, before the user Allows or
    Denies; only for the code this user entered in this session."""

    template_name = "oauthclients/device_confirm.html"

    def pending(self):
        pk, user_pk = self.request.session.get(SESSION_KEY) or [None, None]
        grant = devices.pending_by_pk(pk) if user_pk == self.request.user.pk else None
        client = _device_client(grant) if grant is not None else None
        return grant, client

    def get(self, request, *args, **kwargs):
        grant, client = self.pending()
        if client is None:
            return redirect("oauth2_provider:device")
        return self.render_to_response(
            self.get_context_data(application=client, scope_items=_scope_items(grant.scope.split()))
        )

    def post(self, request, *args, **kwargs):
        grant, client = self.pending()
        request.session.pop(SESSION_KEY, None)
        if client is None:
            return redirect("oauth2_provider:device")
        self.template_name = DeviceVerificationView.template_name
        if "allow" in request.POST:
            return self.done(client, allowed=_authorize(request, grant, client))
        devices.device_authorization_decide(grant=grant, user=request.user, allow=False)
        return self.done(client, allowed=False)
