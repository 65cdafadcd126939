"""The sign-in behind each access token (``acr``, ``auth_time``), for the API's step-up (RFC 9470).

Which sign-in a token request's tokens stand for (``token_request_sign_in``), by grant:

- authorization code (and implicit/hybrid): the browser sign-in the code was issued after (its
  ``CodeAuthentication``), as the ID token says;
- refresh token: the sign-in of the access token it was issued with, else the one behind the code
  that started the family (``AuthorizationCodeRedemption``): a refresh never raises the level;
- password grant: a password, now (``ACR_PASSWORD``); with a personal access token as the
  password (``OAuthClientsAdapter.password_grant_token``): none, a token stands for no sign-in;
- device grant (RFC 8628): the sign-in of the browser that allowed the device
  (``DeviceGrantSignIn``);
- client credentials: none (no user); token exchange: none (a provider's token, one factor, and
  no sign-in here), so no step-up requirement is met by its tokens.

A JWT access token carries it as ``acr`` and ``auth_time`` claims (``jwt_access``); every token
with a known sign-in also gets an ``AccessTokenSignIn`` row, saved in the transaction that saves
the token and joined to the API's token lookup, so checking it costs no query.
"""

import hashlib
import time
from datetime import UTC, datetime

from django.core.exceptions import ObjectDoesNotExist

from beerlocker_api.stepup import SIGN_IN_RELATED_NAME
from oauthclients.grants import CLIENT_CREDENTIALS, REFRESH_TOKEN
from oauthclients.models import AccessTokenSignIn

# On an oauthlib request: (auth_time, acr) a grant decided itself (the password grant).
GRANT_SIGN_IN = "grant_sign_in"
_CACHED = "_token_request_sign_in"


def password_sign_in(request) -> None:
    """The password grant checked the user's password just now: a password sign-in, at this time."""
    from oauthclients.oauth2.oidc import authn

    setattr(request, GRANT_SIGN_IN, (int(time.time()), authn.ACR_PASSWORD))


def no_sign_in(request) -> None:
    """The grant's credential stands for no sign-in (a personal access token as the password)."""
    setattr(request, GRANT_SIGN_IN, (None, None))


def device_sign_in(request, grant) -> None:
    """A device's tokens stand for the sign-in of the browser that allowed it (read with the grant
    by ``devices.device_poll``: no query), or for none when it was not known."""
    try:
        row = getattr(grant, SIGN_IN_RELATED_NAME)
    except ObjectDoesNotExist:
        row = None
    if row is None:
        setattr(request, GRANT_SIGN_IN, (None, None))
        return
    auth_time = int(row.auth_time.timestamp()) if row.auth_time else None
    setattr(request, GRANT_SIGN_IN, (auth_time, row.acr or None))


def _refresh_sign_in(request) -> tuple[int | None, str | None] | None:
    refresh = getattr(request, "refresh_token_instance", None)
    access_token_id = getattr(refresh, "access_token_id", None)
    if access_token_id is None:
        return None
    row = AccessTokenSignIn.objects.filter(access_token_id=access_token_id).first()
    if row is None:
        return None
    return (int(row.auth_time.timestamp()) if row.auth_time else None), row.acr or None


def token_request_sign_in(request) -> tuple[int | None, str | None]:
    """(auth_time, acr) of the sign-in behind the tokens this token request is issued, decided once
    per request (the JWT's claims and the row ask alike)."""
    cached = getattr(request, _CACHED, None)
    if cached is not None:
        return cached
    from oauthclients.oauth2.oidc import authn
    from oauthclients.oauth2.tokens import codes

    found: tuple[int | None, str | None]
    if request.grant_type == CLIENT_CREDENTIALS or getattr(request, "user", None) is None:
        found = (None, None)
    elif getattr(request, GRANT_SIGN_IN, None) is not None:
        found = getattr(request, GRANT_SIGN_IN)
    else:
        previous = _refresh_sign_in(request) if request.grant_type == REFRESH_TOKEN else None
        if previous is not None:
            found = previous
        else:
            code = getattr(request, "code", None)
            record = codes.code_authentication(codes.code_grant(request, code)) if code else None
            found = authn.id_token_authentication(request, record)
    setattr(request, _CACHED, found)
    return found


def record_issued(token: dict, request) -> None:
    """Keep the sign-in behind the access token this request has just saved (inside the
    transaction that saved it), when one is known."""
    auth_time, acr = token_request_sign_in(request)
    if auth_time is None and not acr:
        return
    if getattr(request, "refreshed_in_place", False):
        return  # a refresh without rotation (FAPI 2.0): the same row, with the same sign-in already
    from oauthclients.oauth2.compat import issued_access_token  # compat imports the validator's modules

    access_token = issued_access_token.get()
    checksum = hashlib.sha256(token["access_token"].encode()).hexdigest()
    if access_token is None or access_token.token_checksum != checksum:
        return  # DOT's grace period re-issued an earlier token pair: nothing new to record
    AccessTokenSignIn.objects.create(
        access_token=access_token,
        acr=acr or "",
        auth_time=datetime.fromtimestamp(auth_time, tz=UTC) if auth_time is not None else None,
    )
