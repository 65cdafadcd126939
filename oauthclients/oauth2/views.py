"""DOT's OAuth 2.0 / OpenID Connect views with Beer Locker's hardening on top."""

import functools
import hashlib
import json
import uuid
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import View
from jwcrypto import jwk, jwt
from jwcrypto.common import JWException
from oauth2_provider import views as dot_views
from oauth2_provider.compat import login_not_required
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.models import get_access_token_model, get_application_model, get_id_token_model
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.signals import app_authorized
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.common import Request as OauthlibRequest
from oauthlib.oauth2.rfc6749 import errors

from beerlocker_api.compiled import CompiledLookup, Part
from oauthclients import signals
from oauthclients.grants import (
    CLIENT_KEY_SIGNING_ALGS,
    CODE_CHALLENGE_METHOD,
    CONFIDENTIAL_AUTH_METHODS,
    DEVICE_CODE,
    IMPLICIT,
    OAUTH2_RESPONSE_TYPES,
    RESPONSE_TYPE_GRANTS,
    TOKEN_ENDPOINT_AUTH_METHODS,
)
from oauthclients.models import Client, grant_enabled
from oauthclients.oauth2 import authn, authorization_requests, oidc_features, request_objects, response_modes
from oauthclients.oauth2.compat import add_iss_to_redirect, issued_access_token
from oauthclients.oauth2.validator import account_disabled

# RFC 6749 §5.2: a client that failed to authenticate is told which scheme to use.
CLIENT_CHALLENGE = 'Basic realm="oauth2"'


def oauth_error(error, description, status=400):
    """An RFC 6749 §5.2 error response."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    if status == 401:
        response["WWW-Authenticate"] = CLIENT_CHALLENGE
    return response


class ClientEndpointMixin:
    """Token-endpoint hygiene: never cached, and a Basic challenge when client auth fails."""

    # ``post``, not ``dispatch``: DOT's dispatch carries the csrf_exempt these client endpoints need.
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        if response.status_code == 401:
            # oauthlib names Bearer; the client authenticates with its secret (Basic or body).
            response["WWW-Authenticate"] = CLIENT_CHALLENGE
        return response


# CSRF is checked in dispatch: only a POST that passes it answers the consent dialog; any other
# POST is an authorization request, as harmless cross-site as the same request by GET.
@method_decorator(csrf_exempt, name="dispatch")
class AuthorizationView(dot_views.AuthorizationView):
    """The consent dialog: who asks, for what, and where the answer goes; never framed or referred."""

    template_name = "oauthclients/authorize.html"
    # The client this request names, as read once (with its owner) by validating the request or,
    # for the consent form's answer, by form_valid; oauthlib gets it with the credentials instead
    # of reading it again. One request's: a view instance serves one request.
    client = None

    def get(self, request, *args, **kwargs):
        prompt = request.GET.get("prompt", "").split()
        if "none" not in prompt and authn.reauthentication_due(request, request.GET):
            return self.reauthenticate(request)
        if "consent" in prompt:
            # OIDC prompt=consent: ask again even if these scopes were granted before.
            request.GET = request.GET.copy()
            request.GET["approval_prompt"] = "force"
        response = super().get(request, *args, **kwargs)
        if "none" in prompt and response.status_code == 200 and getattr(self, "oauth2_data", None):
            # OIDC Core §3.1.2.1: prompt=none never shows a page; the dialog was about to be shown
            # because these scopes were not granted before, so the client hears consent_required.
            return self.consent_required()
        return response

    def validate_authorization_request(self, request):
        scopes, credentials = super().validate_authorization_request(request)
        self.client = getattr(credentials.get("request"), "client", None)  # oauthlib's request
        hint = request.GET.get("id_token_hint")
        if hint and request.user.is_authenticated and not id_token_names(hint, request.user):
            # OIDC Core §3.1.2.1: the client asked for the user its ID token names; someone else
            # (or no one we can verify) is signed in here, so no code is issued for them.
            error = errors.LoginRequired(
                state=credentials.get("state"),
                description="The signed-in user is not the one id_token_hint names.",
            )
            raise OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"])
        authorization_requests.require_redirect_uri(request.GET, scopes)
        if not request_objects.enabled():
            authorization_requests.refuse_request_objects(request.GET, credentials)
        elif error := request_objects.error_for(request, credentials):
            raise error
        prompt = request.GET.get("prompt", "").split()
        if "none" in prompt and authn.reauthentication_due(request, request.GET):
            # OIDC Core §3.1.2.1: max_age has passed and prompt=none forbids asking to sign in.
            error = errors.LoginRequired(
                state=credentials.get("state"), description="max_age has passed since the user signed in."
            )
            raise OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"])
        return scopes, credentials

    def reauthenticate(self, request):
        """max_age has passed since the user signed in: sign in again, then back to this request."""
        try:
            self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        authn.reauthentication_requested(request)
        return redirect_to_login(
            request.get_full_path(), resolve_url(self.get_login_url()), self.get_redirect_field_name()
        )

    def create_authorization_response(self, request, scopes, credentials, allow):
        # When and how the user signed in, for the ID token (auth_time, acr).
        credentials = {**credentials, **authn.authorization_credentials(request)}
        if self.client is not None and self.client.client_id == credentials.get("client_id"):
            # Set on oauthlib's request, where validate_client_id (load_client) reuses it.
            credentials["client"] = self.client
        result = super().create_authorization_response(request, scopes, credentials, allow)
        if allow and request.method == "POST":
            # Allow pressed on the consent page (answers given on GET are remembered consent or a
            # first-party client): announced only once the code or token was issued.
            client = credentials.get("client") or Client.objects.get(client_id=credentials["client_id"])
            signals.consent_given.send(
                sender=Client, client=client, user=request.user, scopes=scopes.split() if scopes else []
            )
        return result

    def redirect(self, redirect_to, application):
        # RFC 9207 §2: every authorization response names the issuer, errors included. DOT adds
        # ``iss`` to successful responses only, yet discovery (authorization_response_iss_
        # parameter_supported) tells clients to reject any response without it. Idempotent.
        if oauth2_settings.COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS:
            issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
            redirect_to = add_iss_to_redirect(redirect_to, issuer)
        if application is None:
            # DOT names no client for an error raised while validating the request, so only the
            # server-wide schemes (https) would be allowed; the redirect URI was already checked
            # against this client, whose loopback http or private-use scheme applies.
            application = (
                get_application_model().objects.filter(client_id=self.request.GET.get("client_id")).first()
            )
        mode = response_modes.response_mode(self.request.GET)
        redirect_uri = self.request.GET.get("redirect_uri")
        if mode == response_modes.FRAGMENT:
            # Errors included: DOT and oauthlib put an error in the query whatever the mode.
            redirect_to = response_modes.in_fragment(redirect_to, redirect_uri)
        response = super().redirect(redirect_to, application)  # checks the scheme
        if mode == response_modes.FORM_POST:
            return response_modes.form_post_response(self.request, redirect_to, redirect_uri)
        return response

    def consent_required(self):
        data = self.oauth2_data
        error = errors.ConsentRequired(state=data.get("state"))
        return self.error_response(
            OAuthToolkitError(error=error, redirect_uri=data["redirect_uri"]), data["application"]
        )

    def handle_no_permission(self):
        # A signed-out user is sent to sign in only for a request that could succeed: an unknown
        # client or an unregistered redirect URI gets the error page straight away.
        prompt = set(self.request.GET.get("prompt", "").split())
        if self.request.method == "GET" and not prompt & {"none", "create", "login"}:
            try:
                self.validate_authorization_request(self.request)
            except FatalClientError as error:
                return self.error_response(error, application=None)
            except OAuthToolkitError:
                pass  # a redirectable error: the client hears about it once the user is back
        return super().handle_no_permission()

    def form_valid(self, form):
        # DOT looks the client up with .get(): a tampered form naming no client would be a 500.
        clients = get_application_model().objects.select_related("user")
        self.client = clients.filter(client_id=form.cleaned_data["client_id"]).first()
        if self.client is None:
            return self.form_invalid(form)
        return super().form_valid(form)

    def form_invalid(self, form):
        # A tampered or incomplete consent form: an error page, not a dialog for nothing.
        error = {"error": "invalid_request", "description": "The authorization request was incomplete."}
        return self.render_to_response(self.get_context_data(error=error), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = context.get("application")
        if application is not None and self.client is not None and self.client.pk == application.pk:
            # The same row, read with the owner the page names (DOT's own read is without).
            context["application"] = application = self.client
        if application is not None:
            context["redirect_host"] = urlsplit(context.get("redirect_uri") or "").netloc
            context["scope_items"] = list(
                zip(context.get("scopes", []), context.get("scopes_descriptions", []), strict=True)
            )
        return context

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and not authorization_requests.is_consent_submission(request):
            # Not the consent form's answer (no valid CSRF token): a POSTed authorization request.
            authorization_requests.post_as_get(request)
        if request.method == "GET":
            # OIDC Core §6: a request object stands for the request; from here on it is the request.
            request_objects.resolve(request)
        response = super().dispatch(request, *args, **kwargs)
        response["X-Frame-Options"] = "DENY"
        # The authorize URL carries state and the redirect to the client carries the code, so no
        # Referer may leave the site. Every response that sends the browser on (the redirects after
        # Allow, Deny or remembered consent) is "no-referrer". The HTML page with the Allow/Deny
        # form is "same-origin", which sends nothing cross-origin either: under "no-referrer"
        # browsers send "Origin: null" with the form's POST and Django's CSRF check refuses it.
        is_page = response.get("Content-Type", "").startswith("text/html") and not response.has_header(
            "Location"
        )
        response["Referrer-Policy"] = "same-origin" if is_page else "no-referrer"
        return response


class TokenView(ClientEndpointMixin, dot_views.TokenView):
    """The token endpoint: RFC 6749 JSON for every outcome, never cached."""

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(self, request, *args, **kwargs):
        # DOT's, except that ``app_authorized`` gets the access token this request saved
        # (``compat.issued_access_token``) instead of reading it back by its value: one query
        # less, and no 500 when a concurrent use of the same code or refresh token detected the
        # reuse and revoked the token between this request's commit and the read (DOT's ``get()``).
        # The request still won; its tokens are dead, as reuse detection wants.
        issued = issued_access_token.set(None)
        try:
            url, headers, body, status = self.create_token_response(request)
            token = issued_access_token.get()
        finally:
            issued_access_token.reset(issued)
        if status == 200 and token is not None:
            app_authorized.send(sender=self, request=request, token=token)
        response = HttpResponse(content=body, status=status)
        for key, value in headers.items():
            response[key] = value
        return response

    def post(self, request, *args, **kwargs):
        if request.POST.get("grant_type") == DEVICE_CODE:
            # The device flow is not offered (and DOT's handler fails on a missing device_code).
            return oauth_error("unsupported_grant_type", "This server does not offer the device flow.")
        return super().post(request, *args, **kwargs)


class RevokeTokenView(ClientEndpointMixin, dot_views.RevokeTokenView):
    """RFC 7009: a client revokes only its own tokens; an unknown token still answers 200."""


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class IntrospectTokenView(OAuthLibMixin, View):
    """RFC 7662 for resource servers only: an authenticated client with ``allow_introspection``."""

    http_method_names = ["post", "options"]

    def post(self, request, *args, **kwargs):
        core = self.get_oauthlib_core()
        try:
            client = authenticated_client(core, request)
        except errors.OAuth2Error as error:  # too many failed attempts (beerlocker_api.limits)
            response = oauth_error(error.error, error.description, status=error.status_code)
            for header, value in error.headers.items():
                response[header] = value
            return response
        if client is None:
            return oauth_error("invalid_client", "Client authentication failed.", status=401)
        if not client.allow_introspection:
            return oauth_error("unauthorized_client", "This client may not introspect tokens.", status=403)
        token = request.POST.get("token")
        if token is None:
            response = oauth_error("invalid_request", "Token parameter is missing.")
        else:
            response = JsonResponse(introspection(token))
        response["Cache-Control"] = "no-store"
        return response


@functools.cache
def _introspection_lookup() -> CompiledLookup:
    """An access token by checksum with what its introspection answers: its user's name and state
    and its client's ``client_id``."""
    user_model = get_user_model()
    return CompiledLookup(
        "token_checksum",
        Part(
            "", get_access_token_model(), ("id", "user_id", "application_id", "expires", "scope", "resource")
        ),
        Part("user", user_model, ("id", user_model.USERNAME_FIELD, "is_active")),
        Part("application", get_application_model(), ("id", "client_id")),
    )


def introspection(token: str) -> dict:
    """RFC 7662's answer for ``token``, from one indexed query (the token with its user and client).

    The members DOT's ``IntrospectTokenView.get_token_response`` (3.4.1) answers, with one more
    refusal: a token acting for a deactivated user is no longer live (DOT looks only at expiry).
    A revoked token no longer exists (DOT deletes it), so it is inactive like an unknown one.
    """
    # token_checksum is unique; the SQL is compiled once per process (beerlocker_api.compiled).
    access_token = _introspection_lookup().get(hashlib.sha256(token.encode()).hexdigest())
    if access_token is None or not access_token.is_valid() or account_disabled(access_token.user):
        return {"active": False}
    data = {"active": True, "scope": access_token.scope, "exp": int(access_token.expires.timestamp())}
    if access_token.application:
        data["client_id"] = access_token.application.client_id
    if access_token.user:
        data["username"] = access_token.user.get_username()
    if access_token.resource:  # RFC 8707: the audiences the token is bound to
        data["aud"] = access_token.resource
    return data


def _signing_keys() -> jwk.JWKSet:
    """The server's ID-token keys (the active one and any kept for verification only)."""
    keys = jwk.JWKSet()
    for pem in [oauth2_settings.OIDC_RSA_PRIVATE_KEY, *oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE]:
        key = jwk.JWK.from_pem(pem.encode())
        keys.add(jwk.JWK(**{**key.export_public(as_dict=True), "kid": key.thumbprint()}))
    return keys


def id_token_names(hint, user) -> bool:
    """True when ``hint`` is an ID token we signed and issued (expired or not) whose ``sub`` is
    ``user``."""
    try:
        # No claim checks: an expired ID token still names who signed in (OIDC Core §3.1.2.1).
        claims = json.loads(jwt.JWT(jwt=hint, key=_signing_keys(), check_claims={}).claims)
    except (JWException, ValueError, TypeError):  # not a JWS of ours, or a payload that is not JSON
        return False
    if not isinstance(claims, dict):
        return False
    try:
        jti = uuid.UUID(str(claims.get("jti")))  # our ID tokens' jti; anything else names none
    except ValueError:
        return False
    if not get_id_token_model().objects.filter(jti=jti).exists():
        return False
    return claims.get("sub") == str(user.pk)


def authenticated_client(core, request):
    """The client that authenticated this request with its secret (Basic or body), or None."""
    # The query is left out: client credentials travel in the header or the body, and a malformed
    # query must not turn into a ValueError here.
    uri = request.build_absolute_uri(request.path)
    oauth_request = OauthlibRequest(
        uri, request.method, core.extract_body(request), core.extract_headers(request)
    )
    if not core.server.request_validator.authenticate_client(oauth_request):
        return None
    return oauth_request.client


def supported_grant_types():
    """The grant types this server accepts right now: its token endpoint's own (so a grant another
    app adds to the server, such as token exchange, is listed) plus implicit, switches applied."""
    token_grants = get_oauthlib_core().server.grant_types
    grants = [IMPLICIT, *(grant for grant in token_grants if grant not in UNOFFERED_GRANTS)]
    return [grant for grant in grants if grant_enabled(grant)]


# Grants oauthlib's server carries that this server does not offer.
UNOFFERED_GRANTS = {DEVICE_CODE}


def supported_response_types(oidc):
    response_types = RESPONSE_TYPE_GRANTS if oidc else OAUTH2_RESPONSE_TYPES
    return [
        response_type
        for response_type in response_types
        if all(grant_enabled(grant) for grant in RESPONSE_TYPE_GRANTS[response_type])
    ]


class DiscoveryMixin:
    """Rewrite DOT's discovery document so it advertises only what this server really allows."""

    oidc = False

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data.update(
            grant_types_supported=supported_grant_types(),
            response_types_supported=supported_response_types(self.oidc),
            code_challenge_methods_supported=[CODE_CHALLENGE_METHOD],
            token_endpoint_auth_methods_supported=TOKEN_ENDPOINT_AUTH_METHODS,
            # private_key_jwt assertions are verified with these (OIDC Discovery, RFC 8414 §2).
            token_endpoint_auth_signing_alg_values_supported=CLIENT_KEY_SIGNING_ALGS,
            authorization_response_iss_parameter_supported=True,
        )
        data.update(oidc_features.discovery_metadata(request, oidc=self.oidc))
        data["scopes_supported"] = sorted(data["scopes_supported"])
        if "revocation_endpoint" in data:
            data["revocation_endpoint_auth_methods_supported"] = TOKEN_ENDPOINT_AUTH_METHODS
        if "introspection_endpoint" in data:
            data["introspection_endpoint_auth_methods_supported"] = CONFIDENTIAL_AUTH_METHODS
        if self.oidc:
            # RFC 8414 endpoints, which OpenID Connect discovery may carry too: relying parties
            # (social-core's OIDC backend among them) find introspection and revocation here.
            data.setdefault(
                "revocation_endpoint", request.build_absolute_uri(reverse("oauth2_provider:revoke-token"))
            )
            data.setdefault(
                "introspection_endpoint", request.build_absolute_uri(reverse("oauth2_provider:introspect"))
            )
            data["claims_supported"] = sorted({*data["claims_supported"], *oidc_features.ID_TOKEN_CLAIMS})
            data["prompt_values_supported"] = ["none", "login", "consent"]
        cleaned = JsonResponse(data, status=response.status_code)
        cleaned["Access-Control-Allow-Origin"] = "*"
        return cleaned


class OAuthServerMetadataView(DiscoveryMixin, dot_views.OAuthServerMetadataView):
    """RFC 8414 authorization server metadata."""


class ConnectDiscoveryInfoView(DiscoveryMixin, dot_views.ConnectDiscoveryInfoView):
    """OpenID Connect discovery."""

    oidc = True
