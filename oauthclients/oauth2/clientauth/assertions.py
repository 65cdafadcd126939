"""private_key_jwt client authentication (OIDC Core §9, RFC 7523 §2.2 and §3).

The client sends ``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer``
and ``client_assertion``, a JWT it signed with a key it registered (``jwks`` or ``jwks_uri``):
``iss`` and ``sub`` are its client_id, ``aud`` names this server (the endpoint called, the token
endpoint or the issuer), ``exp`` is near, and ``jti`` is never used twice.
"""

import hashlib
import time
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings

from oauthclients.grants import JWT_BEARER_ASSERTION_TYPE, TokenEndpointAuthMethod
from oauthclients.models import Client, ClientAssertionUse
from oauthclients.oauth2 import profiles
from oauthclients.oauth2.clientauth.client_keys import UnverifiedJWT, unverified_payload, verified_claims

# Clock skew tolerated on exp/iat/nbf, and how far ahead an assertion may expire: a client makes
# a fresh one for each request, so a long-lived one is a bearer credential in disguise.
LEEWAY_SECONDS = 60
MAX_LIFETIME_SECONDS = 600


def presented(request) -> bool:
    """The request carries a client assertion (or says it does)."""
    return bool(getattr(request, "client_assertion", None) or getattr(request, "client_assertion_type", None))


def claimed_client_id(request) -> str | None:
    """The client the request's assertion names (``sub``, else ``iss``), read without verifying
    it: for attributing a failure, never for trusting anything. None when it cannot be read."""
    assertion = getattr(request, "client_assertion", None)
    if not isinstance(assertion, str):
        return None
    try:
        payload = unverified_payload(assertion)
    except UnverifiedJWT:
        return None
    for name in ("sub", "iss"):
        value = payload.get(name)
        if isinstance(value, str) and value and "\x00" not in value and len(value) <= 255:
            return value
    return None


def _accepted_audiences(request) -> set[str]:
    """The issuer, the token endpoint, and the endpoint this request was sent to (without query)."""
    issuer = oauth2_settings.oidc_issuer(request)
    called = (request.uri or "").split("?", 1)[0]
    origin = "/".join(issuer.split("/", 3)[:3])
    if called.startswith("/"):
        # DOT hands oauthlib the path alone at some endpoints (revocation): the endpoint called
        # is the one on this server's origin.
        called = origin + called
    token_endpoint = origin + reverse("oauth2_provider:token")
    return {issuer, called, token_endpoint, called.rstrip("/"), token_endpoint + "/"}


def _jti_record(client: Client, jti: str, exp: int) -> bool:
    """Record ``jti`` as used for as long as an assertion carrying it could still be accepted
    (``exp`` plus the leeway ``_claims_problem`` grants); False when it was used already (a replay).
    The row, not a per-process cache, remembers it: every process and instance shares it."""
    now = timezone.now()
    ClientAssertionUse.objects.filter(expires__lt=now).delete()
    try:
        with transaction.atomic():
            ClientAssertionUse.objects.create(
                client=client,
                jti_checksum=hashlib.sha256(jti.encode()).hexdigest(),
                expires=datetime.fromtimestamp(exp + LEEWAY_SECONDS, tz=UTC),
            )
    except IntegrityError:
        return False
    return True


def _audience_problem(audience, client: Client, request) -> str | None:
    """Any client may name the issuer, the token endpoint or the endpoint called (a string or in
    a list); a FAPI 2.0 client only the issuer identifier, as a string (FAPI 2.0 Security Profile
    §5.3.2.1: an assertion made for another server's endpoint is never accepted here)."""
    if client.is_fapi2:
        if audience != oauth2_settings.oidc_issuer(request):
            return "aud must be the issuer identifier"
        return None
    audience = [audience] if isinstance(audience, str) else audience
    if not isinstance(audience, list) or not set(audience) & _accepted_audiences(request):
        return "aud must name this server"
    return None


def _claims_problem(claims: dict, client: Client, request) -> str | None:
    now = time.time()
    if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
        return "iss and sub must be the client_id"
    if problem := _audience_problem(claims.get("aud"), client, request):
        return problem
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return "exp is required"
    # The jti is remembered exactly this long (``_jti_record``): accepted means remembered.
    if exp <= now - LEEWAY_SECONDS or exp > now + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
        return "exp is past or too far ahead"
    for name in ("iat", "nbf"):
        value = claims.get(name)
        if value is not None and (not isinstance(value, int | float) or value > now + LEEWAY_SECONDS):
            return f"{name} is in the future"
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        return "jti is required"
    return None


def authenticate(request) -> bool:
    """RFC 7523 §3 checks of the request's client assertion; sets ``request.client`` (and
    ``client_id``) on success. Any client secret sent alongside is a failure (RFC 6749 §2.3)."""
    if getattr(request, "client_assertion_type", None) != JWT_BEARER_ASSERTION_TYPE:
        return False
    assertion = getattr(request, "client_assertion", None)
    if not isinstance(assertion, str) or getattr(request, "client_secret", None):
        return False
    from oauthclients.oauth2.clientauth.authenticate import load_client  # which imports this module

    try:
        # Read before verifying, to find whose keys verify it; trusted only once they do.
        claimed = unverified_payload(assertion).get("sub")
    except UnverifiedJWT:
        return False
    body_client_id = getattr(request, "client_id", None)
    if not isinstance(claimed, str) or (body_client_id and body_client_id != claimed):
        return False
    client = load_client(claimed, request)
    if client is None or client.token_endpoint_auth_method != TokenEndpointAuthMethod.PRIVATE_KEY_JWT:
        return False
    try:
        claims = verified_claims(client, assertion, algs=profiles.client_key_algs(client))
    except UnverifiedJWT:
        return False
    if _claims_problem(claims, client, request) or not _jti_record(client, claims["jti"], claims["exp"]):
        return False
    request.client = client
    request.client_id = client.client_id
    return True
