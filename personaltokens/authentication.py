"""DRF authentication by personal access token: as a Bearer token, or as the password of HTTP Basic
(for tools that only speak Basic). First in the project's authentication classes, so a token is
never mistaken for an OAuth access token or tried as a password; anything else passes on."""

import base64
import binascii

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework import authentication, exceptions

from beerlocker_api.authentication import BearerAuthentication, refuse_browser_write
from personaltokens import services
from personaltokens.models import looks_like_token

SAFE = ("GET", "HEAD", "OPTIONS", "TRACE")


def _presented(request) -> tuple[str | None, str | None, bool]:
    """(token, Basic username or None, whether it came by Basic), or (None, None, False) when the
    request carries no personal access token."""
    header = authentication.get_authorization_header(request).split()
    if len(header) != 2:
        return None, None, False
    scheme, value = header[0].lower(), header[1]
    if scheme == b"bearer":
        token = value.decode("latin-1")
        return (token, None, False) if looks_like_token(token) else (None, None, False)
    if scheme == b"basic":
        try:
            username, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None, False  # Basic's own class answers this one
        return (password, username, True) if looks_like_token(password) else (None, None, False)
    return None, None, False


class PersonalAccessTokenAuthentication(authentication.BaseAuthentication):
    """``request.auth`` is the ``PersonalAccessToken``: ``beerlocker_api.permissions`` then holds
    the request to the token's scopes, as it does an OAuth access token's."""

    invalid_message = gettext_noop("This personal access token is invalid, expired or revoked.")

    def authenticate(self, request):
        presented, username, by_basic = _presented(request)
        if presented is None:
            return None
        token = services.token_usable(presented)
        if token is None:
            raise exceptions.AuthenticationFailed(_(self.invalid_message))
        if by_basic and username != token.user.get_username():
            raise exceptions.AuthenticationFailed(_("This personal access token belongs to another account."))
        if by_basic and request.method not in SAFE:
            refuse_browser_write(request)  # Basic credentials ride along on cross-site posts
        return token.user, token

    def authenticate_header(self, request):
        # The first class's challenge is the API's 401 challenge: keep it the API's own.
        return BearerAuthentication().authenticate_header(request)
