"""What every endpoint shares: RFC 6749 error JSON and the client endpoints' hygiene."""

from django.http import JsonResponse

# RFC 6749 §5.2: a client that failed to authenticate is told which scheme to use.
CLIENT_CHALLENGE = 'Basic realm="oauth2"'
# What an invalid_client answer says: why, never which part (client, method, secret, assertion).
CLIENT_AUTHENTICATION_FAILED = "Client authentication failed."


def oauth_error(error, description, status=400):
    """An RFC 6749 §5.2 error response."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    if status == 401:
        response["WWW-Authenticate"] = CLIENT_CHALLENGE
    return response


class ClientEndpointMixin:
    """Token-endpoint hygiene: never cached, and a Basic challenge when client auth fails."""

    # ``post``, not ``dispatch``: DOT's dispatch carries the csrf_exempt these client endpoints need.
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        if response.status_code == 401:
            # oauthlib names Bearer; the client authenticates with its secret (Basic or body).
            response["WWW-Authenticate"] = CLIENT_CHALLENGE
        return response
