import hashlib

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import AbstractApplication, get_access_token_model, get_application_model


def _application_may_refuse() -> bool:
    """The client model overrides DOT's ``is_usable`` (which accepts every request)."""
    return get_application_model().is_usable is not AbstractApplication.is_usable


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
    # The client row is read only when the client model can refuse (DOT's is_usable is True).
    related = ("user", "application") if _application_may_refuse() else ("user",)
    # token_checksum is unique: no ORDER BY (``first()``) needed to pick one row.
    found = get_access_token_model().objects.select_related(*related).filter(token_checksum=checksum)[:1]
    access_token = next(iter(found), None)
    if access_token is None or access_token.resource or access_token.is_expired():
        return None
    refusable = _application_may_refuse() and access_token.application_id is not None
    if refusable and not access_token.application.is_usable(request):
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
