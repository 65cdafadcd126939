"""DOT's bridge from Django requests to oauthlib, tolerant of malformed query strings."""

import re
from urllib.parse import urlsplit, urlunsplit

from oauth2_provider.oauth2_backends import OAuthLibCore
from oauthlib.oauth2.rfc6749 import errors

from api.authentication import HEADER_ONLY_MESSAGE

# A "%" that does not start a percent-escape: oauthlib raises ValueError on it (a 500).
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


class BeerLockerOAuthLibCore(OAuthLibCore):
    """Escapes stray ``%`` in the query, so a malformed URL is an OAuth error, never a crash; and
    the userinfo endpoint never takes its token from the URL."""

    def create_userinfo_response(self, request):
        # The query string only: OpenID Connect Core §5.3.1 lets a client POST the token in a form
        # body to userinfo (RFC 6750 §2.2, never logged), and the conformance plan tests it.
        if "access_token" in request.GET:
            error = errors.InvalidRequestError(description=HEADER_ONLY_MESSAGE)
            challenge = f'Bearer error="invalid_request", error_description="{HEADER_ONLY_MESSAGE}"'
            headers = {
                "WWW-Authenticate": challenge,
                "Content-Type": "application/json",
                "Cache-Control": "no-store",
            }
            return None, headers, error.json, error.status_code
        return super().create_userinfo_response(request)

    def _get_escaped_full_path(self, request):
        parts = urlsplit(super()._get_escaped_full_path(request))
        return urlunsplit(parts._replace(query=_STRAY_PERCENT.sub("%25", parts.query)))
