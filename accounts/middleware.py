from accounts.sessions import session_touch


class SessionActivityMiddleware:
    """Keeps each signed-in session's "last active", address and browser current (cheaply: see
    ``session_touch``). After the view, so a sign-out in the view leaves nothing to note; before
    ``SessionMiddleware`` in the response, which saves what changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if hasattr(request, "session"):
            session_touch(request)
        return response
