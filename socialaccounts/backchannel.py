"""OpenID Connect Back-Channel Logout 1.0 as the relying party (the generic OIDC backend).

At sign-in (``remember_provider_session``, a pipeline step) the ID token's ``iss``, ``sub`` and
``sid`` are kept in the local session's data and as a ``ProviderSession`` row. When the provider
POSTs a logout token (``BackChannelLogoutView``), it is validated fully (``logout_token_claims``:
signature against the provider's JWKS, ``iss``, ``aud``, ``iat``, ``events``, no ``nonce``, ``sub``
and/or ``sid``, ``jti`` never seen before) and the local sessions that sign-in created end through
the project's session service (the adapter's ``end_sessions``, ``socialaccounts.adapter``).
"""

import time

import jwt
from django.core.cache import cache
from django.db import transaction
from social_core.exceptions import SocialAuthBaseException

from socialaccounts.adapter import get_adapter
from socialaccounts.models import ProviderSession, SocialAccount

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# Where the sign-in's provider session is kept in the local session's data.
SESSION_KEY = "socialaccounts_provider_session"
# A logout token issued longer ago than this is refused (§2.6 step 6 allows a bound).
MAX_AGE_SECONDS = 600
JWT_LEEWAY_SECONDS = 60


class InvalidLogoutToken(Exception):
    """The logout token is not one this relying party accepts (the endpoint answers 400)."""


def remember_provider_session(backend, user=None, *args, **kwargs):
    """Pipeline step: keep the OpenID provider's session behind this sign-in (OIDC backends only)."""
    claims = getattr(backend, "id_token", None)
    if user is None or not isinstance(claims, dict) or not claims.get("sub") or not claims.get("iss"):
        return
    facts = {"iss": claims["iss"], "sub": str(claims["sub"]), "sid": str(claims.get("sid") or "")}
    backend.strategy.session_set(SESSION_KEY, facts)
    ProviderSession.objects.create(issuer=facts["iss"], sub=facts["sub"], sid=facts["sid"], user=user)


def logout_token_claims(backend, token: str) -> dict:
    """The claims of a valid logout token for ``backend``'s provider, else InvalidLogoutToken."""
    try:
        header = jwt.get_unverified_header(token)
        key = backend.find_valid_key(token)
    except (jwt.PyJWTError, ValueError, SocialAuthBaseException) as error:
        raise InvalidLogoutToken("The logout token is not a signed JWT.") from error
    # §2.4's explicit type, or none at all (the events claim and the nonce rule tell an ID token
    # apart): any other type is another kind of JWT.
    if header.get("typ") not in (None, "JWT", "logout+jwt"):
        raise InvalidLogoutToken("The token is not a logout token (typ).")
    if key is None:
        raise InvalidLogoutToken("The logout token's signature does not verify with the provider's keys.")
    client_id, _secret = backend.get_key_and_secret()
    try:
        claims = jwt.decode(
            token,
            jwt.PyJWK(key).key,
            algorithms=backend.setting("JWT_ALGORITHMS", backend.JWT_ALGORITHMS),
            audience=client_id,
            issuer=backend.id_token_issuer(),
            options={"require": ["iss", "aud", "iat", "jti"]},
            leeway=JWT_LEEWAY_SECONDS,
        )
    except jwt.PyJWTError as error:
        raise InvalidLogoutToken(f"The logout token is invalid: {error}.") from error
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise InvalidLogoutToken("The logout token has no back-channel logout event.")
    if "nonce" in claims:
        raise InvalidLogoutToken("A logout token must not carry a nonce.")
    if not (isinstance(claims.get("sub"), str) and claims["sub"]) and not (
        isinstance(claims.get("sid"), str) and claims["sid"]
    ):
        raise InvalidLogoutToken("The logout token names neither sub nor sid.")
    if not isinstance(claims["iat"], int) or claims["iat"] < time.time() - MAX_AGE_SECONDS:
        raise InvalidLogoutToken("The logout token is too old.")
    # Replay: each jti once, remembered until the token could no longer be accepted anyway.
    ttl = MAX_AGE_SECONDS + 2 * JWT_LEEWAY_SECONDS
    if not cache.add(f"socialaccounts:logout-jti:{claims['iss']}:{claims['jti']}", True, timeout=ttl):
        raise InvalidLogoutToken("The logout token was already used.")
    return claims


def _matches(claims: dict):
    def where(session_data: dict) -> bool:
        facts = session_data.get(SESSION_KEY) or {}
        if facts.get("iss") != claims["iss"]:
            return False
        if claims.get("sid"):
            return facts.get("sid") == claims["sid"] and (
                not claims.get("sub") or facts.get("sub") == claims["sub"]
            )
        return facts.get("sub") == claims["sub"]

    return where


@transaction.atomic
def provider_logout(*, backend_name: str, claims: dict) -> int:
    """End the local sessions the provider's session (``sid``) or account (``sub``) signed in;
    returns how many ended."""
    records = ProviderSession.objects.filter(issuer=claims["iss"])
    records = records.filter(sid=claims["sid"]) if claims.get("sid") else records.filter(sub=claims["sub"])
    user_ids = set(records.values_list("user_id", flat=True))
    if claims.get("sub"):
        user_ids |= set(
            SocialAccount.objects.filter(provider=backend_name, uid=claims["sub"]).values_list(
                "user_id", flat=True
            )
        )
    adapter = get_adapter()
    ended = 0
    for user_id in user_ids:
        ended += adapter.end_sessions(user_id=user_id, where=_matches(claims))
    records.delete()
    return ended
