"""Where the current request comes from, for events recorded deep inside services and signals that
are never handed the request (the client address and User-Agent every event carries)."""

from contextvars import ContextVar

from accounts.sessions import client_address, user_agent

_origin: ContextVar[tuple[str | None, str] | None] = ContextVar("activity_origin", default=None)


def origin() -> tuple[str | None, str]:
    """(address, user agent) of the request being served, or (None, "") outside one."""
    return _origin.get() or (None, "")


class RequestOriginMiddleware:
    """Remembers the request's address and User-Agent while it is served."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _origin.set((client_address(request), user_agent(request)))
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)
