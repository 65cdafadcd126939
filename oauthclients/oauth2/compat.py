"""Every override of a private django-oauth-toolkit / oauthlib name, in one place.

Written against django-oauth-toolkit 3.4.1 and oauthlib 4.0.1 (pinned in pyproject.toml). Each
entry says why no public hook exists; tests/oauthclients/test_compat.py fails when the library
behaviour underneath changes, so an upgrade is a red test, not a silent sign-in bug.
"""

import hashlib
import re
from contextvars import ContextVar
from urllib.parse import urlsplit, urlunsplit

from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_backends import OAuthLibCore, _add_iss_to_redirect
from oauthlib.oauth2.rfc6749 import errors

from api.authentication import HEADER_ONLY_MESSAGE, token_outside_header
from oauthclients.grants import AUTHORIZATION_CODE
from oauthclients.oauth2.codes import code_checksum

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
        return super().create_userinfo_response(request)


# The access token the current token request saved (see ``_create_access_token``), for
# ``views.TokenView`` to hand to DOT's ``app_authorized`` without reading it back.
issued_access_token: ContextVar = ContextVar("issued_access_token", default=None)


class CompatValidatorMixin:
    """Validator overrides of DOT's private methods (the validator itself uses public ones only)."""

    def _check_and_set_request_resource(self, request):
        # DOT 3.4.1: RFC 8707 resource narrowing looks the grant up by ``request.code`` inside
        # ``_save_bearer_token``, with no public hook; we store only the code's checksum, so the
        # lookup gets the checksum for the duration of the call.
        code = getattr(request, "code", None)
        if request.grant_type != AUTHORIZATION_CODE or not code:
            return super()._check_and_set_request_resource(request)
        request.code = code_checksum(code)
        try:
            return super()._check_and_set_request_resource(request)
        finally:
            request.code = code

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        # DOT 3.4.1: ``save_bearer_token`` saves the access token here and returns nothing, and
        # DOT's TokenView reads the token back by its value to send ``app_authorized`` (one more
        # query per token request). Keeping the saved instance spares that read.
        access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        issued_access_token.set(access_token)
        return access_token

    def _load_access_token(self, token):
        # DOT 3.4.1: ``validate_bearer_token`` loads the token with its user and client, then asks
        # ``application.is_usable()``, which reads the client's owner (``Client.is_usable``); no
        # public hook chooses what the load joins, so the owner is joined here too: still one
        # query per bearer request (tests/oauthclients/test_flows_tokens.py's query budget).
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        tokens = get_access_token_model().objects.select_related("application__user", "user")
        return tokens.filter(token_checksum=checksum).first()


def add_iss_to_redirect(uri: str, issuer: str) -> str:
    """RFC 9207 ``iss`` on an authorization response, in its query or (implicit) fragment.

    DOT 3.4.1 adds ``iss`` to successful responses only, in ``AuthorizationView`` internals, and
    exposes the helper only as the private ``oauth2_backends._add_iss_to_redirect``.
    """
    return _add_iss_to_redirect(uri, issuer)
