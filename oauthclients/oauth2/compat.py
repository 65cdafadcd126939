"""Every override of a private django-oauth-toolkit / oauthlib name, in one place.

Written against django-oauth-toolkit 3.4.1 and oauthlib 4.0.1 (pinned in pyproject.toml). Each
entry says why no public hook exists; tests/oauthclients/test_compat.py fails when the library
behaviour underneath changes, so an upgrade is a red test, not a silent sign-in bug.

Two kinds of override live here. For correctness (always on): the stray-``%`` escape, the
header-only userinfo token, RFC 8707 resources of a code stored as its checksum, the access token
this request saved kept for ``app_authorized``, the ID token's row saved with the tokens the code
buys, and RFC 9207 ``iss``. For speed only, switched off by ``OAUTHCLIENTS["FAST_PATHS"] = False``
(DOT's own path then runs, with the same tokens and answers): the ID token in hand bound to the
access token, the client's owner joined to the bearer-token load, the Grant returned by the save
instead of read back, and the transactions skipped around one INSERT or inside the caller's.
"""

import hashlib
import json
import re
from contextvars import ContextVar
from urllib.parse import urlsplit, urlunsplit

from django.db import router, transaction
from jwcrypto import jws, jwt
from oauth2_provider.models import get_access_token_model, get_grant_model
from oauth2_provider.oauth2_backends import OAuthLibCore, _add_iss_to_redirect
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant as OAuth2DeviceCodeGrant

from beerlocker_api.authentication import HEADER_ONLY_MESSAGE, token_outside_header
from beerlocker_api.dpop import challenge as dpop_challenge
from oauthclients import conf
from oauthclients.grants import AUTHORIZATION_CODE, JWS_ALGS
from oauthclients.keys import sign_jwt
from oauthclients.oauth2 import profiles
from oauthclients.oauth2.tokens import dpop
from oauthclients.oauth2.tokens.codes import code_grant


def fast_paths() -> bool:
    """Whether the speed-only overrides run (``OAUTHCLIENTS["FAST_PATHS"]``)."""
    return bool(conf.get("FAST_PATHS"))


# A "%" that does not start a percent-escape: oauthlib raises ValueError on it (a 500).
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


class BeerLockerOAuthLibCore(OAuthLibCore):
    """Escapes stray ``%`` in the query, so a malformed URL is an OAuth error, never a crash.

    DOT 3.4.1: ``OAuthLibCore._get_escaped_full_path`` builds the URI every endpoint hands to
    oauthlib; there is no public hook between the Django request and oauthlib's URI parsing.
    """

    def _get_escaped_full_path(self, request):
        parts = urlsplit(super()._get_escaped_full_path(request))
        return urlunsplit(parts._replace(query=_STRAY_PERCENT.sub("%25", parts.query)))

    def create_userinfo_response(self, request):
        # A public method of DOT's backend (OAUTH2_BACKEND_CLASS), kept beside the class it belongs
        # to: userinfo takes its token from the Authorization header only, like the API (issue 9).
        # Not from the URL, where access logs keep it (RFC 6750 §2.3), nor from a form body
        # (§2.2, which OpenID Connect Core §5.3.1 allows but does not require: the conformance
        # suite's oidcc-userinfo-post-body finishes with a warning on this error, by design).
        if token_outside_header(request):
            error = errors.InvalidRequestError(description=HEADER_ONLY_MESSAGE)
            challenge = f'Bearer error="invalid_request", error_description="{HEADER_ONLY_MESSAGE}"'
            headers = {
                "WWW-Authenticate": challenge,
                "Content-Type": "application/json",
                "Cache-Control": "no-store",
            }
            return None, headers, error.json, error.status_code
        # RFC 9449 §7.1: a token refused for DPoP's sake is answered with a DPoP challenge.
        refused = dpop.resource_error.set(None)
        try:
            uri, headers, body, status = super().create_userinfo_response(request)
            refusal = dpop.resource_error.get()
        finally:
            dpop.resource_error.reset(refused)
        if status == 401 and refusal is not None:
            headers = {
                **headers,
                "WWW-Authenticate": dpop_challenge(refusal["error"], refusal["error_description"]),
            }
            body = json.dumps(refusal)
        return uri, headers, body, status

    def extract_headers(self, request):
        # DOT's public method: the headers oauthlib reads. A DPoP-scheme token is handed to oauthlib
        # as a bearer token, marked so that the validator asks for its proof (tokens.dpop).
        return dpop.oauthlib_headers(super().extract_headers(request), request)


# The access token the current token request saved (see ``_create_access_token``), for
# ``views.TokenView`` to hand to DOT's ``app_authorized`` without reading it back.
issued_access_token: ContextVar = ContextVar("issued_access_token", default=None)


class CompatValidatorMixin:
    """Validator overrides of DOT's private methods (the validator itself uses public ones only)."""

    def _check_and_set_request_resource(self, request):
        # DOT 3.4.1: RFC 8707 narrowing of a code's token to the resources the code was granted
        # for reads the grant again, by ``request.code`` (we store only the code's checksum),
        # inside ``_save_bearer_token``, with no public hook. The grant this request already read
        # (codes.code_grant) answers instead: DOT's method does what it does for every grant
        # (normalise and validate the requested resources), then DOT's narrowing follows.
        code = getattr(request, "code", None)
        if request.grant_type != AUTHORIZATION_CODE or not code:
            return super()._check_and_set_request_resource(request)
        request.grant_type = None  # DOT: no grant-specific step
        try:
            super()._check_and_set_request_resource(request)
        finally:
            request.grant_type = AUTHORIZATION_CODE
        grant = code_grant(request, code)
        granted = []
        if grant is not None and grant.application_id == request.client.pk:
            granted = grant.resource or []
        if request.resource and granted:
            for resource in request.resource:
                if resource not in granted:
                    raise errors.CustomOAuth2Error(
                        error="invalid_target",
                        description=(
                            f"The requested resource '{resource}' is not allowed. "
                            "Token request cannot escalate resource permissions beyond the "
                            "original authorization grant"
                        ),
                        request=request,
                    )
        elif granted:
            self._validate_resource_uris(request, granted)
            request.resource = granted
        return None

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        # DOT 3.4.1 saves the access token here; ``save_bearer_token`` returns nothing, and DOT's
        # TokenView reads the token back by its value to send ``app_authorized``. The instance
        # is kept for this request (``issued_access_token``), sparing that read.
        access_token = self._save_access_token(expires, request, token, source_refresh_token)
        issued_access_token.set(access_token)
        return access_token

    def _save_access_token(self, expires, request, token, source_refresh_token):
        # DOT 3.4.1 binds an access token to the ID token issued with it by reading that ID token
        # back from its JWT (the client its ``aud`` names, then the row by ``jti``), although
        # ``finalize_id_token`` has just left the row on ``request.id_token``; no public hook
        # chooses. When the row in hand is that JWT's, it is used; otherwise DOT's method runs.
        issued = getattr(request, "id_token", None)
        signed = token.get("id_token")
        if not fast_paths() or issued is None or not signed or _unverified_jti(signed) != str(issued.jti):
            return super()._create_access_token(expires, request, token, source_refresh_token)
        access_token = get_access_token_model()(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=issued,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),  # RFC 8707
        )
        self._set_token_value(access_token, token["access_token"])
        access_token.save()
        return access_token

    def _load_access_token(self, token):
        # DOT 3.4.1: ``validate_bearer_token`` loads the token with its user and client, then asks
        # ``application.is_usable()``, which reads the client's owner (``Client.is_usable``); no
        # public hook chooses what the load joins, so the owner is joined here too: still one
        # query per bearer request (tests/oauthclients/test_flows_tokens.py's query budget).
        if not fast_paths():
            return super()._load_access_token(token)
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        # With the token's DPoP binding (RFC 9449), read by the validator: no query of its own.
        tokens = get_access_token_model().objects.select_related("application__user", "user", "dpop_binding")
        return tokens.filter(token_checksum=checksum).first()


def _unverified_jti(id_token: str) -> str | None:
    """The ``jti`` of a JWT this server has just signed, read without verifying it again."""
    unverified = jws.JWS()
    unverified.deserialize(id_token)
    return json.loads(unverified.objects["payload"]).get("jti")


def token_resources(validator, request) -> list[str]:
    """The RFC 8707 resources the token this request is issued will be bound to, decided before
    the token is made (a JWT names them in ``aud``); oauthlib's ``OAuth2Error`` when they cannot be.

    DOT 3.4.1 decides them only while saving (``_check_and_set_request_resource``, inside
    ``_save_bearer_token``), after oauthlib made the token. It is asked here first, with the same
    request; it leaves ``request.resource`` as the list it decided, which DOT's second call takes as
    it is (a list is kept; the narrowing checks pass again), so the row and the JWT agree.
    """
    validator._check_and_set_request_resource(request)
    return list(request.resource or [])


def create_authorization_code(validator, request, code: dict):
    """DOT's ``save_authorization_code``, returning the Grant it saves.

    DOT 3.4.1's ``save_authorization_code`` is one call of ``_create_authorization_code``, whose
    Grant it drops: what is stored beside the grant (the sign-in behind it) would read it back.
    """
    if not fast_paths():  # DOT's public method, then the grant read back
        OAuth2Validator.save_authorization_code(validator, request.client.client_id, code, request)
        return get_grant_model().objects.get(code=code["code"], application=request.client)
    return validator._create_authorization_code(request, code)


def save_lone_access_token(validator, token, request):
    """DOT's ``save_bearer_token`` for a token response that saves one row: an access token and no
    refresh token (client credentials).

    DOT 3.4.1 wraps ``_save_bearer_token`` in ``transaction.atomic``: BEGIN and COMMIT, two more
    round trips, around what is then a single INSERT, which autocommit already makes atomic. A
    response with a refresh token (more rows) goes through DOT's transaction unchanged.
    """
    alias = router.db_for_write(get_access_token_model())
    if not fast_paths() or token.get("refresh_token") or not transaction.get_autocommit(using=alias):
        return OAuth2Validator.save_bearer_token(validator, token, request)
    return validator._save_bearer_token(token, request)


def save_bearer_token_in_transaction(validator, token, request):
    """DOT's ``save_bearer_token`` as part of the caller's transaction.

    DOT 3.4.1's is ``_save_bearer_token`` (the method its docstring says to extend) inside
    ``transaction.atomic``, which inside a transaction is a savepoint: two statements that guard
    nothing the caller's transaction does not. Outside one, this is still a transaction.
    """
    if not fast_paths():
        return OAuth2Validator.save_bearer_token(validator, token, request)
    with transaction.atomic(using=router.db_for_write(get_access_token_model()), savepoint=False):
        return validator._save_bearer_token(token, request)


def signed_id_token(validator, id_token: dict, token, token_handler, request):
    """DOT's ``finalize_id_token`` up to the signed JWT: (the JWT, its expiry), the row unsaved.

    DOT 3.4.1 saves the ID token's row as soon as the JWT is signed, in a transaction of its own,
    with no hook in between; ``save_id_token`` saves it where the caller chooses.
    """
    claims, expiration_time = validator.get_id_token_dictionary(token, token_handler, request)
    id_token.update(**claims)
    # DOT's workaround for oauthlib bug #746.
    if "nonce" not in id_token and request.nonce:
        id_token["nonce"] = request.nonce
    algorithm = profiles.response_signing_alg(request.client, request.client.algorithm)
    if algorithm in JWS_ALGS:
        # The client's id_token_signed_response_alg (RS256, PS256 or ES256) with the server's key
        # for it, and the kid the JWKS publishes for that key and algorithm (DOT: RS256 only).
        return sign_jwt(id_token, alg=algorithm), expiration_time
    header = {"typ": "JWT", "alg": algorithm}  # DOT's HS256, signed with the client's secret
    signed = jwt.JWT(header=json.dumps(header, default=str), claims=json.dumps(id_token, default=str))
    signed.make_signed_token(request.client.jwk_key)
    return signed.serialize(), expiration_time


def save_id_token(validator, request, jti: str, expires):
    """The rest of DOT 3.4.1's ``finalize_id_token``: the ID token's row (``_save_id_token``), left
    on the request as DOT leaves it, without DOT's transaction of its own."""
    id_token = validator._save_id_token(jti, request, expires)
    request.access_token = id_token  # DOT: "needed by django rest framework"
    request.id_token = id_token
    return id_token


def add_iss_to_redirect(uri: str, issuer: str) -> str:
    """RFC 9207 ``iss`` on an authorization response, in its query or (implicit) fragment.

    DOT 3.4.1 adds ``iss`` to successful responses only, in ``AuthorizationView`` internals, and
    exposes the helper only as the private ``oauth2_backends._add_iss_to_redirect``.
    """
    return _add_iss_to_redirect(uri, issuer)


class DeviceCodeGrant(OAuth2DeviceCodeGrant):
    """oauthlib's device grant, whose token response (oauthlib 4.0.1) skips the token modifiers
    that every other grant runs: the modifiers run here, as in the code grant's, so that an
    ``openid`` device authorization gets its ID token. Private names: ``_get_default_headers`` and
    ``_token_modifiers`` (oauthlib 4.0.1's ``GrantTypeBase``); tests/oauthclients/
    test_flows_device.py's ID-token check fails if either stops doing this."""

    def create_token_response(self, request, token_handler):
        headers = self._get_default_headers()
        try:
            self.validate_token_request(request)
        except errors.OAuth2Error as error:
            headers.update(error.headers)
            return headers, error.json, error.status_code
        token = token_handler.create_token(request, refresh_token=self.refresh_token)
        for modifier in self._token_modifiers:
            token = modifier(token, token_handler, request)
        self.request_validator.save_token(token, request)
        return headers, json.dumps(token), 200
