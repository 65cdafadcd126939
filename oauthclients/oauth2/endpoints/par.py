"""Pushed authorization requests (RFC 9126): the endpoint a client POSTs its authorization request
to, and how the authorization endpoint takes the ``request_uri`` it gets back.

At the endpoint the client authenticates exactly as at the token endpoint (the validator's
``authenticate_client``, with its guessing limits: client_secret_basic, client_secret_post,
private_key_jwt; a public client names itself with ``client_id``), and the request is validated as
the authorization endpoint validates it (client, redirect URI, response type, scope, PKCE S256,
RFC 8707 resources, a ``request`` object verified with the client's keys), so a bad request fails
here, in JSON, before any browser is involved. The answer is 201 with a ``request_uri`` the client
alone may use, for one authorization, within ``expires_in`` (oauthclients.oauth2.tokens.pushed_requests).

At the authorization endpoint a ``request_uri`` of ours is spent and replaced by the request it
stands for; everything is validated again there (the user is known only then). A client that
registered ``require_pushed_authorization_requests`` (or every client, when
``OAUTHCLIENTS["REQUIRE_PUSHED_AUTHORIZATION_REQUESTS"]``) gets ``invalid_request`` for any other
request (§5). The browser may have to sign in first (signed out, ``prompt=login``, ``max_age``):
the request is then pushed again server-side (``pushed_again``) and the sign-in page's ``next``
names only the new request_uri, spent once on the way back, whichever user signs in (a sign-in as
another user replaces the session). A request taken by request_uri is also remembered in this
browser session (a keyed digest of the request_uri, the client, the parameters, until the
request_uri would have expired; the newest ``MAX_REMEMBERED``): until the authorization completes
(a code or an error goes to the client: ``forget_taken``), the same browser may present the same
request_uri again (a reload: FAPI 2.0 Security Profile §5.3.2.2 note 3), and the same parameters
in the URL (the consent form's action) count as pushed there. Another browser is refused it.
"""

import hashlib

from django.http import JsonResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import View
from oauth2_provider.compat import login_not_required
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.common import urlencode
from oauthlib.oauth2.rfc6749 import errors

from beerlocker_api.dpop import InvalidProof
from oauthclients import conf
from oauthclients.oauth2 import profiles
from oauthclients.oauth2.clientauth.authenticate import basic_credentials
from oauthclients.oauth2.endpoints import authorization_requests
from oauthclients.oauth2.endpoints.base import CLIENT_AUTHENTICATION_FAILED, oauth_error
from oauthclients.oauth2.oidc import request_objects
from oauthclients.oauth2.tokens import audience, dpop
from oauthclients.oauth2.tokens.pushed_requests import (
    is_pushed_request_uri,
    pushed_request_create,
    pushed_request_redeem,
)

# How the client authenticates: never part of the authorization request it pushes.
CLIENT_AUTHENTICATION_PARAMETERS = {"client_secret", "client_assertion", "client_assertion_type"}
# The pushed request, as it would travel in a URL, is at most this large (a request object's cap).
MAX_PUSHED_REQUEST_BYTES = request_objects.MAX_REQUEST_OBJECT_BYTES
# The session key of the requests this browser took by request_uri, until the authorization
# completes (``take_pushed_request``), and how many it keeps at most (the newest).
SESSION_KEY = "oauthclients.pushed_requests"
MAX_REMEMBERED = 3


def required_for(client) -> bool:
    """The authorization endpoint takes only pushed requests from ``client`` (RFC 9126 §5/§6)."""
    return bool(
        conf.get("REQUIRE_PUSHED_AUTHORIZATION_REQUESTS")
        or client.require_pushed_authorization_requests
        or client.is_fapi2  # FAPI 2.0 Security Profile §5.3.2.2
    )


def bound_parameters(parameters, proof) -> list[tuple[str, str]]:
    """Parameters the server adds to a pushed request from how it was pushed, beside the client's
    own: a DPoP proof sent with the push binds the code to its key, as ``dpop_jkt`` would on the
    authorization request (RFC 9449 §10.1); a pushed ``dpop_jkt`` must then name that same key."""
    if proof is None:
        return []
    pushed = dict(parameters).get("dpop_jkt")
    if pushed is None:
        return [("dpop_jkt", proof.jkt)]
    if pushed != proof.jkt:
        raise errors.CustomOAuth2Error(
            error="invalid_dpop_proof", description="dpop_jkt does not name the key of the DPoP proof."
        )
    return []


def _error(error: errors.OAuth2Error) -> JsonResponse:
    status = 401 if error.error == "invalid_client" else error.status_code
    description = error.description
    if not description and error.error == "invalid_client":
        description = CLIENT_AUTHENTICATION_FAILED  # oauthlib says nothing; never which part failed
    response = oauth_error(error.error, description, status=status)
    for name, value in error.headers.items():
        if name != "WWW-Authenticate":
            response[name] = value
    return response


def _authenticate(validator, request: OAuthlibRequest) -> None:
    """The token endpoint's client authentication (oauthlib's, on the same validator): a
    confidential client with its registered method, a public one by its client_id."""
    if validator.client_authentication_required(request):
        if not validator.authenticate_client(request):
            raise errors.InvalidClientError(request=request)
    elif not validator.authenticate_client_id(request.client_id, request):
        raise errors.InvalidClientError(request=request)


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class PushedAuthorizationRequestView(View):
    """RFC 9126 §2: authenticate the client, validate its authorization request, store it, and
    answer 201 with the request_uri; RFC 6749 error JSON otherwise, never cached."""

    http_method_names = ["post", "options"]

    @method_decorator(sensitive_post_parameters("client_secret", "client_assertion"))
    def post(self, request, *args, **kwargs):
        response = self.push(request)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response

    def push(self, request):
        core = get_oauthlib_core()
        body = core.extract_body(request)
        oauthlib_request = OAuthlibRequest(
            request.build_absolute_uri(request.path),
            http_method="POST",
            body=urlencode(body),
            headers=core.extract_headers(request),
        )
        try:
            proof = dpop.token_request_proof(request)  # htm POST, htu this endpoint, single use
        except InvalidProof as error:
            return dpop.error_response(error)
        basic = basic_credentials(oauthlib_request)
        if basic is not None and not oauthlib_request.client_id:
            oauthlib_request.client_id = basic[0]
        try:
            if "client_id" in oauthlib_request.duplicate_params:
                raise errors.InvalidRequestError(description="Duplicate client_id parameter.")
            _authenticate(core.server.request_validator, oauthlib_request)
            client = oauthlib_request.client
            if proof is not None and (problem := profiles.dpop_alg_problem(client, proof.alg)):
                raise errors.CustomOAuth2Error(error="invalid_dpop_proof", description=problem)
            parameters = self.validated_parameters(request, client, body)
            parameters += bound_parameters(parameters, proof)
        except errors.OAuth2Error as error:
            return _error(error)
        except OAuthToolkitError as error:  # DOT's wrapper of the authorization endpoint's errors
            return _error(error.oauthlib_error)
        request_uri, expires_in = pushed_request_create(client=client, parameters=parameters)
        return JsonResponse({"request_uri": request_uri, "expires_in": expires_in}, status=201)

    def validated_parameters(self, request, client, body) -> list[tuple[str, str]]:
        """The pushed authorization request, validated as the authorization endpoint would (its
        request object, if any, verified and merged in), as (name, value) pairs; raises the OAuth
        error that endpoint would answer."""
        query = QueryDict(mutable=True)
        for name, value in body:
            if name not in CLIENT_AUTHENTICATION_PARAMETERS:
                query.appendlist(name, value)
        if "request_uri" in query:
            raise errors.InvalidRequestError(
                description="request_uri may not be pushed (RFC 9126 section 2.1)."
            )
        if query.get("client_id", client.client_id) != client.client_id:
            raise errors.InvalidRequestError(description="client_id is not the client that authenticated.")
        query["client_id"] = client.client_id
        if "request" in query:
            if not request_objects.enabled():
                raise errors.CustomOAuth2Error(
                    error="request_not_supported",
                    description="This server does not support the request parameter.",
                )
            try:
                query = request_objects.request_object_parameters(
                    client, query, oauth2_settings.oidc_issuer(request)
                )
            except request_objects.RequestObjectError as problem:
                raise errors.CustomOAuth2Error(error=problem.error, description=problem.description) from None
        if client.is_fapi2 and not query.get("redirect_uri"):
            # FAPI 2.0 Security Profile §5.3.2.2: named in each request, never taken as registered.
            raise errors.InvalidRequestError(
                description="A FAPI 2.0 client's pushed request must send redirect_uri."
            )
        encoded = query.urlencode()
        if len(encoded) > MAX_PUSHED_REQUEST_BYTES:
            raise errors.InvalidRequestError(
                description=(
                    f"The authorization request is too large (at most {MAX_PUSHED_REQUEST_BYTES} bytes)."
                )
            )
        # The authorization endpoint's own validation (oauthlib with our validator and PKCE rule).
        uri = request.build_absolute_uri(reverse("oauth2_provider:authorize")) + "?" + encoded
        scopes, _credentials = get_oauthlib_core().server.validate_authorization_request(
            uri, http_method="GET"
        )
        try:
            authorization_requests.require_redirect_uri(query, scopes)
        except FatalClientError as error:
            raise error.oauthlib_error from None
        requested = audience.unknown_resource(
            query.getlist("resource"), origin=audience.request_origin(request)
        )
        if requested is not None:
            raise audience.invalid_target(requested)
        return [(name, value) for name, values in query.lists() for value in values]


# --- At the authorization endpoint -------------------------------------------------------------


def _query_checksum(query_string: str) -> str:
    return hashlib.sha256(query_string.encode()).hexdigest()


def _session_digest(request_uri: str) -> str:
    """How this browser session names a request_uri it took: keyed (the SECRET_KEY), so not the
    database's checksum of it either; the request_uri itself is never stored in a session."""
    return salted_hmac("oauthclients.par.session", request_uri, algorithm="sha256").hexdigest()


def _remembered(request) -> dict[str, dict]:
    """The requests this browser session took by request_uri and may take again, those still
    within their request_uri's lifetime (digest: client_id, parameters, query checksum, until)."""
    now = timezone.now().timestamp()
    taken = request.session.get(SESSION_KEY)
    if not isinstance(taken, dict):
        return {}
    return {
        digest: entry
        for digest, entry in taken.items()
        if isinstance(entry, dict) and isinstance(entry.get("until"), int | float) and entry["until"] > now
    }


def _remember(request, request_uri: str, client_id: str, parameters, until: float) -> None:
    taken = _remembered(request)
    taken.pop(_session_digest(request_uri), None)
    taken[_session_digest(request_uri)] = {
        "client_id": client_id,
        "parameters": [[name, value] for name, value in parameters],
        "query": _query_checksum(request.META["QUERY_STRING"]),
        "until": until,
    }
    # Bounded: the newest few (dicts keep insertion order), so the session stays small.
    request.session[SESSION_KEY] = dict(list(taken.items())[-MAX_REMEMBERED:])


def forget_taken(request, client_id: str | None) -> None:
    """The authorization request of ``client_id`` is over in this browser (a code or an error went
    to the client): the request_uris this session took for it may not be used again (RFC 9126 §4,
    one-time use at the point of authorization: FAPI 2.0 Security Profile §5.3.2.2 note 3)."""
    if SESSION_KEY not in request.session:
        return
    taken = _remembered(request)
    kept = {digest: entry for digest, entry in taken.items() if entry.get("client_id") != client_id}
    if kept:
        request.session[SESSION_KEY] = kept
    else:
        del request.session[SESSION_KEY]


def take_pushed_request(request) -> FatalClientError | None:
    """At the authorization endpoint: when the request names a request_uri of ours, spend it and
    make the request the one pushed (so DOT, the sign-in redirect and the consent form all see
    that). The error to show when it cannot be used (unknown, expired, spent, another client's):
    no redirect URI of the client is known, so an error page (RFC 9126 §4).

    A request_uri is spent at the first visit, yet this browser session may present it again
    until the authorization completes (a reload, a second visit after the sign-in page): it gets
    the same request back, for the same client, within the request_uri's lifetime (FAPI 2.0
    Security Profile §5.3.2.2 note 3). ``forget_taken`` ends that when a response goes to the
    client; another browser is refused a spent request_uri."""
    query = request.GET
    request_uri = query.get("request_uri")
    if not is_pushed_request_uri(request_uri):
        return None
    client_id = query.get("client_id") or ""
    entry = _remembered(request).get(_session_digest(request_uri))
    if entry is not None and entry["client_id"] == client_id:
        parameters, until = entry["parameters"], entry["until"]
    else:
        redeemed = pushed_request_redeem(client_id=client_id, request_uri=request_uri)
        if redeemed is None:
            return FatalClientError(
                error=errors.CustomOAuth2Error(
                    error="invalid_request_uri",
                    description="The request_uri is unknown, expired, already used or not this client's.",
                )
            )
        parameters, until = redeemed.parameters, redeemed.expires.timestamp()
    pushed = QueryDict(mutable=True)
    for name, value in parameters:
        pushed.appendlist(name, value)
    request.GET = pushed
    request.META["QUERY_STRING"] = pushed.urlencode()
    request.pushed_authorization = True
    # Should the browser sign in first or reload, the request comes back (by this request_uri, or
    # with these parameters in the URL: the consent form's action) as a pushed request.
    _remember(request, request_uri, client_id, parameters, until)
    return None


# How long the sign-in page's way back to a pushed request may be used: time to type a password and
# a one-time code, or to find a security key. It never reaches the client (only the browser's
# address bar), is spent once, and names a request the client already pushed.
SIGN_IN_ROUND_TRIP_SECONDS = 10 * 60


def pushed_again(request, client, *, prompt_done: str | None = None) -> str:
    """The authorization endpoint's URL to come back to after a sign-in, for the pushed request
    being served: the request is pushed again, server-side, for ``client`` (a fresh request_uri,
    spent once, living ``SIGN_IN_ROUND_TRIP_SECONDS``: a sign-in with a second factor takes longer
    than a client's push may live), so the sign-in page's ``next``
    carries no parameter of it and it survives a sign-in that replaces the session (another user).
    ``prompt_done``: the ``prompt`` value the sign-in satisfies (``login``), left out of the
    request that comes back, as DOT leaves out the prompt of a request that is not pushed."""
    parameters = []
    for name, values in request.GET.lists():
        for value in values:
            if name == "prompt" and prompt_done:
                value = " ".join(part for part in value.split() if part != prompt_done)
            if value:
                parameters.append((name, value))
    request_uri, _expires_in = pushed_request_create(
        client=client, parameters=parameters, expires_in=SIGN_IN_ROUND_TRIP_SECONDS
    )
    return f"{request.path}?{urlencode([('client_id', client.client_id), ('request_uri', request_uri)])}"


def came_pushed(request) -> bool:
    """This authorization request is one a client pushed: taken by request_uri now, or earlier in
    this browser session (then back from the sign-in page) and not yet past its lifetime."""
    if getattr(request, "pushed_authorization", False):
        return True
    checksum = _query_checksum(request.META.get("QUERY_STRING", ""))
    return any(entry.get("query") == checksum for entry in _remembered(request).values())


def refuse_unless_pushed(request, client, credentials) -> None:
    """RFC 9126 §5: ``invalid_request``, redirected to the client (its redirect URI was validated
    already), for a request that was not pushed from a client that must push them."""
    if client is not None and required_for(client) and not came_pushed(request):
        raise OAuthToolkitError(
            error=errors.InvalidRequestError(
                description="This client must push its authorization requests (RFC 9126 PAR).",
                state=credentials.get("state"),
            ),
            redirect_uri=credentials["redirect_uri"],
        )
