"""JWT access tokens (RFC 9068): which tokens are JWTs, their claims, their signing key, and the
revocation marks resources read (``beerlocker_api.jwt_access`` verifies them).

A token is a JWT when its client registered ``access_token_format: "jwt"`` or when it is bound to a
resource listed in ``OAUTHCLIENTS["JWT_ACCESS_TOKEN_RESOURCES"]``; every other token stays opaque,
unchanged. The server (``oauthclients.oauth2.server.Server``) hands oauthlib's bearer token the two
functions below: ``token_expires_in`` decides (oauthlib asks it first) and ``token_generator``
signs. DOT then saves the row as for any token: by the JWT's checksum, with the same expiry and
resources, so introspection, revocation, listing authorized applications and logout work unchanged.

A JWT access token is verified where it is spent without the database; its revocation reaches the
resources through the shared cache: every place a token row is deleted (DOT's revocation, a
rotation, ``services`` revoking a user's or a client's tokens, a cascade from a deleted user or
client) passes through ``access_token_deleted``, and a deactivated account marks its user and
its clients (``account_saved``).
"""

import json
import time
import uuid

from django.utils import timezone
from jwcrypto import jwt
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem
from oauthlib.oauth2.rfc6749 import errors

from beerlocker_api import jwt_access as verification
from beerlocker_api import resource as api_resource
from oauthclients import conf
from oauthclients.grants import CLIENT_CREDENTIALS, AccessTokenFormat
from oauthclients.oauth2.tokens.audience import refuse_unknown_resources, request_origin


def signing_key(client):
    """(the key, its JWS ``alg``) that signs the client's JWT access tokens: the server's OpenID
    Connect key (the one DOT's ``Application.jwk_key`` gives an RS256 client, published in the
    JWKS). The one place a choice of algorithm per client plugs in; never a client's secret (an
    HS256 client's ``jwk_key``): a resource could not verify that."""
    return jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY), "RS256"


def token_cnf(request) -> dict | None:
    """The ``cnf`` claim (RFC 7800) binding the token to a key of the client, else None.

    DPoP (RFC 9449 §6.1): ``{"jkt": <thumbprint>}`` when the token request carried a proof, the
    key ``dpop.bind_issued`` binds the token's row to; a resource then refuses it as a Bearer token."""
    from oauthclients.oauth2.tokens.dpop import proved_jkt

    jkt = proved_jkt.get()
    return {"jkt": jkt} if jkt else None


def jwt_resources(origin: str) -> list[str]:
    """``JWT_ACCESS_TOKEN_RESOURCES`` as absolute URIs seen from ``origin``."""
    return [api_resource.resolve(identifier, origin) for identifier in conf.get("JWT_ACCESS_TOKEN_RESOURCES")]


def _decide(validator, request) -> list[str] | None:
    """The audience of the JWT access token this token request gets, or None for an opaque one.
    Kept on the request: oauthlib asks for the lifetime, then for the token."""
    if hasattr(request, "jwt_access_token_audience"):
        return request.jwt_access_token_audience
    request.jwt_access_token_audience = None
    client = getattr(request, "client", None)
    wanted_by_client = getattr(client, "access_token_format", None) == AccessTokenFormat.JWT
    if client is None or (not wanted_by_client and not conf.get("JWT_ACCESS_TOKEN_RESOURCES")):
        return None  # an opaque token, and nothing read that DOT would not read
    from oauthclients.oauth2 import compat  # compat imports the models

    try:
        refuse_unknown_resources(request)
        resources = compat.token_resources(validator, request)
    except errors.OAuth2Error:
        return None  # saving refuses the request with this error; nothing is issued
    origin = request_origin(request)
    if not wanted_by_client:
        listed = jwt_resources(origin)
        if not any(api_resource.same_resource(bound, ours) for bound in resources for ours in listed):
            return None
    if not resources:
        # RFC 9068 §3: a JWT names its audience; unasked, it is the API. The row stays bound to
        # nothing, as an opaque token asked for no resource: the server's own endpoints that read
        # the row (userinfo) accept it as they accept such a token.
        resources = [api_resource.api_resource_at(origin)]
    request.jwt_access_token_audience = resources
    return resources


def token_expires_in(validator, default):
    """oauthlib's ``expires_in``: ``JWT_ACCESS_TOKEN_EXPIRE_SECONDS`` for a JWT, else ``default``."""

    def expires_in(request) -> int:
        if _decide(validator, request) is not None:
            return conf.get("JWT_ACCESS_TOKEN_EXPIRE_SECONDS")
        return default(request) if callable(default) else default

    return expires_in


def token_generator(validator, opaque):
    """oauthlib's ``token_generator``: a signed JWT access token when ``_decide`` says so, else
    ``opaque(request)``."""

    def generate(request) -> str:
        audience = _decide(validator, request)
        if audience is None:
            return opaque(request)
        return signed_access_token(request, audience)

    return generate


def access_token_claims(request, audience: list[str]) -> dict:
    """RFC 9068 §2.2's claims for the token this request is issued."""
    from oauthclients.oauth2.tokens import sign_in

    client = request.client
    now = int(time.time())
    user = None if request.grant_type == CLIENT_CREDENTIALS else getattr(request, "user", None)
    claims = {
        "iss": oauth2_settings.oidc_issuer(request),
        "exp": now + int(request.expires_in),
        "aud": audience[0] if len(audience) == 1 else audience,
        # §2.2: the resource owner, or the client itself when there is none.
        "sub": str(user.pk) if user is not None else client.client_id,
        "client_id": client.client_id,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "scope": " ".join(request.scopes or []),
    }
    if user is not None:
        # §2.2.1: how and when the user signed in, when known (as the ID token says it; a password
        # grant's password too): what the API's step-up (RFC 9470) reads.
        auth_time, acr = sign_in.token_request_sign_in(request)
        if auth_time is not None:
            claims["auth_time"] = int(auth_time)
        if acr:
            claims["acr"] = acr
    cnf = token_cnf(request)
    if cnf is not None:
        claims["cnf"] = cnf
    return claims


def signed_access_token(request, audience: list[str]) -> str:
    """The compact JWS of the token this request is issued (header ``typ: at+jwt``, RFC 9068 §2.1)."""
    key, alg = signing_key(request.client)
    header = {"typ": verification.TOKEN_TYPE, "alg": alg, "kid": key.thumbprint()}
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(access_token_claims(request, audience)))
    token.make_signed_token(key)
    return token.serialize()


# --- Revocation marks (receivers connected in apps.py) ---------------------------------------------


def access_token_deleted(sender, instance, **kwargs) -> None:
    """``post_delete`` of an access token row: its JWT, if it is one, is refused from now on.

    A row does not say whether its token was a JWT (DOT keeps only the checksum), so every
    unexpired one is marked: one cache write. Within the deleting transaction: a cache that cannot
    be written fails the revocation rather than leaving the token usable."""
    if instance.expires > timezone.now():
        verification.revoke_tokens([(instance.token_checksum, instance.expires)])


def account_saved(sender, instance, **kwargs) -> None:
    """``post_save`` of a user: a deactivated account's JWT access tokens, and those of the clients
    it owns (which stop working with it, ``Client.is_usable``), are refused from now on."""
    if instance.is_active:
        return
    from oauthclients.models import Client

    client_ids = list(Client.objects.filter(user=instance).values_list("client_id", flat=True))
    verification.refuse_tokens_issued_before_now(
        user_pks=[instance.pk], client_ids=client_ids, ttl=conf.get("JWT_ACCESS_TOKEN_EXPIRE_SECONDS")
    )
