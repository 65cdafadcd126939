from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions


class BearerAuthentication(OAuth2Authentication):
    """DOT's bearer authentication whose 401 says what is wrong with a token that was sent
    (unknown, expired or revoked) and whose challenge also names Basic, the API's other way in."""

    invalid_token_message = "The access token is invalid or expired."  # noqa: S105 - a message

    def authenticate(self, request):
        authenticated = super().authenticate(request)
        # DOT records an error only when a bearer token was sent and refused; without one, the
        # other classes (Basic, session) still get their turn.
        if authenticated is None and getattr(request, "oauth2_error", None):
            raise exceptions.AuthenticationFailed(self.invalid_token_message)
        return authenticated

    def authenticate_header(self, request):
        return f'{super().authenticate_header(request)}, Basic realm="{self.www_authenticate_realm}"'
