"""The OpenID Connect claims Beer Locker releases about a user, and under which scope.

One table (``CLAIMS``) feeds the ID token, userinfo and discovery's ``claims_supported``. A claim
whose value is empty is left out altogether (OIDC Core §5.3.2: never ``""`` or ``null``).
"""

from collections.abc import Callable

# claim -> (scope that releases it, how to read it from the user)
CLAIMS: dict[str, tuple[str, Callable]] = {
    "preferred_username": ("profile", lambda user: user.get_username()),
    "name": ("profile", lambda user: user.get_full_name()),
    "given_name": ("profile", lambda user: user.first_name),
    "family_name": ("profile", lambda user: user.last_name),
    "email": ("email", lambda user: user.email),
    # True only for an address the project verified (its adapter's ``email_verified``).
    "email_verified": ("email", lambda user: email_verified(user) if user.email else None),
}


def email_verified(user) -> bool:
    """Whether the project verified ``user``'s address; False when it cannot say."""
    from oauthclients.adapter import get_adapter

    return bool(get_adapter().email_verified(user))


def has_value(value) -> bool:
    """False for what OIDC Core §5.3.2 says to omit: no value, or an empty string or list."""
    return value is not None and value != "" and value != [] and value != {}


def without_empty(claims: dict) -> dict:
    """``claims`` minus the ones without a value."""
    return {name: value for name, value in claims.items() if has_value(value)}


def claim_scopes() -> dict[str, str]:
    """Which scope releases each claim (DOT's ``oidc_claim_scope``)."""
    return {name: scope for name, (scope, _read) in CLAIMS.items()}


def claim_readers() -> dict[str, Callable]:
    """DOT's request-agnostic ``get_additional_claims``: claim -> callable(oauthlib request)."""
    return {name: (lambda request, read=read: read(request.user)) for name, (_scope, read) in CLAIMS.items()}
