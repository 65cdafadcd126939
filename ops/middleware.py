"""One log line per request (method, path without its query, status, duration, request id).

The request id comes from a sane incoming ``X-Request-ID`` (a proxy's or a client's, so one id
follows a request across hops) or is made here, and is echoed in the response's ``X-Request-ID``.
Every other log line written while the request runs carries it too (``RequestIdFilter``).

Nothing secret reaches the line: the query string (codes, states, tokens in redirects) is never
logged, and a path segment captured by a URL pattern under a secret-sounding name (the password
reset link's ``<token>``) is replaced by ``[redacted]``.
"""

import contextvars
import logging
import re
import time
import uuid

log = logging.getLogger("ops.requests")

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and . _ : - only, at most 128: nothing that could forge a second log line or field.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")
_SECRET_KWARG = re.compile(r"token|secret|code|password|key", re.IGNORECASE)

request_id_var = contextvars.ContextVar("request_id", default="-")


def request_id_from(header: str | None) -> str:
    """The incoming id when it is sane, else a new random one."""
    if header and _SANE_ID.match(header):
        return header
    return uuid.uuid4().hex


def loggable_path(request) -> str:
    """``request.path`` without the query, with secret-named URL arguments redacted."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name, value in match.kwargs.items():
            if _SECRET_KWARG.search(name) and isinstance(value, str) and value:
                path = path.replace(value, "[redacted]")
    return path


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (``-`` outside a request) to every record a handler formats."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class RequestLogMiddleware:
    """Outermost but for the health probes (never logged): times the stack, tags the response with its id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        reset = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            # Django turns an exception inside the stack into a 500 response before it reaches here.
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            self._log(request, response, request_id, (time.perf_counter() - started) * 1000)
            return response
        finally:
            request_id_var.reset(reset)

    @staticmethod
    def _log(request, response, request_id, duration_ms):
        path = loggable_path(request)
        status = response.status_code
        log.log(
            logging.ERROR if status >= 500 else logging.INFO,
            "%s %s %s %.1fms",
            request.method,
            path,
            status,
            duration_ms,
            extra={
                "http_method": request.method,
                "path": path,
                "status": status,
                "duration_ms": round(duration_ms, 1),
                "request_id": request_id,
            },
        )
