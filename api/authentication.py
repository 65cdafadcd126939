import hashlib

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import get_access_token_model


def bearer_token(request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive), else None."""
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def usable_access_token(request, token: str):
    """The access token ``token`` names when it may be used right now, in one indexed query, else None.

    The checks are the ones DOT's ``OAuth2Validator.validate_bearer_token`` and the server's
    validator make, on the same row: a revoked token no longer exists (DOT deletes it), an
    expired one is refused, a token whose application is no longer usable is refused, and a
    token acting for a deactivated user is refused (Django's way to lock an account). A token
    restricted to resources (RFC 8707) is left to DOT, which knows how to match the audience.
    """
    checksum = hashlib.sha256(token.encode()).hexdigest()
    access_token = (
        get_access_token_model()
        .objects.select_related("application", "user")
        .filter(token_checksum=checksum)
        .first()
    )
    if access_token is None or access_token.resource or access_token.is_expired():
        return None
    application = access_token.application
    if application is not None and not application.is_usable(request):
        return None
    if access_token.user is not None and not access_token.user.is_active:
        return None
    return access_token


class BearerAuthentication(OAuth2Authentication):
    """DOT's bearer authentication whose 401 challenge also names Basic, the API's other way in.

    A token in the ``Authorization`` header that is valid right now is accepted after one indexed
    query (``usable_access_token``), without oauthlib's resource-endpoint round trip, which costs
    more than the whole rest of a list request. Anything else (no usable token, a token in the
    query or body, a resource-restricted token) goes through DOT unchanged, which refuses it with
    the same ``invalid_token`` challenge as before or accepts what the fast path left to it.
    Scopes are not checked here in either case: ``api.permissions`` checks them per view.
    """

    def authenticate(self, request):
        token = bearer_token(request)
        access_token = usable_access_token(request, token) if token else None
        if access_token is not None:
            return access_token.user, access_token
        return super().authenticate(request)

    def authenticate_header(self, request):
        return f'{super().authenticate_header(request)}, Basic realm="{self.www_authenticate_realm}"'
