from oauth2_provider.contrib.rest_framework import OAuth2Authentication


class BearerAuthentication(OAuth2Authentication):
    """DOT's bearer authentication whose 401 challenge also names Basic, the API's other way in."""

    def authenticate_header(self, request):
        return f'{super().authenticate_header(request)}, Basic realm="{self.www_authenticate_realm}"'
