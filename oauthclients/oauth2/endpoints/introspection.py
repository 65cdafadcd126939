"""RFC 7662 token introspection, for resource servers."""

import functools
import hashlib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import View
from oauth2_provider.compat import login_not_required
from oauth2_provider.models import get_access_token_model, get_application_model, get_refresh_token_model
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.common import Request as OauthlibRequest
from oauthlib.oauth2.rfc6749 import errors

from beerlocker_api.compiled import CompiledLookup, Part
from beerlocker_api.dpop import BINDING_RELATED_NAME
from beerlocker_api.stepup import SIGN_IN_RELATED_NAME, token_sign_in
from oauthclients import conf
from oauthclients.models import AccessTokenBinding, AccessTokenSignIn
from oauthclients.oauth2.endpoints.base import CLIENT_AUTHENTICATION_FAILED, oauth_error
from oauthclients.oauth2.tokens.dpop import TOKEN_TYPE, access_token_jkt
from oauthclients.oauth2.validator import account_disabled


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
            return oauth_error("invalid_client", CLIENT_AUTHENTICATION_FAILED, status=401)
        if not client.allow_introspection:
            return oauth_error("unauthorized_client", "This client may not introspect tokens.", status=403)
        token = request.POST.get("token")
        if token is None:
            response = oauth_error("invalid_request", "Token parameter is missing.")
        else:
            response = JsonResponse(introspection(token, hint=request.POST.get("token_type_hint")))
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
        # Its DPoP binding (RFC 9449 §6.2: cnf.jkt), joined: no query of its own.
        Part(BINDING_RELATED_NAME, AccessTokenBinding, ("access_token_id", "jkt")),
        # The sign-in behind it (RFC 9470 §6.2: acr, auth_time), joined too.
        Part(SIGN_IN_RELATED_NAME, AccessTokenSignIn, ("access_token_id", "acr", "auth_time")),
    )


def introspection(token: str, hint: str | None = None) -> dict:
    """RFC 7662's answer for ``token``: an access token or a refresh token the server issued (§2.1:
    any token), looked up first as the kind ``hint`` (``token_type_hint``) names, then as the
    other, so a wrong hint costs one more query and never a wrong answer."""
    lookups = (refresh_token_introspection, access_token_introspection)
    if hint != "refresh_token":  # noqa: S105 - a token type name
        lookups = lookups[::-1]
    for lookup in lookups:
        if (answer := lookup(token)) is not None:
            return answer
    return {"active": False}


def refresh_token_introspection(token: str) -> dict | None:
    """The answer for a live refresh token (not revoked, not idle past
    ``REFRESH_TOKEN_IDLE_SECONDS``, its user active), ``{"active": False}`` for one that no longer
    is, None when ``token`` is no refresh token of ours."""
    refresh_token = (
        get_refresh_token_model()
        .objects.select_related("user", "application", "access_token")
        .filter(token_checksum=hashlib.sha256(token.encode()).hexdigest())
        .first()
    )
    if refresh_token is None:
        return None
    # The validator's own rules for using it (validate_refresh_token): the same answer here.
    ends = refresh_token.created + timedelta(seconds=conf.get("REFRESH_TOKEN_IDLE_SECONDS"))
    if refresh_token.revoked is not None or ends <= timezone.now() or account_disabled(refresh_token.user):
        return {"active": False}
    data = {"active": True, "token_type": "refresh_token", "exp": int(ends.timestamp())}
    if refresh_token.access_token is not None:
        data["scope"] = refresh_token.access_token.scope
    if refresh_token.application is not None:
        data["client_id"] = refresh_token.application.client_id
    if refresh_token.user is not None:
        data["username"] = refresh_token.user.get_username()
    return data


def access_token_introspection(token: str) -> dict | None:
    """RFC 7662's answer for an access token, from one indexed query (the token with its user and
    client); None when ``token`` is no access token of ours.

    The members DOT's ``IntrospectTokenView.get_token_response`` (3.4.1) answers, with one more
    refusal: a token acting for a deactivated user is no longer live (DOT looks only at expiry).
    A revoked token no longer exists (DOT deletes it), so it is inactive like an unknown one.
    """
    # token_checksum is unique; the SQL is compiled once per process (beerlocker_api.compiled).
    access_token = _introspection_lookup().get(hashlib.sha256(token.encode()).hexdigest())
    if access_token is None:
        return None
    if not access_token.is_valid() or account_disabled(access_token.user):
        return {"active": False}
    data = {"active": True, "scope": access_token.scope, "exp": int(access_token.expires.timestamp())}
    if access_token.application:
        data["client_id"] = access_token.application.client_id
    if access_token.user:
        data["username"] = access_token.user.get_username()
    if access_token.resource:  # RFC 8707: the audiences the token is bound to
        data["aud"] = access_token.resource
    acr, auth_time = token_sign_in(access_token)  # RFC 9470 §6.2: how and when the user signed in
    if acr:
        data["acr"] = acr
    if auth_time is not None:
        data["auth_time"] = int(auth_time)
    if jkt := access_token_jkt(access_token):  # RFC 9449 §6.2: usable only with this key's proofs
        data["token_type"] = TOKEN_TYPE
        data["cnf"] = {"jkt": jkt}
    return data


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
