from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import authentication, exceptions

from api import limits


class BearerAuthentication(OAuth2Authentication):
    """DOT's bearer authentication whose 401 challenge also names Basic, the API's other way in."""

    def authenticate_header(self, request):
        return f'{super().authenticate_header(request)}, Basic realm="{self.www_authenticate_realm}"'


class BasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic with password-guessing limits, writing only from JSON clients.

    A browser that once answered the API's Basic prompt sends those credentials with every request
    to the site, a cross-site form post included, and Basic (unlike the session) carries no CSRF
    token. A cross-site page can send only form, multipart or text bodies without a CORS preflight,
    so a write authenticated by Basic must send JSON: anything else is a 415 and writes nothing.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            refuse_browser_write(request)
        return result

    def authenticate_credentials(self, userid, password, request=None):
        if limits.is_user_locked(request, userid):
            raise limits.TooManyAttempts()
        return super().authenticate_credentials(userid, password, request)


def refuse_browser_write(request):
    """415 unless the write's body is JSON (a DELETE may have no body at all)."""
    content_type = request.content_type.split(";")[0].strip().lower()
    if not content_type and request.method == "DELETE":
        return
    if content_type == "application/json" or content_type.endswith("+json"):
        return
    raise exceptions.UnsupportedMediaType(
        content_type or "(none)",
        detail="With HTTP Basic credentials, send writes as application/json.",
    )
