"""Step-up at the API (RFC 9470): a scope may need a stronger or a more recent sign-in.

``BEERLOCKER_API["STEP_UP_SCOPES"]`` maps a scope to what the sign-in behind a token must be for a
request that needs that scope (the scopes a view lists for the method, ``permissions``)::

    BEERLOCKER_API = {
        "STEP_UP_SCOPES": {"sessions:write": {"acr": "urn:beerlocker:acr:mfa", "max_age": 600}},
        "ACR_SATISFIES": "oauthclients.oauth2.oidc.authn.acr_satisfies",
    }

``acr``: the least level (an OpenID ``acr`` value); ``max_age``: seconds since that sign-in
(either may be left out). A token whose sign-in falls short is refused with 401 and RFC 9470's
``insufficient_user_authentication`` challenge, naming ``acr_values`` and ``max_age``: the client
sends its user through the authorization endpoint again with those parameters and gets a token
that passes. ``ACR_SATISFIES`` names ``(achieved, wanted) -> bool``, the order of the levels (the
authorization server knows it; this package does not import it); empty: only the same value.

What a token says of its sign-in, read without a query (``token_sign_in``): a JWT access token's
``acr`` and ``auth_time`` claims (RFC 9068 §2.2.1), else the row the authorization server keeps
with an opaque token (``SIGN_IN_RELATED_NAME``, a reverse one-to-one the API's token lookup joins
in its one query), else nothing: a token that says nothing of a sign-in (a personal access token,
a client's own token) satisfies no requirement.
"""

import time

from django.core.exceptions import ObjectDoesNotExist
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy, gettext_noop
from rest_framework import authentication, exceptions

from beerlocker_api import conf, dpop

# The reverse one-to-one from an access token to the sign-in behind it (acr, auth_time), which
# the authorization server's app provides (oauthclients.models.AccessTokenSignIn).
SIGN_IN_RELATED_NAME = "sign_in"

ERROR = "insufficient_user_authentication"
# English in the challenge (ASCII); the JSON detail is the reader's language.
LEVEL_MESSAGE = gettext_noop(
    "A stronger sign-in is required: sign in again with the level named in acr_values."
)
RECENT_MESSAGE = gettext_noop("A more recent sign-in is required: sign in again within max_age seconds.")


def requirements(scopes) -> list[dict]:
    """The step-up requirements (``{"acr": ..., "max_age": ...}``) of ``scopes``, in their order."""
    configured = conf.get("STEP_UP_SCOPES") or {}
    return [configured[scope] for scope in scopes or () if scope in configured]


def stepped_up_scopes() -> set[str]:
    """Every scope that needs a level or a recent sign-in."""
    return set(conf.get("STEP_UP_SCOPES") or {})


def acr_satisfies(achieved: str | None, wanted: str | None) -> bool:
    """Whether a sign-in at ``achieved`` meets ``wanted`` (``ACR_SATISFIES``; default: equal)."""
    if not wanted:
        return True
    path = conf.get("ACR_SATISFIES")
    if path:
        return bool(import_string(path)(achieved, wanted))
    return achieved == wanted


def token_sign_in(token) -> tuple[str | None, float | None]:
    """(acr, auth_time as a timestamp) of the sign-in behind ``token``, (None, None) when it says
    nothing; no query when the token came from the API's lookup or is a JWT."""
    claims = getattr(token, "jwt_claims", None)
    if isinstance(claims, dict):
        auth_time = claims.get("auth_time")
        return claims.get("acr") or None, float(auth_time) if isinstance(auth_time, int | float) else None
    try:
        sign_in = getattr(token, SIGN_IN_RELATED_NAME)
    except (AttributeError, ObjectDoesNotExist):  # not an OAuth token, or no sign-in recorded
        return None, None
    if sign_in is None:
        return None, None
    return sign_in.acr or None, sign_in.auth_time.timestamp() if sign_in.auth_time else None


class InsufficientUserAuthentication(exceptions.APIException):
    """401 with RFC 9470's challenge: the token is right, the sign-in behind it is not enough."""

    status_code = 401
    default_code = ERROR

    def __init__(self, *, acr_values: list[str], max_age: int | None, scheme: str):
        description = LEVEL_MESSAGE if acr_values else RECENT_MESSAGE
        super().__init__(gettext_lazy(description))
        params = ['realm="api"', f'error="{ERROR}"', f'error_description="{description}"']
        if acr_values:
            params.append(f'acr_values="{" ".join(acr_values)}"')
        if max_age is not None:
            params.append(f'max_age="{max_age}"')
        if scheme == dpop.SCHEME:
            params.append(f'algs="{" ".join(dpop.signing_algs())}"')
        # DRF's exception handler copies ``auth_header`` into the WWW-Authenticate header.
        self.auth_header = f"{scheme} " + ", ".join(params)


def _scheme(request) -> str:
    """The challenge's scheme: DPoP for a request made with a DPoP-bound token (RFC 9449 §7.1)."""
    sent = authentication.get_authorization_header(request).split(b" ", 1)[0].lower()
    return dpop.SCHEME if sent == dpop.SCHEME.lower().encode() else "Bearer"


def require_sign_in(request, scopes, token) -> None:
    """Raise ``InsufficientUserAuthentication`` unless the sign-in behind ``token`` meets every
    requirement of ``scopes`` (nothing to do, and nothing read, when none has one)."""
    wanted = requirements(scopes)
    if not wanted:
        return
    acr, auth_time = token_sign_in(token)
    acr_values: list[str] = []
    max_ages: list[int] = []
    for requirement in wanted:
        level = requirement.get("acr")
        if level and not acr_satisfies(acr, level) and level not in acr_values:
            acr_values.append(level)
        max_age = requirement.get("max_age")
        if max_age is not None and (auth_time is None or time.time() - auth_time > max_age):
            max_ages.append(int(max_age))
    if acr_values or max_ages:
        # Asking again for a level: the tightest max_age of the scopes goes with it, so the token
        # the client comes back with is fresh enough for all of them.
        every_max_age = [int(r["max_age"]) for r in wanted if r.get("max_age") is not None]
        max_age = min(max_ages or every_max_age) if (max_ages or every_max_age) else None
        raise InsufficientUserAuthentication(acr_values=acr_values, max_age=max_age, scheme=_scheme(request))
