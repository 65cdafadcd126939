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
rotation, a refresh token's reuse revoking its family, ``services`` revoking a user's or a
client's tokens, a queryset's ``delete()``, the admin's bulk delete, a cascade from a deleted user
or client) passes through ``access_token_deleted``, and a deactivated account marks its user and
its clients (``account_saved``, ``users_disabled``).

What Django sends no signal for is watched too (``watch_bulk_changes``, installed in ``apps.py``):
a queryset ``update()`` or ``bulk_update()`` of the user model that sets ``is_active`` to anything
but ``True`` marks those users (and their clients), and one of the access token model that changes
what a resource reads (expiry, scope, resources, user, client) marks those tokens revoked, as the
row would refuse an opaque token. Only raw SQL bypasses both; a script that changes these tables
with it calls ``users_disabled`` or ``beerlocker_api.jwt_access.revoke_tokens`` itself, or a
token stays usable until it expires (``JWT_ACCESS_TOKEN_EXPIRE_SECONDS``).
"""

import json
import time
import uuid

from django.db import transaction
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
    from oauthclients.oauth2.oidc import authn
    from oauthclients.oauth2.tokens import codes

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
        # §2.2.1: how and when the user signed in, when known (as the ID token says it).
        code = getattr(request, "code", None)
        record = codes.code_authentication(codes.code_grant(request, code)) if code else None
        auth_time, acr = authn.id_token_authentication(request, record)
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


def access_token_changing(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """``pre_save`` of an access token row that exists already: when the save changes what the
    token's claims say (``ACCESS_TOKEN_FIELDS_IN_CLAIMS``), the JWT the row stood for is refused
    from now on. DOT saves a row again when a refresh does not rotate (the row gets the new
    token's checksum: the old JWT would otherwise live on), and the admin's change form does.
    One query, on such saves only (a new row is an INSERT and reads nothing)."""
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not ACCESS_TOKEN_FIELDS_IN_CLAIMS & set(update_fields):
        return
    fields = ("token_checksum", "expires", "scope", "resource", "user_id", "application_id")
    stored = sender._base_manager.filter(pk=instance.pk).values_list(*fields).first()
    if stored is not None and tuple(getattr(instance, name) for name in fields) != stored:
        verification.revoke_tokens([(stored[0], stored[1])])


def account_saved(sender, instance, **kwargs) -> None:
    """``post_save`` of a user: a deactivated account's JWT access tokens, and those of the clients
    it owns (which stop working with it, ``Client.is_usable``), are refused from now on."""
    if not instance.is_active:
        users_disabled([instance.pk])


def users_disabled(user_pks) -> None:
    """Refuse from now on every JWT access token issued until now for these users, and for the
    clients they own (which stop working with them, ``Client.is_usable``). One query, one cache
    write."""
    user_pks = list(user_pks)
    if not user_pks:
        return
    from oauthclients.models import Client

    client_ids = list(Client.objects.filter(user__in=user_pks).values_list("client_id", flat=True))
    verification.refuse_tokens_issued_before_now(
        user_pks=user_pks, client_ids=client_ids, ttl=conf.get("JWT_ACCESS_TOKEN_EXPIRE_SECONDS")
    )


# --- Bulk changes Django sends no signal for ---------------------------------------------------------

# The access token fields a resource reads from the row of an opaque token and from the claims of
# a JWT: a bulk change to any of them leaves the JWT saying something the row no longer does.
ACCESS_TOKEN_FIELDS_IN_CLAIMS = frozenset(
    {"expires", "scope", "resource", "user", "user_id", "application", "application_id", "token_checksum"}
)


class UserBulkChangesMarked:
    """Mixed into the user model's default queryset: a bulk deactivation marks the users it
    deactivates, as ``account_saved`` marks one saved. Anything but ``is_active=True`` counts (an
    expression may deactivate): the rows it matched are marked, which fails closed."""

    def update(self, **kwargs):
        if "is_active" not in kwargs or kwargs["is_active"] is True:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            user_pks = list(self.values_list("pk", flat=True))
            rows = super().update(**kwargs)
            users_disabled(user_pks)
        return rows

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        rows = super().bulk_update(objs, fields, *args, **kwargs)
        if "is_active" in fields:
            users_disabled([user.pk for user in objs if user.is_active is not True])
        return rows


class AccessTokenBulkChangesMarked:
    """Mixed into the access token model's default queryset: a bulk change of what the claims
    say (``ACCESS_TOKEN_FIELDS_IN_CLAIMS``, e.g. ``update(expires=now)``) revokes the JWTs of the
    rows it changes, as deleting them would."""

    def update(self, **kwargs):
        if not ACCESS_TOKEN_FIELDS_IN_CLAIMS & set(kwargs):
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            changed = list(self.values_list("token_checksum", "expires"))
            rows = super().update(**kwargs)
            verification.revoke_tokens(changed)
        return rows

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if ACCESS_TOKEN_FIELDS_IN_CLAIMS & set(fields):
            # The checksums and expiries the resources know the tokens by: as they were.
            pks = [token.pk for token in objs]
            known = list(self.model._base_manager.filter(pk__in=pks).values_list("token_checksum", "expires"))
            rows = super().bulk_update(objs, fields, *args, **kwargs)
            verification.revoke_tokens(known)
            return rows
        return super().bulk_update(objs, fields, *args, **kwargs)


def watch_bulk_changes(model, mixin) -> None:
    """Make ``model``'s default manager (``Model.objects`` and every queryset made from it, the
    admin's included) use its queryset class with ``mixin`` in front. Written against Django
    5.2's ``Manager._queryset_class``; tests/oauthclients/test_jwt_revocation_paths.py fails if a
    bulk change stops being seen."""
    manager = model._default_manager
    queryset_class = manager._queryset_class
    if not issubclass(queryset_class, mixin):
        name = f"{mixin.__name__}{queryset_class.__name__}"
        combined = type(name, (mixin, queryset_class), {"__module__": __name__, "__qualname__": name})
        globals()[name] = combined  # importable by name: a pickled queryset finds its class
        manager._queryset_class = combined
