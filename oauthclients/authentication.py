from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import authentication

from api import limits


class BearerAuthentication(OAuth2Authentication):
    """DOT's bearer authentication whose 401 challenge also names Basic, the API's other way in."""

    def authenticate_header(self, request):
        return f'{super().authenticate_header(request)}, Basic realm="{self.www_authenticate_realm}"'


class BasicAuthentication(authentication.BasicAuthentication):
    """HTTP Basic, refused for a while after too many failed passwords (``api.limits``)."""

    def authenticate_credentials(self, userid, password, request=None):
        if limits.is_user_locked(request, userid):
            raise limits.TooManyAttempts()
        return super().authenticate_credentials(userid, password, request)
