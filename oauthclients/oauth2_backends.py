"""DOT's bridge from Django requests to oauthlib, tolerant of malformed query strings."""

import re
from urllib.parse import urlsplit, urlunsplit

from oauth2_provider.oauth2_backends import OAuthLibCore

# A "%" that does not start a percent-escape: oauthlib raises ValueError on it (a 500).
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


class BeerLockerOAuthLibCore(OAuthLibCore):
    """Escapes stray ``%`` in the query, so a malformed URL is an OAuth error, never a crash."""

    def _get_escaped_full_path(self, request):
        parts = urlsplit(super()._get_escaped_full_path(request))
        return urlunsplit(parts._replace(query=_STRAY_PERCENT.sub("%25", parts.query)))
